//! The precache manifest as the server writes it into `/sw.js`: one line
//! per file, `<url> <hash>`. The worker keeps that text as it is. A cold
//! worker answers its first request sooner when starting costs one string
//! from JS rather than a pair of strings per file; a lookup reads the
//! text (sixty lines, a few KB) without copying it.

use super::Entry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest(String);

impl Manifest {
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

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.lines().filter_map(|line| line.split_once(' '))
    }

    /// Whether the file at `path` (path and query) is precached.
    pub fn lists(&self, path: &str) -> bool {
        self.pairs().any(|(url, _)| url == path)
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.pairs()
            .map(|(url, hash)| Entry {
                url: url.to_owned(),
                hash: hash.to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_urls_with_their_hashes() {
        let manifest =
            Manifest::parse("/offline.html 0a1b\n/pkg/mozi.css 2c3d".to_owned()).unwrap();
        assert!(manifest.lists("/pkg/mozi.css"));
        assert!(!manifest.lists("/pkg/mozi"));
        assert!(!manifest.lists("0a1b"));
        assert_eq!(
            manifest.entries(),
            [
                Entry {
                    url: "/offline.html".into(),
                    hash: "0a1b".into()
                },
                Entry {
                    url: "/pkg/mozi.css".into(),
                    hash: "2c3d".into()
                },
            ]
        );
    }

    #[test]
    fn a_line_without_its_hash_is_refused() {
        assert!(Manifest::parse("/offline.html 0a1b\n/pkg/mozi.css".to_owned()).is_err());
        assert!(Manifest::parse("/pkg/mozi.css ".to_owned()).is_err());
        assert!(Manifest::parse("pkg/mozi.css 2c3d".to_owned()).is_err());
    }
}
