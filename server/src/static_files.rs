//! Static files, compressed once and served from memory.
//!
//! Every file under the site root is read at start-up and compressed at the
//! best brotli and gzip levels, never per request (`compression`): a
//! request only picks the encoding the browser accepts. A file whose name
//! carries its content hash (the worker's wasm) is `immutable` for a year;
//! every other one is revalidated by its ETag.
//!
//! The app's main wasm module is also a compression dictionary (Compression
//! Dictionary Transport, RFC 9842; [`Dictionary`]): a first visit fetches it
//! at `?v=<its version>`, immutable and marked `Use-As-Dictionary`, and the
//! page's other wasm modules, which share much of its code, then come
//! compressed against it (`Content-Encoding: dcb`), a quarter smaller.

use crate::compression::{accepts, best_brotli, best_gzip, CompressionCache, Dictionary, Encoding};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Content-addressed files never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Any other file may change with the next build: revalidate every time.
const REVALIDATE: &str = "no-cache";

/// A response that a later request may use as its compression dictionary.
const USE_AS_DICTIONARY: HeaderName = HeaderName::from_static("use-as-dictionary");
/// The dictionary a request's browser holds, `:<SHA-256 in base64>:`.
const AVAILABLE_DICTIONARY: HeaderName = HeaderName::from_static("available-dictionary");

/// Formats that are compressed already gain nothing from brotli or gzip.
const PRECOMPRESSED_FORMATS: &[&str] = &["png", "jpg", "jpeg", "webp", "avif", "woff2", "gz", "br"];

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// One file of the site as read from disk.
pub struct SiteFile {
    /// Its URL path, `/pkg/mozi.css`.
    pub url: String,
    pub sha256: String,
    pub bytes: Bytes,
}

impl SiteFile {
    pub fn new(url: String, bytes: Bytes) -> Self {
        Self {
            url,
            sha256: sha256_hex(&bytes),
            bytes,
        }
    }
}

/// Every file under `site_root`, sorted by URL.
pub fn read_site(site_root: &Path) -> std::io::Result<Vec<SiteFile>> {
    let mut files = Vec::new();
    let mut folders = vec![site_root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for item in std::fs::read_dir(&folder)? {
            let path = item?.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(site_root)
                .map_err(std::io::Error::other)?
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let bytes = Bytes::from(std::fs::read(&path)?);
            files.push(SiteFile::new(format!("/{relative}"), bytes));
        }
    }
    files.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(files)
}

/// One file ready to serve in every encoding it has.
pub struct Asset {
    content_type: HeaderValue,
    etag: HeaderValue,
    cache_control: HeaderValue,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    /// Compressed against the dictionary (`dcb`), for browsers holding it.
    against_dictionary: Option<(HeaderValue, Bytes)>,
    /// This file is the dictionary: asked for at `?v=` this version, it is
    /// immutable and offered as a dictionary for what `match` names.
    dictionary: Option<(String, HeaderValue)>,
}

/// How a file is cached by browsers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Caching {
    /// Its name carries its content hash.
    Immutable,
    /// Its name stays the same across builds.
    Revalidate,
}

impl Asset {
    /// Compresses `file` (or takes its copies from `cache`).
    pub fn compressed(
        file: &SiteFile,
        content_type: &str,
        caching: Caching,
        cache: &CompressionCache,
    ) -> Self {
        let mut asset = Self::uncompressed(file, content_type, caching);
        let extension = file.url.rsplit_once('.').map_or("", |(_, ext)| ext);
        if !PRECOMPRESSED_FORMATS.contains(&extension) {
            let (bytes, size) = (&file.bytes, file.bytes.len());
            asset.brotli = cache.get_or_make(&format!("{}.br", file.sha256), size, || {
                best_brotli(bytes, &[])
            });
            asset.gzip =
                cache.get_or_make(&format!("{}.gzip", file.sha256), size, || best_gzip(bytes));
        }
        asset
    }

    /// For development, where files change under the running server.
    pub fn uncompressed(file: &SiteFile, content_type: &str, caching: Caching) -> Self {
        Self {
            content_type: HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            etag: HeaderValue::from_str(&format!("\"{}\"", &file.sha256[..16]))
                .unwrap_or(HeaderValue::from_static("\"\"")),
            cache_control: HeaderValue::from_static(match caching {
                Caching::Immutable => IMMUTABLE,
                Caching::Revalidate => REVALIDATE,
            }),
            identity: file.bytes.clone(),
            brotli: None,
            gzip: None,
            against_dictionary: None,
            dictionary: None,
        }
    }

    /// Makes this file the dictionary, or compresses it against one when it
    /// is one of the modules the dictionary is offered for.
    fn with_dictionary(
        mut self,
        file: &SiteFile,
        dictionary: &Dictionary,
        cache: &CompressionCache,
    ) -> Self {
        if file.url == dictionary.url {
            self.dictionary = Some((dictionary.version.clone(), dictionary.match_header()));
        } else if dictionary.is_offered_for(&file.url) {
            let name = format!("{}.dcb-{}", file.sha256, dictionary.version);
            let smallest = self.brotli.as_ref().map_or(file.bytes.len(), Bytes::len);
            self.against_dictionary = cache
                .get_or_make(&name, smallest, || dictionary.compress(&file.bytes))
                .map(|compressed| (dictionary.available.clone(), compressed));
        }
        self
    }

    /// The answer to a GET with these headers and this query: 304 when the
    /// browser's copy is current, else the smallest encoding it accepts.
    pub fn respond(&self, request: &HeaderMap, query: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        let first_visit = self.dictionary.as_ref().filter(|(version, _)| {
            query.and_then(|query| query.strip_prefix("v=")) == Some(version.as_str())
        });
        if let Some((_, matches)) = first_visit {
            // Its URL names its content: it can be kept, and used as a
            // dictionary for as long as it is.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
            headers.insert(USE_AS_DICTIONARY, matches.clone());
        } else {
            headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        }
        headers.insert(
            header::VARY,
            HeaderValue::from_static(if self.against_dictionary.is_some() {
                "accept-encoding, available-dictionary"
            } else {
                "accept-encoding"
            }),
        );
        let current = request
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .zip(self.etag.to_str().ok())
            .is_some_and(|(tags, etag)| tags.split(',').any(|tag| tag.trim() == etag));
        if current {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        let accepted = |encoding| accepts(request, encoding);
        let held = |available: &HeaderValue| request.get(AVAILABLE_DICTIONARY) == Some(available);
        let body = match (&self.against_dictionary, &self.brotli, &self.gzip) {
            (Some((available, compressed)), _, _)
                if held(available) && accepted(Encoding::DictionaryBrotli) =>
            {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("dcb"));
                compressed.clone()
            }
            (_, Some(brotli), _) if accepted(Encoding::Brotli) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                brotli.clone()
            }
            (_, _, Some(gzip)) if accepted(Encoding::Gzip) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gzip.clone()
            }
            _ => self.identity.clone(),
        };
        (headers, Body::from(body)).into_response()
    }
}

/// Every static file of the site by URL path.
pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    /// Compresses every file, one thread per file: the wasm alone takes
    /// seconds at the best brotli level.
    pub fn compress_all(
        files: &[(SiteFile, Caching)],
        cache: &CompressionCache,
        dictionary: Option<&Dictionary>,
    ) -> Self {
        let files = std::thread::scope(|scope| {
            let tasks: Vec<_> = files
                .iter()
                .map(|(file, caching)| {
                    scope.spawn(move || {
                        let asset =
                            Asset::compressed(file, &content_type(&file.url), *caching, cache);
                        let asset = match dictionary {
                            Some(dictionary) => asset.with_dictionary(file, dictionary, cache),
                            None => asset,
                        };
                        (file.url.clone(), asset)
                    })
                })
                .collect();
            tasks
                .into_iter()
                .filter_map(|task| task.join().ok())
                .collect()
        });
        Self { files }
    }
}

/// The type by extension; text types say they are UTF-8.
pub fn content_type(url: &str) -> String {
    let guess = mime_guess::from_path(url).first_or_octet_stream();
    let textual = guess.type_() == mime_guess::mime::TEXT
        || matches!(guess.subtype().as_str(), "javascript" | "json" | "manifest")
        || guess
            .suffix()
            .is_some_and(|suffix| suffix == mime_guess::mime::JSON);
    if textual {
        format!("{guess}; charset=utf-8")
    } else {
        guess.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compression::DICTIONARY_BROTLI_MAGIC;

    fn file(url: &str, text: &str) -> SiteFile {
        SiteFile::new(url.to_owned(), Bytes::from(text.to_owned()))
    }

    fn request(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    #[test]
    fn the_best_accepted_encoding_is_sent_and_unchanged_copies_get_304() {
        let site = tempfile::tempdir().unwrap();
        let cache = CompressionCache::beside(&site.path().join("site"));
        let css = file("/pkg/mozi.css", &"body { color: red }\n".repeat(200));
        let asset = Asset::compressed(&css, "text/css", Caching::Revalidate, &cache);

        let brotli = asset.respond(
            &request(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")]),
            None,
        );
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(brotli.headers()[header::CACHE_CONTROL], "no-cache");
        let gzip = asset.respond(&request(&[(header::ACCEPT_ENCODING, "gzip, br;q=0")]), None);
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        let plain = asset.respond(&HeaderMap::new(), None);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());

        let etag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        let revalidation = asset.respond(&request(&[(header::IF_NONE_MATCH, &etag)]), None);
        assert_eq!(revalidation.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn compressed_copies_are_kept_by_hash_and_reused() {
        let site = tempfile::tempdir().unwrap();
        let cache = CompressionCache::beside(&site.path().join("site"));
        let css = file("/pkg/mozi.css", &"p { margin: 0 }\n".repeat(100));
        Asset::compressed(&css, "text/css", Caching::Immutable, &cache);
        let stored = site
            .path()
            .join("site.precompressed")
            .join(format!("{}.br", css.sha256));
        assert!(stored.is_file());
        // A copy on disk is what is served: it is never made again.
        std::fs::write(&stored, b"kept").unwrap();
        let asset = Asset::compressed(&css, "text/css", Caching::Immutable, &cache);
        let response = asset.respond(&request(&[(header::ACCEPT_ENCODING, "br")]), None);
        assert_eq!(asset.brotli.as_deref(), Some(&b"kept"[..]));
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }

    #[test]
    fn a_file_compression_does_not_shrink_is_sent_as_it_is() {
        let site = tempfile::tempdir().unwrap();
        let cache = CompressionCache::beside(&site.path().join("site"));
        let tiny = file("/favicon.ico", "x");
        let asset = Asset::compressed(&tiny, "image/x-icon", Caching::Revalidate, &cache);
        let response = asset.respond(&request(&[(header::ACCEPT_ENCODING, "br, gzip")]), None);
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    }

    /// A main module and another wasm module sharing much of its text.
    fn main_and_module() -> (SiteFile, SiteFile) {
        let shared: String = (0..400).map(|n| format!("fn shared_{n}() {{}} ")).collect();
        let main = file("/pkg/mozi.wasm", &format!("{shared} main only"));
        let module = file("/pkg/chunk_1.wasm", &format!("module only {shared}"));
        (main, module)
    }

    /// `file` served beside the dictionary `main`.
    fn served_with(file: &SiteFile, main: &SiteFile) -> (Asset, Dictionary) {
        let site = tempfile::tempdir().unwrap();
        let cache = CompressionCache::beside(&site.path().join("site"));
        let dictionary = Dictionary::new(main);
        let asset = Asset::compressed(file, "application/wasm", Caching::Revalidate, &cache)
            .with_dictionary(file, &dictionary, &cache);
        (asset, dictionary)
    }

    #[test]
    fn the_main_module_at_its_first_visit_url_is_an_immutable_dictionary() {
        let (main, _) = main_and_module();
        let (asset, dictionary) = served_with(&main, &main);
        let query = dictionary.first_visit_url();
        let query = query.split_once('?').map(|(_, query)| query);
        assert_eq!(query, Some(&*format!("v={}", &main.sha256[..16])));

        let first_visit = asset.respond(&HeaderMap::new(), query);
        assert_eq!(
            first_visit.headers()[USE_AS_DICTIONARY],
            "match=\"/pkg/*.wasm\""
        );
        assert_eq!(first_visit.headers()[header::CACHE_CONTROL], IMMUTABLE);
        // Its plain URL, and an older version's, change with the build.
        for query in [None, Some("v=0123456789abcdef")] {
            let response = asset.respond(&HeaderMap::new(), query);
            assert!(response.headers().get(USE_AS_DICTIONARY).is_none());
            assert_eq!(response.headers()[header::CACHE_CONTROL], REVALIDATE);
        }
    }

    #[tokio::test]
    async fn modules_come_compressed_against_the_dictionary_to_browsers_holding_it() {
        let (main, module) = main_and_module();
        let (asset, dictionary) = served_with(&module, &main);
        let held = dictionary.available.to_str().unwrap().to_owned();

        let response = asset.respond(
            &request(&[
                (header::ACCEPT_ENCODING, "gzip, br, zstd, dcb, dcz"),
                (AVAILABLE_DICTIONARY, &held),
            ]),
            None,
        );
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "dcb");
        assert_eq!(
            response.headers()[header::VARY],
            "accept-encoding, available-dictionary"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(body.len() < asset.brotli.as_ref().unwrap().len());
        let (magic, rest) = body.split_at(4);
        let (named, stream) = rest.split_at(32);
        assert_eq!(
            (magic, named),
            (&DICTIONARY_BROTLI_MAGIC[..], &dictionary.sha256[..])
        );
        let mut decoded = Vec::new();
        brotli::BrotliDecompressCustomIoCustomDict(
            &mut brotli::IoReaderWrapper(&mut &stream[..]),
            &mut brotli::IoWriterWrapper(&mut decoded),
            &mut [0; 4096],
            &mut [0; 4096],
            brotli::HeapAlloc::<u8>::new(0),
            brotli::HeapAlloc::<u32>::new(0),
            brotli::HeapAlloc::<brotli::HuffmanCode>::new(brotli::HuffmanCode::default()),
            main.bytes.to_vec().into(),
            std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
        )
        .unwrap();
        assert_eq!(decoded, module.bytes);

        // Another dictionary, or none: plain brotli.
        for held in [None, Some(":AAAA:")] {
            let mut headers = request(&[(header::ACCEPT_ENCODING, "br, dcb")]);
            if let Some(held) = held {
                headers.insert(AVAILABLE_DICTIONARY, HeaderValue::from_static(held));
            }
            let response = asset.respond(&headers, None);
            assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        }
    }

    #[test]
    fn text_types_name_their_charset() {
        assert_eq!(
            content_type("/pkg/mozi.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("/pkg/mozi.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("/pkg/mozi.wasm"), "application/wasm");
        assert_eq!(content_type("/icons/icon-192.png"), "image/png");
    }
}
