//! The fetch handler: finds the route, runs its strategy, and turns every
//! failure into a useful response rather than a rejected promise.

use crate::caches::{IMAGES, PAGES, RUNTIME};
use crate::error::{code, SwError};
use crate::messages::{report_offline, report_online};
use crate::routing::{route_for, Matcher, RequestFacts, NAVIGATION_CACHE};
use crate::scope::{delete_cache, fetch, now_ms, open_cache, resolve, scope};
use crate::state::WorkerState;
use crate::store::{cached_at, keys, lookup};
use crate::strategies::{store_copy_in_background, LocalFuture};
use crate::url::cache_key;
use crate::{expiration, offline_page, precache, refresh, strategies};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{FetchEvent, Headers, Request, RequestMode, Response, ResponseInit, ResponseType};

/// The static files fallbacks are made of (both in the precache).
const OFFLINE_TEMPLATE: &str = "/offline.html";
const PLACEHOLDER_IMAGE: &str = "/images/placeholder.svg";

fn facts<'a>(
    request: &Request,
    url: &'a str,
    method: &'a str,
    state: &WorkerState,
) -> RequestFacts<'a> {
    let origin = scope().location().origin();
    let same_origin = url.starts_with(&origin) && url[origin.len()..].starts_with(['/', '?', '#'])
        || url == origin;
    let path = precache::path_and_query(url);
    RequestFacts {
        method,
        url,
        same_origin,
        navigation: request.mode() == RequestMode::Navigate,
        destination: destination(request),
        precached: same_origin && state.is_precached(path),
    }
}

fn destination(request: &Request) -> &'static str {
    match request.destination() {
        web_sys::RequestDestination::Image => "image",
        web_sys::RequestDestination::Document => "document",
        web_sys::RequestDestination::Script => "script",
        web_sys::RequestDestination::Style => "style",
        _ => "",
    }
}

/// Whether the worker answers `request` at all; the rest goes straight to
/// the browser's network stack.
pub fn handles(request: &Request, state: &WorkerState) -> bool {
    let (url, method) = (request.url(), request.method());
    route_for(&facts(request, &url, &method, state)).is_some()
}

pub async fn respond(event: FetchEvent, state: &WorkerState) -> Response {
    let request = event.request();
    let (url, method) = (request.url(), request.method());
    let Some(route) = route_for(&facts(&request, &url, &method, state)) else {
        return fetch(&request)
            .await
            .unwrap_or_else(|_| unreachable_response());
    };
    let strategy = strategies::build(route.strategy, &state.precache);
    let result = strategy.handle(&request, &event).await;
    finish(route.matcher, result, &event, &request, state).await
}

/// A navigation the bootstrap answered with its preload response before
/// this module ran (a cold start; never a precached URL): what the
/// navigation route does with a network answer, done on `copy`, a clone of
/// that answer.
pub fn navigation_answered(event: &FetchEvent, copy: Response) {
    let key = cache_key(&event.request().url());
    store_copy_in_background(event, NAVIGATION_CACHE, key, copy);
    report_online();
}

/// What each kind of request makes of its strategy's outcome, one boxed
/// future per kind: a cold worker compiles (lazily, function by function)
/// the code of the kind it answers, not that of every kind in one function.
fn finish<'a>(
    matcher: Matcher,
    result: Result<Response, SwError>,
    event: &'a FetchEvent,
    request: &'a Request,
    state: &'a WorkerState,
) -> LocalFuture<'a, Response> {
    match matcher {
        Matcher::AccountChange => Box::pin(async move {
            match result {
                Ok(response) => {
                    if account_changed(&response) {
                        clear_user_data().await;
                    }
                    response
                }
                Err(_) => unreachable_response(),
            }
        }),
        Matcher::Precached => Box::pin(async move {
            match result {
                Ok(response) => response,
                Err(_) => fetch(request)
                    .await
                    .unwrap_or_else(|_| unreachable_response()),
            }
        }),
        Matcher::Navigation => Box::pin(async move {
            match result {
                Ok(response) => match cached_at(&response) {
                    // Behind `dyn`, as below: the code of the offline answers
                    // is compiled only when one is given.
                    Some(saved_at) => {
                        report_offline(saved_at);
                        let marked: LocalFuture<'_, _> =
                            Box::pin(marked_offline(response, saved_at));
                        marked.await.unwrap_or_else(|_| unreachable_response())
                    }
                    None => {
                        report_online();
                        response
                    }
                },
                Err(_) => {
                    report_offline(now_ms());
                    let page: LocalFuture<'_, _> = Box::pin(offline_page(state));
                    page.await.unwrap_or_else(|_| unreachable_response())
                }
            }
        }),
        Matcher::DataRead => Box::pin(async move {
            match result {
                Ok(response) => {
                    match cached_at(&response) {
                        Some(saved_at) => report_offline(saved_at),
                        None => report_online(),
                    }
                    response
                }
                Err(_) => {
                    report_offline(now_ms());
                    unreachable_response()
                }
            }
        }),
        Matcher::Image => Box::pin(async move {
            match result {
                Ok(response) => {
                    let trim = future_to_promise(async {
                        expire_images().await?;
                        Ok(JsValue::UNDEFINED)
                    });
                    let _ = event.wait_until(&trim);
                    response
                }
                Err(_) => precache::file(&state.version, PLACEHOLDER_IMAGE)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(unreachable_response),
            }
        }),
        Matcher::OtherStatic => {
            Box::pin(async move { result.unwrap_or_else(|_| unreachable_response()) })
        }
    }
}

/// What a request gets when neither the network nor a cache can answer:
/// the app's own error shape, so pages show "can't reach MOZI".
fn unreachable_response() -> Response {
    let body = r#"{"code":"unreachable","message":"Can't reach MOZI right now. Check your connection and try again."}"#;
    new_response(body, 503, "application/json").unwrap_or_else(|_| Response::error())
}

/// A response made here; the content type goes in with the headers,
/// as a string body would otherwise be served as text/plain.
fn new_response(body: &str, status: u16, content_type: &str) -> Result<Response, SwError> {
    new_response_with(body, status, &[("content-type", content_type)])
}

fn new_response_with(
    body: &str,
    status: u16,
    fields: &[(&str, &str)],
) -> Result<Response, SwError> {
    let headers = Headers::new().map_err(SwError::from_js(code::CACHE_STORAGE))?;
    for (name, value) in fields {
        headers
            .set(name, value)
            .map_err(SwError::from_js(code::CACHE_STORAGE))?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(body), &init)
        .map_err(SwError::from_js(code::CACHE_STORAGE))
}

/// A cached page with a marker its offline indicator reads, under the
/// policy it was served with (which names the nonce of its scripts).
async fn marked_offline(response: Response, saved_at: f64) -> Result<Response, SwError> {
    let html = text_of(&response).await?;
    // Whole milliseconds, printed as an integer: float formatting would add
    // its machinery to the worker's wasm.
    let marked = offline_page::mark_offline(&html, &(saved_at as i64).to_string());
    let policy = response
        .headers()
        .get(CSP_HEADER)
        .ok()
        .flatten()
        .unwrap_or_else(|| mozi_core::content_security_policy(None, None));
    html_response(&marked, 200, &policy)
}

async fn text_of(response: &Response) -> Result<String, SwError> {
    let text = resolve(
        response
            .text()
            .map_err(SwError::from_js(code::CACHE_STORAGE))?,
        code::CACHE_STORAGE,
    )
    .await?;
    Ok(text.as_string().unwrap_or_default())
}

const CSP_HEADER: &str = "content-security-policy";

fn html_response(html: &str, status: u16, policy: &str) -> Result<Response, SwError> {
    new_response_with(
        html,
        status,
        &[
            ("content-type", "text/html; charset=utf-8"),
            (CSP_HEADER, policy),
        ],
    )
}

/// The offline page, listing every page saved on this device.
async fn offline_page(state: &WorkerState) -> Result<Response, SwError> {
    let template = precache::file(&state.version, OFFLINE_TEMPLATE)
        .await?
        .ok_or_else(|| SwError::new(code::CACHE_MISS, OFFLINE_TEMPLATE))?;
    let template = text_of(&template).await?;
    let mut pages = Vec::new();
    for url in keys(PAGES).await? {
        if let Some(page) = lookup(PAGES, &url).await? {
            let title =
                offline_page::title_of(&text_of(&page).await?).unwrap_or_else(|| url.clone());
            pages.push((precache::path_and_query(&url).to_owned(), title));
        }
    }
    html_response(
        &offline_page::render(&template, &pages),
        503,
        &mozi_core::content_security_policy(None, None),
    )
}

/// Whether the server carried out a sign-in, sign-up or sign-out. The app's
/// own call gets 200. A plain HTML form post (no JavaScript, or sent before
/// the page hydrated) is a navigation, fetched with `redirect: "manual"`:
/// the server's 302 to the next page reaches the worker as an opaque
/// redirect (status 0, not `ok`), yet the change is done, and the browser
/// follows the redirect as a new navigation. Such a post that the server
/// refused also ends in a redirect (back to the form, with the error); the
/// worker cannot tell the two apart, and clearing then costs only copies
/// made while signed out, fetched again when next seen.
fn account_changed(response: &Response) -> bool {
    response.ok() || response.type_() == ResponseType::Opaqueredirect
}

/// Forgets every runtime cache (the pages and reads of the signed-in user,
/// and the images and files fetched for them), so the next person on this
/// device never sees them. The precache, the app itself, stays.
pub async fn clear_user_data() {
    refresh::account_changed();
    for cache in RUNTIME {
        if let Err(error) = delete_cache(cache).await {
            web_sys::console::error_1(&JsValue::from(error));
        }
    }
}

async fn expire_images() -> Result<(), SwError> {
    let cache = open_cache(IMAGES).await?;
    let mut entries = Vec::new();
    for url in keys(IMAGES).await? {
        if let Some(response) = lookup(IMAGES, &url).await? {
            entries.push((url, cached_at(&response).unwrap_or(0.0)));
        }
    }
    for url in expiration::expired(&entries, now_ms(), expiration::IMAGES) {
        resolve(cache.delete_with_str(&url), code::CACHE_STORAGE).await?;
    }
    Ok(())
}
