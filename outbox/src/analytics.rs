//! Offline analytics, as in the I/O web app: page views are queued with
//! their time; on replay the server learns how long ago each happened.
//! Views older than a day are dropped — the one queue where dropping is
//! right, since stale analytics mislead — and counted, so the server can
//! log how many.

use mozi_core::UnixMillis;
use serde::{Deserialize, Serialize};

/// Views older than this are not sent (24 hours).
pub const VIEW_MAX_AGE_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub path: String,
    pub viewed_at: UnixMillis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayedView {
    pub path: String,
    /// How long before the replay the view happened.
    pub ago_ms: i64,
}

/// What `POST /api/views` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewReport {
    pub views: Vec<ReplayedView>,
    /// Views left out as older than [`VIEW_MAX_AGE_MS`].
    pub dropped: usize,
}

impl ViewReport {
    /// Views one report may carry; a device sends more in several.
    pub const MAX_VIEWS: usize = 200;
    /// A longer path is not a page of this app: counted, not logged.
    pub const MAX_PATH_BYTES: usize = 512;
}

/// The views still worth sending, and how many were too old.
pub fn replayable_views(views: &[PageView], now: UnixMillis) -> (Vec<ReplayedView>, usize) {
    let mut fresh = Vec::with_capacity(views.len());
    let mut dropped = 0;
    for view in views {
        let ago_ms = now.saturating_sub(view.viewed_at).max(0);
        if ago_ms > VIEW_MAX_AGE_MS {
            dropped += 1;
        } else {
            fresh.push(ReplayedView {
                path: view.path.clone(),
                ago_ms,
            });
        }
    }
    (fresh, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_carry_their_age_and_old_ones_are_counted_out() {
        let now = 2 * VIEW_MAX_AGE_MS;
        let views = [
            PageView {
                path: "/".into(),
                viewed_at: now - 5_000,
            },
            PageView {
                path: "/my-schedule".into(),
                viewed_at: now - VIEW_MAX_AGE_MS - 1,
            },
        ];
        let (fresh, dropped) = replayable_views(&views, now);
        assert_eq!(
            fresh,
            [ReplayedView {
                path: "/".into(),
                ago_ms: 5_000
            }]
        );
        assert_eq!(dropped, 1);
    }
}
