//! What an install has to do: for each manifest entry, reuse a stored copy
//! with the same hash (from any version's precache) or download it.

use mozi_core::PRECACHE_HASH_DIGITS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub url: String,
    pub hash: String,
}

impl Entry {
    /// A URL naming the file's hash never serves other bytes, so a copy in
    /// the HTTP cache (the one the bootstrap just fetched the worker's wasm
    /// into) is as good as a download; any other file is downloaded past it.
    pub fn is_content_addressed(&self) -> bool {
        self.hash
            .get(..PRECACHE_HASH_DIGITS)
            .is_some_and(|prefix| self.url.contains(prefix))
    }
}

/// A response already in some precache cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub cache: String,
    pub url: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Reuse { cache: String },
    Download,
}

pub fn plan<'a>(manifest: &'a [Entry], stored: &[Stored]) -> Vec<(&'a Entry, Source)> {
    manifest
        .iter()
        .map(|entry| {
            let source = stored
                .iter()
                .find(|copy| copy.url == entry.url && copy.hash == entry.hash)
                .map_or(Source::Download, |copy| Source::Reuse {
                    cache: copy.cache.clone(),
                });
            (entry, source)
        })
        .collect()
}

/// The precache caches of other versions of this app; caches with other
/// names are never touched.
pub fn stale_caches(names: &[String], prefix: &str, current: &str) -> Vec<String> {
    names
        .iter()
        .filter(|name| name.starts_with(prefix) && name.as_str() != current)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, hash: &str) -> Entry {
        Entry {
            url: url.into(),
            hash: hash.into(),
        }
    }

    fn stored(cache: &str, url: &str, hash: &str) -> Stored {
        Stored {
            cache: cache.into(),
            url: url.into(),
            hash: hash.into(),
        }
    }

    #[test]
    fn only_changed_entries_are_downloaded() {
        let manifest = [
            entry("/pkg/mozi.css", "new"),
            entry("/pkg/mozi.wasm", "w1"),
            entry("/icons/new.png", "i1"),
        ];
        let previous = [
            stored("mozi-precache-v1", "/pkg/mozi.css", "old"),
            stored("mozi-precache-v1", "/pkg/mozi.wasm", "w1"),
        ];
        let plan = plan(&manifest, &previous);
        assert_eq!(plan[0].1, Source::Download);
        assert_eq!(
            plan[1].1,
            Source::Reuse {
                cache: "mozi-precache-v1".into()
            }
        );
        assert_eq!(plan[2].1, Source::Download);
    }

    #[test]
    fn only_a_url_naming_its_hash_is_content_addressed() {
        let hash = "0123456789abcdef0123";
        assert!(entry("/pkg/mozi-sw.0123456789abcdef.wasm", hash).is_content_addressed());
        assert!(!entry("/pkg/mozi.wasm", hash).is_content_addressed());
        assert!(!entry("/pkg/mozi-sw.0123.wasm", "0123").is_content_addressed());
    }

    #[test]
    fn only_older_precaches_of_this_app_are_stale() {
        let names: Vec<String> = [
            "mozi-precache-v1",
            "mozi-precache-v2",
            "mozi-pages",
            "other-app",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(
            stale_caches(&names, "mozi-precache-", "mozi-precache-v2"),
            ["mozi-precache-v1"]
        );
    }
}
