//! The precache, as the server describes it to the worker in `/sw.js`:
//! the name of a version's precache (whose bootstrap reads the worker's
//! wasm from that cache alone; the worker fills it on install and deletes
//! the other versions' on activate) and the manifest of its files.

/// Precache caches are per version: `mozi-precache-<version>`.
pub const PRECACHE_PREFIX: &str = "mozi-precache-";

/// Hex digits of a file's SHA-256 the manifest gives, which the worker's
/// wasm also carries in its name: 48 bits tell a changed file from its old
/// copy as surely as 256 (a change keeps the same digits once in 2^48), and
/// they are what `/sw.js` cannot compress; with seventy split wasm modules
/// listed, 16 digits each put it over its budget.
pub const PRECACHE_HASH_DIGITS: usize = 12;

/// Made without `format!` or `concat`: a cold worker runs this before its
/// first answer, and V8 compiles each function at its first call.
pub fn precache_name(version: &str) -> String {
    let mut name = String::with_capacity(PRECACHE_PREFIX.len() + version.len());
    name.push_str(PRECACHE_PREFIX);
    name.push_str(version);
    name
}

/// The precache manifest as one text, a line `<url> <hash>` per file. The
/// worker keeps the text as it is: a cold worker answers its first request
/// sooner when starting costs one string from JS rather than a pair of
/// strings per file, and a lookup reads the text (sixty lines, a few KB)
/// without copying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecacheManifest(String);

impl PrecacheManifest {
    /// The manifest of these `(url, hash)` pairs, as the server writes it.
    pub fn of<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let lines: Vec<String> = files
            .into_iter()
            .map(|(url, hash)| format!("{url} {hash}"))
            .collect();
        Self(lines.join("\n"))
    }

    /// Checks every line once, so the readers below can rely on the shape.
    pub fn parse(text: String) -> Result<Self, &'static str> {
        let well_formed = text.lines().all(|line| {
            line.split_once(' ')
                .is_some_and(|(url, hash)| url.starts_with('/') && !hash.is_empty())
        });
        if well_formed {
            Ok(Self(text))
        } else {
            Err("a precache line is not `<url> <hash>`")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every file's `(url, hash)`.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.lines().filter_map(|line| line.split_once(' '))
    }

    /// Whether the file at `path` (path and query) is precached.
    pub fn lists(&self, path: &str) -> bool {
        self.files().any(|(url, _)| url == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precache_is_named_by_its_version() {
        assert_eq!(
            precache_name("1b442f532ac1f28d"),
            "mozi-precache-1b442f532ac1f28d"
        );
        assert!(precache_name("v2").starts_with(PRECACHE_PREFIX));
    }

    #[test]
    fn the_manifest_reads_back_the_files_it_was_written_with() {
        let written = PrecacheManifest::of([("/offline.html", "0a1b"), ("/pkg/mozi.css", "2c3d")]);
        let manifest = PrecacheManifest::parse(written.as_str().to_owned()).unwrap();
        assert!(manifest.lists("/pkg/mozi.css"));
        assert!(!manifest.lists("/pkg/mozi"));
        assert!(!manifest.lists("0a1b"));
        assert_eq!(
            manifest.files().collect::<Vec<_>>(),
            [("/offline.html", "0a1b"), ("/pkg/mozi.css", "2c3d")]
        );
    }

    #[test]
    fn a_line_without_its_hash_is_refused() {
        let parse = |text: &str| PrecacheManifest::parse(text.to_owned());
        assert!(parse("/offline.html 0a1b\n/pkg/mozi.css").is_err());
        assert!(parse("/pkg/mozi.css ").is_err());
        assert!(parse("pkg/mozi.css 2c3d").is_err());
    }
}
