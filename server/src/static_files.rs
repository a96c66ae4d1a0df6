//! Static files, compressed once and served from memory.
//!
//! Every file under the site root is read at start-up and compressed at the
//! best brotli and gzip levels, never per request: a request only picks the
//! encoding the browser accepts. Best-level brotli of the app's wasm takes
//! seconds, so compressed copies are also kept on disk beside the site
//! (`target/site.precompressed` for `target/site`), named by content hash: a
//! restart of the same build compresses nothing. A file whose name carries its content hash
//! (the worker's wasm) is `immutable` for a year; every other one is
//! revalidated by its ETag.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Content-addressed files never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Any other file may change with the next build: revalidate every time.
const REVALIDATE: &str = "no-cache";

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
            asset.brotli = cache.get_or_make(&file.sha256, Encoding::Brotli, &file.bytes);
            asset.gzip = cache.get_or_make(&file.sha256, Encoding::Gzip, &file.bytes);
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
        }
    }

    /// The answer to a GET with these headers: 304 when the browser's copy
    /// is current, else the smallest encoding it accepts.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
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
        let body = match (&self.brotli, &self.gzip) {
            (Some(brotli), _) if accepted(Encoding::Brotli) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                brotli.clone()
            }
            (_, Some(gzip)) if accepted(Encoding::Gzip) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gzip.clone()
            }
            _ => self.identity.clone(),
        };
        (headers, Body::from(body)).into_response()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }

    fn compress(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Brotli => {
                let mut output = Vec::new();
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 24,
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &bytes[..], &mut output, &params)?;
                Ok(output)
            }
            Self::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder.write_all(bytes)?;
                encoder.finish()
            }
        }
    }
}

/// Whether `Accept-Encoding` names `encoding` with a weight above zero.
pub(crate) fn accepts(request: &HeaderMap, encoding: Encoding) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|weight| weight.trim().parse::<f32>().ok())
                    .is_some_and(|weight| weight <= 0.0)
            });
            name.eq_ignore_ascii_case(encoding.token()) && !refused
        })
}

/// Compressed copies on disk, by content hash. Without a writable folder
/// every start compresses again, and that is all.
pub struct CompressionCache {
    folder: PathBuf,
}

impl CompressionCache {
    pub fn in_folder(folder: PathBuf) -> Self {
        Self { folder }
    }

    /// `<site root>.precompressed`, beside the site: never served.
    pub fn beside(site_root: &Path) -> Self {
        let name = site_root
            .file_name()
            .map_or_else(|| "site".into(), |name| name.to_string_lossy());
        Self {
            folder: site_root.with_file_name(format!("{name}.precompressed")),
        }
    }

    /// The compressed copy, or `None` when compressing does not make the
    /// file smaller.
    fn get_or_make(&self, sha256: &str, encoding: Encoding, bytes: &[u8]) -> Option<Bytes> {
        let path = self.folder.join(format!("{sha256}.{}", encoding.token()));
        let compressed = match std::fs::read(&path) {
            Ok(stored) => stored,
            Err(_) => {
                let made = match encoding.compress(bytes) {
                    Ok(made) => made,
                    Err(error) => {
                        tracing::error!(%error, "could not compress a static file");
                        return None;
                    }
                };
                if let Err(error) = self.store(&path, &made) {
                    tracing::warn!(%error, folder = %self.folder.display(), "compressed copies are not kept");
                }
                made
            }
        };
        (compressed.len() < bytes.len()).then(|| Bytes::from(compressed))
    }

    /// Written under a temporary name and renamed: a server starting at the
    /// same time never reads half a file.
    fn store(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.folder)?;
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, path)
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
    pub fn compress_all(files: &[(SiteFile, Caching)], cache: &CompressionCache) -> Self {
        let files = std::thread::scope(|scope| {
            let tasks: Vec<_> = files
                .iter()
                .map(|(file, caching)| {
                    scope.spawn(move || {
                        let asset =
                            Asset::compressed(file, &content_type(&file.url), *caching, cache);
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

        let brotli = asset.respond(&request(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")]));
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(brotli.headers()[header::CACHE_CONTROL], "no-cache");
        let gzip = asset.respond(&request(&[(header::ACCEPT_ENCODING, "gzip, br;q=0")]));
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        let plain = asset.respond(&HeaderMap::new());
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());

        let etag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        let revalidation = asset.respond(&request(&[(header::IF_NONE_MATCH, &etag)]));
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
        let response = asset.respond(&request(&[(header::ACCEPT_ENCODING, "br")]));
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
        let response = asset.respond(&request(&[(header::ACCEPT_ENCODING, "br, gzip")]));
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
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
