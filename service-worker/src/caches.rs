//! The names of every cache the worker owns, in one place.

/// Precache caches are per version: `mozi-precache-<version>`.
pub const PRECACHE_PREFIX: &str = "mozi-precache-";
/// Pages the user visited. Holds user data.
pub const PAGES: &str = "mozi-pages";
/// Server-function reads. Holds user data.
pub const DATA: &str = "mozi-data";
/// Speaker photos and other images.
pub const IMAGES: &str = "mozi-images";
/// Other same-origin files outside the precache.
pub const STATIC: &str = "mozi-static";

/// Caches cleared whenever the signed-in user may change.
pub const USER_DATA: &[&str] = &[PAGES, DATA];

/// Header stored with every runtime-cached response: when it was stored (ms).
pub const CACHED_AT_HEADER: &str = "x-mozi-cached-at";
/// Header stored with every precached response: its content hash.
pub const HASH_HEADER: &str = "x-mozi-hash";

pub fn precache_name(version: &str) -> String {
    format!("{PRECACHE_PREFIX}{version}")
}
