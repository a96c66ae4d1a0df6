//! The names of every cache the worker owns, in one place.

/// The precache's name is shared with the server, which hands it to the
/// bootstrap in `/sw.js`.
pub use mozi_core::{precache_name, PRECACHE_PREFIX};

/// Pages the user visited. Holds user data.
pub const PAGES: &str = "mozi-pages";
/// Server-function reads. Holds user data.
pub const DATA: &str = "mozi-data";
/// Speaker photos and other images.
pub const IMAGES: &str = "mozi-images";
/// Other same-origin files outside the precache.
pub const STATIC: &str = "mozi-static";

/// Every runtime cache, all deleted whenever the signed-in user may change
/// (sign-in, sign-up, sign-out): pages and reads hold the user's data, and
/// the images and files fetched while they used the app tell what they
/// looked at. Sign-out leaves nothing of the user on the device; only the
/// precache, the app itself, stays.
pub const RUNTIME: &[&str] = &[PAGES, DATA, IMAGES, STATIC];

/// Caches whose copies were made by the running version's code and are
/// fetched again after an update (`refresh`): pages and reads. Images and
/// other files do not depend on the version.
pub const SAVED_COPIES: &[&str] = &[PAGES, DATA];

/// Header stored with every runtime-cached response: when it was stored (ms).
pub const CACHED_AT_HEADER: &str = "x-mozi-cached-at";
/// Header stored with every precached response: its content hash.
pub const HASH_HEADER: &str = "x-mozi-hash";
