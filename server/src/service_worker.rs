//! `/sw.js`: the service worker script, assembled from the build's worker
//! glue (embedded by build.rs) and a precache manifest of the site's files
//! with their content hashes.
//!
//! The worker's wasm is not in the script: it is a file named by its content
//! hash, in the precache like any other, which the bootstrap instantiates
//! from Cache Storage (so the worker starts with the server down) or, on the
//! first install, from the network. The script is only the bootstrap, the
//! version and the manifest, so an update downloads the script and the files
//! that changed, nothing else. Because the manifest is part of the script,
//! its bytes change whenever any precached file does, which is what makes the
//! browser install an update.

use crate::release_rewrites::{compact_js, without_async_init};
use crate::static_files::{sha256_hex, SiteFile};
use axum::body::Bytes;
use mozi_core::{PrecacheManifest, PRECACHE_HASH_DIGITS};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

static GLUE: &str = include_str!(concat!(env!("OUT_DIR"), "/mozi_sw.js"));
static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mozi_sw_bg.wasm"));
static OUTBOX_GLUE: &str = include_str!(concat!(env!("OUT_DIR"), "/mozi_sw_outbox.js"));
static OUTBOX_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mozi_sw_outbox_bg.wasm"));
static BOOTSTRAP: &str = include_str!("../../service-worker/bootstrap.js");

/// The code of `/sw.js`: the bootstrap, then both modules' wasm-bindgen
/// glue, without comments, blank lines, indentation and the glue's unused
/// async init. The bootstrap comes first because its first statement
/// starts reading the wasm from Cache Storage, and a cold start waits for
/// that read: evaluating the glue then overlaps it. (The bootstrap reaches
/// the glue's globals only after that read, when the whole script has run.)
/// Browsers download the script again on every update; compacted, both
/// glues fit in less than one did before.
static SCRIPT: LazyLock<String> = LazyLock::new(|| {
    [
        // The bootstrap's first line names it in the served script.
        BOOTSTRAP.lines().next().unwrap_or_default().to_owned(),
        compact_js(BOOTSTRAP),
        without_async_init(&compact_js(GLUE)),
        without_async_init(&compact_js(OUTBOX_GLUE)),
    ]
    .join("\n")
});

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

/// The worker's two wasm files, each under a name carrying its content
/// hash and precached: its own module (instantiated at every start) and
/// the outbox replayer (instantiated only when it may send). Their glue is
/// in `/sw.js`.
pub struct WorkerFiles {
    pub wasm: SiteFile,
    pub outbox_wasm: SiteFile,
}

impl WorkerFiles {
    /// The files built into this server.
    pub fn built() -> Self {
        Self {
            wasm: hashed("mozi-sw", Bytes::from_static(WASM)),
            outbox_wasm: hashed("mozi-sw-outbox", Bytes::from_static(OUTBOX_WASM)),
        }
    }

    pub fn all(&self) -> [&SiteFile; 2] {
        [&self.wasm, &self.outbox_wasm]
    }
}

fn hashed(stem: &str, bytes: Bytes) -> SiteFile {
    let sha256 = sha256_hex(&bytes);
    SiteFile {
        url: format!("/pkg/{stem}.{}.wasm", &sha256[..PRECACHE_HASH_DIGITS]),
        sha256,
        bytes,
    }
}

/// Every shell file of the site, and the worker's wasm files, sorted by URL.
pub fn precache_manifest(site: &[SiteFile], worker: &WorkerFiles) -> Vec<PrecacheEntry> {
    let mut entries: Vec<_> = site
        .iter()
        .filter(|file| {
            let extension = file.url.rsplit_once('.').map_or("", |(_, ext)| ext);
            // wasm-bindgen's TypeScript declarations are not for browsers.
            PRECACHED_EXTENSIONS.contains(&extension) && !file.url.ends_with(".d.ts")
        })
        .chain([&worker.wasm, &worker.outbox_wasm])
        .map(|file| PrecacheEntry {
            url: file.url.clone(),
            hash: file.sha256[..PRECACHE_HASH_DIGITS].to_owned(),
        })
        .collect();
    entries.sort_by(|a, b| a.url.cmp(&b.url));
    entries
}

/// The whole worker script for these site files.
pub fn assemble(site: &[SiteFile], worker: &WorkerFiles, dev: bool) -> WorkerScript {
    let manifest = precache_manifest(site, worker);
    let mut fingerprint = Sha256::new();
    for entry in &manifest {
        fingerprint.update(entry.url.as_bytes());
        fingerprint.update(entry.hash.as_bytes());
    }
    fingerprint.update(SCRIPT.as_bytes());
    let version: String = sha256_hex(&fingerprint.finalize())[..16].to_owned();

    let config = serde_json::json!({
        "version": version,
        "dev": dev,
        "wasm": worker.wasm.url,
        "outbox": worker.outbox_wasm.url,
        "precacheName": mozi_core::precache_name(&version),
        "precache": PrecacheManifest::of(
            manifest
                .iter()
                .map(|entry| (entry.url.as_str(), entry.hash.as_str()))
        )
        .as_str(),
    });
    let source = format!(
        "// MOZI service worker {version}\nself.__MOZI = {config};\n{}",
        *SCRIPT
    );
    WorkerScript { version, source }
}

/// `/sw.js` as a site file.
pub fn script_file(script: &WorkerScript) -> SiteFile {
    SiteFile::new("/sw.js".to_owned(), Bytes::from(script.source.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str, text: &str) -> SiteFile {
        SiteFile::new(url.to_owned(), Bytes::from(text.to_owned()))
    }

    fn site(css: &str) -> Vec<SiteFile> {
        vec![
            file("/notes.txt", "not shell"),
            file("/offline.html", "<p>offline</p>"),
            file("/pkg/mozi.css", css),
            file("/pkg/mozi.d.ts", "export {}"),
            file("/pkg/mozi.wasm", "\0asm"),
        ]
    }

    #[test]
    fn the_manifest_lists_shell_files_and_the_worker_wasm_with_their_hashes() {
        let worker = WorkerFiles::built();
        let manifest = precache_manifest(&site("body{}"), &worker);
        let urls: Vec<_> = manifest.iter().map(|entry| entry.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "/offline.html",
                &worker.outbox_wasm.url,
                &worker.wasm.url,
                "/pkg/mozi.css",
                "/pkg/mozi.wasm"
            ]
        );
        assert_eq!(
            manifest[3].hash,
            sha256_hex(b"body{}")[..PRECACHE_HASH_DIGITS]
        );
    }

    #[test]
    fn the_script_hands_the_worker_its_manifest_and_precache() {
        let worker = WorkerFiles::built();
        let script = assemble(&site("body{}"), &worker, false);
        let config_line = script.source.lines().nth(1).unwrap_or_default();
        let config: serde_json::Value = serde_json::from_str(
            config_line
                .strip_prefix("self.__MOZI = ")
                .and_then(|json| json.strip_suffix(';'))
                .expect("the second line sets self.__MOZI"),
        )
        .expect("the configuration is JSON");
        assert_eq!(
            config["precacheName"],
            format!("mozi-precache-{}", script.version)
        );
        let manifest = config["precache"].as_str().expect("the manifest is text");
        let manifest = PrecacheManifest::parse(manifest.to_owned()).expect("a manifest");
        let css_hash = &sha256_hex(b"body{}")[..PRECACHE_HASH_DIGITS];
        assert_eq!(manifest.files().count(), 5);
        assert!(manifest
            .files()
            .any(|file| file == ("/pkg/mozi.css", css_hash)));
    }

    #[test]
    fn changing_one_file_changes_its_hash_and_the_script() {
        let worker = WorkerFiles::built();
        let before = assemble(&site("body{}"), &worker, false);
        let after = assemble(&site("body{color:red}"), &worker, false);
        assert_ne!(before.version, after.version);
        assert_ne!(before.source, after.source);
        let changed: Vec<_> = precache_manifest(&site("body{}"), &worker)
            .iter()
            .zip(&precache_manifest(&site("body{color:red}"), &worker))
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.url.clone())
            .collect();
        assert_eq!(changed, ["/pkg/mozi.css"]);
        assert_eq!(
            assemble(&site("body{color:red}"), &worker, false).source,
            after.source
        );
    }

    #[test]
    fn the_script_names_the_worker_files_instead_of_carrying_them() {
        let worker = WorkerFiles::built();
        let script = assemble(&site("body{}"), &worker, true);
        assert!(script.source.contains("\"dev\":true"));
        assert!(script
            .source
            .contains(&format!("\"wasm\":\"{}\"", worker.wasm.url)));
        assert!(script
            .source
            .contains(&format!("\"outbox\":\"{}\"", worker.outbox_wasm.url)));
        assert!(script.source.contains("addEventListener(\"fetch\""));
        assert!(script.source.contains("mozi_outbox"));
        assert!(script.source.len() < WASM.len());
    }

    #[test]
    fn each_glue_keeps_its_synchronous_init_alone() {
        let script = assemble(&site("body{}"), &WorkerFiles::built(), false);
        // The bootstrap instantiates both modules with `initSync`.
        assert_eq!(script.source.matches("function initSync(").count(), 2);
        assert_eq!(
            script
                .source
                .matches("return Object.assign({ initSync }, exports);")
                .count(),
            2
        );
        for gone in ["__wbg_load", "__wbg_init_once", "__wbg_init_promise"] {
            assert!(!script.source.contains(gone), "{gone} is still in /sw.js");
        }
    }
}
