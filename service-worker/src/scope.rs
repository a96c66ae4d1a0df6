//! The worker's global scope and the small async helpers every module uses.

use crate::error::{code, SwError};
use js_sys::{Promise, Uint8Array};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Cache, CacheStorage, Request, RequestCache, RequestInit, Response, ServiceWorkerGlobalScope,
};

pub fn scope() -> ServiceWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub async fn resolve(promise: Promise, failure: &'static str) -> Result<JsValue, SwError> {
    JsFuture::from(promise)
        .await
        .map_err(SwError::from_js(failure))
}

pub fn cache_storage() -> Result<CacheStorage, SwError> {
    scope()
        .caches()
        .map_err(SwError::from_js(code::CACHE_STORAGE))
}

pub async fn open_cache(name: &str) -> Result<Cache, SwError> {
    let cache = resolve(cache_storage()?.open(name), code::CACHE_STORAGE).await?;
    Ok(cache.unchecked_into())
}

pub async fn cache_names() -> Result<Vec<String>, SwError> {
    let names = resolve(cache_storage()?.keys(), code::CACHE_STORAGE).await?;
    Ok(js_sys::Array::from(&names)
        .iter()
        .filter_map(|name| name.as_string())
        .collect())
}

pub async fn delete_cache(name: &str) -> Result<(), SwError> {
    resolve(cache_storage()?.delete(name), code::CACHE_STORAGE).await?;
    Ok(())
}

pub async fn fetch(request: &Request) -> Result<Response, SwError> {
    let response = resolve(scope().fetch_with_request(request), code::NETWORK_FAILED).await?;
    Ok(response.unchecked_into())
}

/// Fetches `url` past the HTTP cache, as precaching must.
pub async fn fetch_fresh(url: &str) -> Result<Response, SwError> {
    fetch_with_cache(url, RequestCache::Reload).await
}

pub async fn fetch_with_cache(url: &str, cache: RequestCache) -> Result<Response, SwError> {
    let init = RequestInit::new();
    init.set_cache(cache);
    let response = resolve(
        scope().fetch_with_str_and_init(url, &init),
        code::NETWORK_FAILED,
    )
    .await?;
    Ok(response.unchecked_into())
}

pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let delay = i32::try_from(ms).unwrap_or(i32::MAX);
        // If the timer cannot be set the promise never resolves, and the
        // race it is part of is decided by the other side.
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay);
    });
    let _ = JsFuture::from(promise).await;
}

/// Resumes in a later task. Work that only follows an answer (a copy to
/// keep, a message to pages) waits for this, so the page gets its answer
/// first; in a cold worker that work's code is compiled after it, too.
pub async fn after_this_task() {
    sleep(0).await;
}

pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of two futures finishes first.
pub async fn first_of<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(value));
        }
        if let Poll::Ready(value) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(value));
        }
        Poll::Pending
    })
    .await
}

/// Lower-case hex SHA-256 of `bytes`, by the browser's own crypto.
pub async fn sha256_hex(bytes: &Uint8Array) -> Result<String, SwError> {
    let subtle = scope()
        .crypto()
        .map_err(SwError::from_js(code::PRECACHE_HASH_MISMATCH))?
        .subtle();
    let digest = subtle
        .digest_with_str_and_buffer_source("SHA-256", bytes)
        .map_err(SwError::from_js(code::PRECACHE_HASH_MISMATCH))?;
    let digest = resolve(digest, code::PRECACHE_HASH_MISMATCH).await?;
    Ok(Uint8Array::new(&digest)
        .to_vec()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}
