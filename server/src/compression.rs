//! How static files are compressed: once, at the best brotli and gzip
//! levels, and the wasm modules also against the app's main module as a
//! dictionary (`dcb`); copies kept on disk by content hash, so a restart of
//! the same build compresses nothing.

use crate::static_files::SiteFile;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Brotli against a dictionary: this magic, the dictionary's SHA-256, the stream.
pub(crate) const DICTIONARY_BROTLI_MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Brotli,
    Gzip,
    /// Brotli against a dictionary the browser holds (`dcb`).
    DictionaryBrotli,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
            Self::DictionaryBrotli => "dcb",
        }
    }
}

/// The best brotli level, against `dictionary` (empty for none). The
/// window holds the dictionary and the file whole: a module refers back to
/// any part of the dictionary.
pub(crate) fn best_brotli(bytes: &[u8], dictionary: &[u8]) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut output = Vec::new();
    brotli::BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut &bytes[..]),
        &mut brotli::IoWriterWrapper(&mut output),
        &mut [0; 4096],
        &mut [0; 4096],
        &params,
        brotli::enc::StandardAlloc::default(),
        &mut |_, _, _, _| (),
        dictionary,
        std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
    )?;
    Ok(output)
}

pub(crate) fn best_gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The app's main wasm module as a compression dictionary for the page's
/// other wasm modules (see the module text).
pub struct Dictionary {
    /// Its URL path, `/pkg/mozi.wasm`.
    pub(crate) url: String,
    /// The `v` of the URL a first visit fetches it at: its content hash.
    pub(crate) version: String,
    /// Its SHA-256 as `Available-Dictionary` names it.
    pub(crate) available: HeaderValue,
    pub(crate) sha256: [u8; 32],
    bytes: Bytes,
}

impl Dictionary {
    pub fn new(file: &SiteFile) -> Self {
        let sha256: [u8; 32] = Sha256::digest(&file.bytes).into();
        let encoded = base64::engine::general_purpose::STANDARD.encode(sha256);
        Self {
            url: file.url.clone(),
            version: file.sha256[..16].to_owned(),
            available: HeaderValue::from_str(&format!(":{encoded}:"))
                .unwrap_or(HeaderValue::from_static("")),
            sha256,
            bytes: file.bytes.clone(),
        }
    }

    /// The URL a page not under the worker fetches it at.
    pub fn first_visit_url(&self) -> String {
        format!("{}?v={}", self.url, self.version)
    }

    /// The wasm files beside it.
    fn folder(&self) -> &str {
        self.url.rsplit_once('/').map_or("", |(folder, _)| folder)
    }

    pub(crate) fn is_offered_for(&self, url: &str) -> bool {
        url.strip_prefix(self.folder())
            .and_then(|name| name.strip_prefix('/'))
            .is_some_and(|name| !name.contains('/') && name.ends_with(".wasm"))
    }

    /// `Use-As-Dictionary`: the wasm files of its folder.
    pub(crate) fn match_header(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("match=\"{}/*.wasm\"", self.folder()))
            .unwrap_or(HeaderValue::from_static(""))
    }

    /// `bytes` as a `dcb` body.
    pub(crate) fn compress(&self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let stream = best_brotli(bytes, &self.bytes)?;
        Ok([&DICTIONARY_BROTLI_MAGIC[..], &self.sha256[..], &stream].concat())
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

    /// The compressed copy kept as `name` (made by `compress` when there is
    /// none), or `None` when it is not smaller than `smaller_than` bytes.
    pub(crate) fn get_or_make(
        &self,
        name: &str,
        smaller_than: usize,
        compress: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) -> Option<Bytes> {
        let path = self.folder.join(name);
        let compressed = match std::fs::read(&path) {
            Ok(stored) => stored,
            Err(_) => {
                let made = match compress() {
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
        (compressed.len() < smaller_than).then(|| Bytes::from(compressed))
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
