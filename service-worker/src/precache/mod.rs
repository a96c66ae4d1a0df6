//! The app shell, installed per version from a manifest of content hashes
//! the server derives from the built files.
//!
//! Install fills `mozi-precache-<version>`: an entry whose hash is already
//! stored (by any version) is copied, every other one is downloaded past the
//! HTTP cache and checked against its hash. Any failure fails the install,
//! so the previous version stays in charge. Activate deletes the precache
//! caches of other versions, and no other cache.

mod plan;

pub use plan::Entry;

use crate::caches::{precache_name, HASH_HEADER, PRECACHE_PREFIX};
use crate::error::{code, SwError};
use crate::scope::{cache_names, delete_cache, fetch_with_cache, open_cache, resolve, sha256_hex};
use crate::store::{keys, lookup};
use crate::url::after_scheme;
use js_sys::Uint8Array;
use plan::{plan, stale_caches, Source, Stored};
use web_sys::{RequestCache, Response};

/// What a finished install did, for logs and tests.
pub struct InstallReport {
    pub downloaded: usize,
    pub reused: usize,
}

pub async fn install(version: &str, manifest: &[Entry]) -> Result<InstallReport, SwError> {
    let current = precache_name(version);
    let result = fill(&current, manifest).await;
    if result.is_err() {
        // A failed install leaves nothing behind; the next attempt starts over.
        let _ = delete_cache(&current).await;
    }
    result
}

async fn fill(current: &str, manifest: &[Entry]) -> Result<InstallReport, SwError> {
    let stored = stored_entries().await?;
    let target = open_cache(current).await?;
    let mut report = InstallReport {
        downloaded: 0,
        reused: 0,
    };
    for (entry, source) in plan(manifest, &stored) {
        let response = match source {
            Source::Reuse { cache } if cache == current => {
                report.reused += 1;
                continue;
            }
            Source::Reuse { cache } => {
                report.reused += 1;
                lookup(&cache, &entry.url)
                    .await?
                    .ok_or_else(|| SwError::new(code::CACHE_MISS, entry.url.clone()))?
            }
            Source::Download => {
                report.downloaded += 1;
                download_checked(entry).await?
            }
        };
        resolve(
            target.put_with_str(&entry.url, &response),
            code::CACHE_STORAGE,
        )
        .await?;
    }
    Ok(report)
}

/// Downloads an entry and checks it: an error status or a body that does
/// not match the manifest's hash fails the install.
async fn download_checked(entry: &Entry) -> Result<Response, SwError> {
    let cache = if entry.is_content_addressed() {
        RequestCache::Default
    } else {
        RequestCache::Reload
    };
    let response = fetch_with_cache(&entry.url, cache).await?;
    if !response.ok() {
        return Err(SwError::new(
            code::PRECACHE_BAD_STATUS,
            format!("{} answered {}", entry.url, response.status()),
        ));
    }
    let body = resolve(
        response
            .array_buffer()
            .map_err(SwError::from_js(code::NETWORK_FAILED))?,
        code::NETWORK_FAILED,
    )
    .await?;
    let bytes = Uint8Array::new(&body);
    let hash = sha256_hex(&bytes).await?;
    // The manifest gives the digest's first hex digits (`mozi_core::PRECACHE_HASH_DIGITS`);
    // an empty one would match anything.
    if entry.hash.is_empty() || !hash.starts_with(&entry.hash) {
        return Err(SwError::new(
            code::PRECACHE_HASH_MISMATCH,
            format!("{}: expected {}, got {hash}", entry.url, entry.hash),
        ));
    }
    let headers = web_sys::Headers::new_with_headers(&response.headers())
        .map_err(SwError::from_js(code::CACHE_STORAGE))?;
    headers
        .set(HASH_HEADER, &entry.hash)
        .map_err(SwError::from_js(code::CACHE_STORAGE))?;
    let init = web_sys::ResponseInit::new();
    init.set_status(response.status());
    init.set_headers(&headers);
    Response::new_with_opt_js_u8_array_and_init(Some(&bytes), &init)
        .map_err(SwError::from_js(code::CACHE_STORAGE))
}

/// Every entry of every precache cache of this app, with its hash.
async fn stored_entries() -> Result<Vec<Stored>, SwError> {
    let mut stored = Vec::new();
    for cache in cache_names().await? {
        if !cache.starts_with(PRECACHE_PREFIX) {
            continue;
        }
        for url in keys(&cache).await? {
            let Some(response) = lookup(&cache, &url).await? else {
                continue;
            };
            if let Ok(Some(hash)) = response.headers().get(HASH_HEADER) {
                stored.push(Stored {
                    cache: cache.clone(),
                    url: path_and_query(&url).to_owned(),
                    hash,
                });
            }
        }
    }
    Ok(stored)
}

/// Deletes the precache caches of other versions.
pub async fn remove_other_versions(version: &str) -> Result<Vec<String>, SwError> {
    let stale = stale_caches(
        &cache_names().await?,
        PRECACHE_PREFIX,
        &precache_name(version),
    );
    for cache in &stale {
        delete_cache(cache).await?;
    }
    Ok(stale)
}

/// A precached file, for fallbacks (the offline page, the placeholder image).
pub async fn file(version: &str, url: &str) -> Result<Option<Response>, SwError> {
    lookup(&precache_name(version), url).await
}

/// "/pkg/mozi.css" from "http://host/pkg/mozi.css".
pub fn path_and_query(url: &str) -> &str {
    match after_scheme(url) {
        Some(rest) => rest.find('/').map_or("/", |index| &rest[index..]),
        None => url,
    }
}
