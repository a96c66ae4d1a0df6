//! Which cached images to drop: anything older than the age limit, then the
//! oldest beyond the entry limit.

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_age_ms: f64,
}

/// Images: enough for every speaker photo, refreshed monthly.
pub const IMAGES: Limits = Limits {
    max_entries: 120,
    max_age_ms: 30.0 * 24.0 * 3600.0 * 1000.0,
};

/// `entries` are (key, stored-at in ms); returns the keys to delete.
pub fn expired(entries: &[(String, f64)], now: f64, limits: Limits) -> Vec<String> {
    let mut fresh: Vec<&(String, f64)> = Vec::with_capacity(entries.len());
    let mut doomed = Vec::new();
    for entry in entries {
        if now - entry.1 > limits.max_age_ms {
            doomed.push(entry.0.clone());
        } else {
            fresh.push(entry);
        }
    }
    // The oldest, one at a time: usually one image over the limit, and no
    // sorting code in the worker's wasm.
    while fresh.len() > limits.max_entries {
        let Some((oldest, _)) = fresh
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| a.1.total_cmp(&b.1))
        else {
            break;
        };
        doomed.push(fresh.swap_remove(oldest).0.clone());
    }
    doomed
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_entries: 2,
        max_age_ms: 100.0,
    };

    fn entries(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter()
            .map(|(key, at)| (key.to_string(), *at))
            .collect()
    }

    #[test]
    fn old_entries_go_first_then_the_oldest_beyond_the_limit() {
        let cached = entries(&[("a", 950.0), ("old", 850.0), ("b", 990.0), ("c", 960.0)]);
        let mut doomed = expired(&cached, 1_000.0, LIMITS);
        doomed.sort();
        assert_eq!(doomed, ["a", "old"]);
    }

    #[test]
    fn nothing_expires_within_limits() {
        let cached = entries(&[("a", 950.0), ("b", 990.0)]);
        assert!(expired(&cached, 1_000.0, LIMITS).is_empty());
    }
}
