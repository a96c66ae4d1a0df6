//! `/sw.js`: the service worker script, assembled from the build's
//! worker (embedded by build.rs) and a precache manifest of the site's
//! files with their content hashes.
//!
//! The manifest is derived from the very files the server serves, so it can
//! neither be hand-kept nor go stale; and because it is part of the script,
//! the script's bytes change whenever any precached file does, which is what
//! makes the browser install an update.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

const GLUE: &str = include_str!(concat!(env!("OUT_DIR"), "/mozi_sw.js"));
const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mozi_sw_bg.wasm"));
const BOOTSTRAP: &str = include_str!("../../service-worker/bootstrap.js");

/// Kinds of file that make up the app shell.
const PRECACHED_EXTENSIONS: &[&str] = &[
    "js",
    "wasm",
    "css",
    "ico",
    "png",
    "svg",
    "webmanifest",
    "html",
    "woff2",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecacheEntry {
    pub url: String,
    pub hash: String,
}

#[derive(Debug, Clone)]
pub struct WorkerScript {
    pub version: String,
    pub source: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Every shell file under `site_root`, sorted by URL.
pub fn precache_manifest(site_root: &Path) -> std::io::Result<Vec<PrecacheEntry>> {
    let mut entries = Vec::new();
    let mut folders = vec![site_root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for item in std::fs::read_dir(&folder)? {
            let path = item?.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or("");
            // wasm-bindgen's TypeScript declarations are not for browsers.
            if !PRECACHED_EXTENSIONS.contains(&extension) || name.ends_with(".d.ts") {
                continue;
            }
            let relative = path
                .strip_prefix(site_root)
                .map_err(std::io::Error::other)?
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            entries.push(PrecacheEntry {
                url: format!("/{relative}"),
                hash: sha256_hex(&std::fs::read(&path)?),
            });
        }
    }
    entries.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(entries)
}

/// The whole worker script for the files now under `site_root`.
pub fn assemble(site_root: &Path, dev: bool) -> std::io::Result<WorkerScript> {
    let manifest = precache_manifest(site_root)?;
    let mut fingerprint = Sha256::new();
    for entry in &manifest {
        fingerprint.update(entry.url.as_bytes());
        fingerprint.update(entry.hash.as_bytes());
    }
    fingerprint.update(GLUE.as_bytes());
    fingerprint.update(WASM);
    fingerprint.update(BOOTSTRAP.as_bytes());
    let version: String = sha256_hex(&fingerprint.finalize())[..16].to_owned();

    let config = serde_json::json!({
        "version": version,
        "dev": dev,
        "precache": manifest
            .iter()
            .map(|entry| serde_json::json!({ "url": entry.url, "hash": entry.hash }))
            .collect::<Vec<_>>(),
    });
    let wasm = base64::engine::general_purpose::STANDARD.encode(WASM);
    let source = format!(
        "// MOZI service worker {version}\nself.__MOZI = {config};\n{GLUE}\nself.__MOZI_WASM = \"{wasm}\";\n{BOOTSTRAP}"
    );
    Ok(WorkerScript { version, source })
}

/// The script as a response the browser always revalidates. Browsers check
/// for a new worker after navigations; the version as ETag turns those
/// checks into a bodiless 304 while nothing changed.
pub fn response(script: &WorkerScript, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", script.version);
    let headers = [
        (
            header::CONTENT_TYPE,
            "text/javascript; charset=utf-8".to_owned(),
        ),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::ETAG, etag.clone()),
    ];
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, script.source.clone()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/mozi.css"), "body{}").unwrap();
        std::fs::write(dir.path().join("pkg/mozi.wasm"), [0, 97, 115, 109]).unwrap();
        std::fs::write(dir.path().join("pkg/mozi.d.ts"), "export {}").unwrap();
        std::fs::write(dir.path().join("offline.html"), "<p>offline</p>").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not shell").unwrap();
        dir
    }

    #[test]
    fn the_manifest_lists_shell_files_with_their_hashes() {
        let dir = site();
        let manifest = precache_manifest(dir.path()).unwrap();
        let urls: Vec<_> = manifest.iter().map(|entry| entry.url.as_str()).collect();
        assert_eq!(urls, ["/offline.html", "/pkg/mozi.css", "/pkg/mozi.wasm"]);
        assert_eq!(manifest[1].hash, sha256_hex(b"body{}"));
    }

    #[test]
    fn changing_one_file_changes_its_hash_and_the_script() {
        let dir = site();
        let before = assemble(dir.path(), false).unwrap();
        let manifest_before = precache_manifest(dir.path()).unwrap();
        std::fs::write(dir.path().join("pkg/mozi.css"), "body{color:red}").unwrap();
        let after = assemble(dir.path(), false).unwrap();
        let manifest_after = precache_manifest(dir.path()).unwrap();
        assert_ne!(before.version, after.version);
        assert_ne!(before.source, after.source);
        let changed: Vec<_> = manifest_before
            .iter()
            .zip(&manifest_after)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.url.as_str())
            .collect();
        assert_eq!(changed, ["/pkg/mozi.css"]);
        assert_eq!(assemble(dir.path(), false).unwrap().source, after.source);
    }

    #[test]
    fn an_unchanged_script_is_answered_not_modified() {
        let dir = site();
        let script = assemble(dir.path(), false).unwrap();
        let first = response(&script, &HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].clone();
        let mut revalidation = HeaderMap::new();
        revalidation.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            response(&script, &revalidation).status(),
            StatusCode::NOT_MODIFIED
        );
        std::fs::write(dir.path().join("pkg/mozi.css"), "body{color:blue}").unwrap();
        let changed = assemble(dir.path(), false).unwrap();
        assert_eq!(response(&changed, &revalidation).status(), StatusCode::OK);
    }

    #[test]
    fn the_script_embeds_the_worker_and_registers_listeners() {
        let dir = site();
        let script = assemble(dir.path(), true).unwrap();
        assert!(script.source.contains("\"dev\":true"));
        assert!(script.source.contains("self.__MOZI_WASM = \"AGFzbQ"));
        assert!(script.source.contains("addEventListener(\"fetch\""));
    }
}
