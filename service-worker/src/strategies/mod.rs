//! Caching strategies, one file each, over the shared cache (`store`) and
//! fetch (`scope`) code.

mod cache_first;
mod cache_only;
mod network_first;
mod network_only;
mod stale_while_revalidate;

pub use cache_first::CacheFirst;
pub use cache_only::CacheOnly;
pub use network_first::NetworkFirst;
pub use network_only::NetworkOnly;
pub use stale_while_revalidate::StaleWhileRevalidate;

use crate::error::SwError;
use crate::routing::StrategyChoice;
use crate::scope::after_this_task;
use crate::store::{is_cacheable, put_stamped};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{FetchEvent, Request, Response};

pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// How one kind of request is answered.
pub trait Strategy {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>>;
}

/// The strategy a route chose; `precache` names the current precache cache.
pub fn build(choice: StrategyChoice, precache: &str) -> Box<dyn Strategy> {
    match choice {
        StrategyChoice::NetworkFirst { cache, timeout_ms } => {
            Box::new(NetworkFirst { cache, timeout_ms })
        }
        StrategyChoice::CacheFirst { cache } => Box::new(CacheFirst { cache }),
        StrategyChoice::StaleWhileRevalidate { cache } => Box::new(StaleWhileRevalidate { cache }),
        StrategyChoice::CacheOnly => Box::new(CacheOnly {
            cache: precache.to_owned(),
        }),
        StrategyChoice::NetworkOnly => Box::new(NetworkOnly),
    }
}

/// Keeps a copy of a good network answer without delaying the page: the
/// write runs under the event's `waitUntil`.
fn store_in_background(event: &FetchEvent, cache: &'static str, key: String, response: &Response) {
    if !is_cacheable(response) {
        return;
    }
    if let Ok(copy) = response.clone() {
        store_copy_in_background(event, cache, key, copy);
    }
}

/// As `store_in_background`, for a copy (a clone nothing else reads) made
/// by whoever answered: the bootstrap, for a cold start's navigation.
pub fn store_copy_in_background(
    event: &FetchEvent,
    cache: &'static str,
    key: String,
    copy: Response,
) {
    if !is_cacheable(&copy) {
        return;
    }
    let write = future_to_promise(async move {
        after_this_task().await;
        put_stamped(cache, &key, copy).await?;
        Ok(JsValue::UNDEFINED)
    });
    // Fails only once the event has finished, when nothing can be kept anyway.
    let _ = event.wait_until(&write);
}
