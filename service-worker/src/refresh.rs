//! Saved copies follow the running version. After an update, the pages and
//! reads kept for offline use were made for the previous version: their
//! markup and wording belong to code that no longer runs, and the new app
//! hydrating an old page shows old text, or breaks where the markup
//! changed. Activation fetches every saved copy again in the background,
//! so the device's copies match the new version. A copy that cannot be
//! fetched now (offline, an error, a redirect to sign-in) keeps its old
//! version, which is better than none.

use crate::caches::SAVED_COPIES;
use crate::error::{code, SwError};
use crate::scope::{fetch_fresh, open_cache, resolve};
use crate::store::{is_cacheable, keys, stamped};
use std::cell::Cell;

thread_local! {
    /// Counts account changes: a copy fetched with the previous user's
    /// session must not be stored after their data was cleared.
    static ACCOUNT_CHANGES: Cell<u32> = const { Cell::new(0) };
}

/// Called when the user's pages and reads are cleared.
pub fn account_changed() {
    ACCOUNT_CHANGES.with(|changes| changes.set(changes.get().wrapping_add(1)));
}

fn account_changes() -> u32 {
    ACCOUNT_CHANGES.with(Cell::get)
}

#[derive(Debug, Default)]
pub struct Report {
    pub refreshed: usize,
    pub kept: usize,
}

/// Fetches every saved page and read again and stores the new copies.
pub async fn saved_copies() -> Result<Report, SwError> {
    let account = account_changes();
    let mut report = Report::default();
    for name in SAVED_COPIES {
        for url in keys(name).await? {
            let fresh = match fetch_fresh(&url).await {
                Ok(response) if is_cacheable(&response) && !response.redirected() => response,
                _ => {
                    report.kept += 1;
                    continue;
                }
            };
            let copy = stamped(&fresh)?;
            let cache = open_cache(name).await?;
            if account_changes() != account {
                return Ok(report);
            }
            resolve(cache.put_with_str(&url, &copy), code::CACHE_STORAGE).await?;
            report.refreshed += 1;
        }
    }
    Ok(report)
}
