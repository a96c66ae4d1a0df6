//! Reading and writing runtime caches. Every stored response is stamped
//! with when it was stored, which expiration and "as of HH:MM" read.

use crate::caches::CACHED_AT_HEADER;
use crate::error::{code, SwError};
use crate::scope::{cache_storage, now_ms, open_cache, resolve};
use wasm_bindgen::JsCast;
use web_sys::{CacheQueryOptions, Headers, Response, ResponseInit, ResponseType};

/// Only complete, same-origin answers are worth keeping.
pub fn is_cacheable(response: &Response) -> bool {
    response.status() == 200 && response.type_() == ResponseType::Basic
}

/// When a cached response was stored, or `None` for a network response.
pub fn cached_at(response: &Response) -> Option<f64> {
    response
        .headers()
        .get(CACHED_AT_HEADER)
        .ok()
        .flatten()
        .map(|value| js_sys::Number::parse_float(&value))
        .filter(|at| !at.is_nan())
}

/// A copy of `response` with `extra` headers added; consumes its body.
pub fn with_headers(response: &Response, extra: &[(&str, &str)]) -> Result<Response, SwError> {
    let headers = Headers::new_with_headers(&response.headers())
        .map_err(SwError::from_js(code::CACHE_STORAGE))?;
    for (name, value) in extra {
        headers
            .set(name, value)
            .map_err(SwError::from_js(code::CACHE_STORAGE))?;
    }
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    init.set_headers(&headers);
    Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)
        .map_err(SwError::from_js(code::CACHE_STORAGE))
}

/// A copy of `response` stamped with the time now; consumes its body.
/// Whole milliseconds, written and read without Rust's float formatting
/// and parsing (20 KB of the worker's wasm).
pub fn stamped(response: &Response) -> Result<Response, SwError> {
    with_headers(
        response,
        &[(CACHED_AT_HEADER, &(now_ms() as u64).to_string())],
    )
}

/// Stores `response` (a clone the caller will not read) under `key`.
pub async fn put_stamped(cache: &str, key: &str, response: Response) -> Result<(), SwError> {
    let stamped = stamped(&response)?;
    let cache = open_cache(cache).await?;
    resolve(cache.put_with_str(key, &stamped), code::CACHE_STORAGE).await?;
    Ok(())
}

/// The response stored under `key` in `cache`: one trip to the cache
/// storage (`caches.match` naming the cache, as Workbox reads), not two
/// (`caches.open`, then `match`). A cold worker's first answer waits for it.
pub async fn lookup(cache: &str, key: &str) -> Result<Option<Response>, SwError> {
    let options = CacheQueryOptions::new();
    options.set_cache_name(cache);
    let found = resolve(
        cache_storage()?.match_with_str_and_options(key, &options),
        code::CACHE_STORAGE,
    )
    .await?;
    Ok(found.dyn_into::<Response>().ok())
}

/// Every key of a cache, as URLs.
pub async fn keys(cache: &str) -> Result<Vec<String>, SwError> {
    let cache = open_cache(cache).await?;
    let requests = resolve(cache.keys(), code::CACHE_STORAGE).await?;
    Ok(js_sys::Array::from(&requests)
        .iter()
        .filter_map(|request| request.dyn_into::<web_sys::Request>().ok())
        .map(|request| request.url())
        .collect())
}
