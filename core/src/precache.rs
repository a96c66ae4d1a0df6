//! The name of a version's precache. The server writes it into `/sw.js`,
//! whose bootstrap reads the worker's wasm from that cache alone; the
//! worker fills it on install and deletes the other versions' on activate.

/// Precache caches are per version: `mozi-precache-<version>`.
pub const PRECACHE_PREFIX: &str = "mozi-precache-";

/// Made without `format!` or `concat`: a cold worker runs this before its
/// first answer, and V8 compiles each function at its first call.
pub fn precache_name(version: &str) -> String {
    let mut name = String::with_capacity(PRECACHE_PREFIX.len() + version.len());
    name.push_str(PRECACHE_PREFIX);
    name.push_str(version);
    name
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
}
