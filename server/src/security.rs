//! What every response carries to be safe in front of strangers, and the
//! refusal of changes asked for by other sites.
//!
//! - A change (any method but GET/HEAD/OPTIONS) is refused with 403 when the
//!   browser says it comes from another site (`Sec-Fetch-Site`, or failing
//!   that an `Origin` that is not this server). Programs that send neither
//!   (curl, the tests' client) are let through: they hold their own cookies.
//! - HTML gets a strict Content-Security-Policy
//!   ([`mozi_core::content_security_policy`]) naming the nonce Leptos put
//!   on the page's inline scripts, read from the page itself: setting it
//!   from inside the render (through `ResponseOptions`) was now and then
//!   lost (one page load in a whole end-to-end run), and that page could
//!   not hydrate.
//! - Every response: `nosniff`, a same-origin `Referrer-Policy`, no framing,
//!   and HSTS when the server is behind HTTPS.
//! - Pages and `/api` answers are personal: `Cache-Control: private,
//!   no-store` unless the handler chose otherwise. The service worker keeps
//!   its own copies regardless.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mozi_core::AppError;
use std::sync::Arc;

/// How pages reach this server: over HTTPS (`MOZI_INSECURE_HTTP` unset),
/// and, under `cargo leptos watch`, the reload socket's CSP source.
#[derive(Clone)]
pub struct Transport {
    pub secure: bool,
    pub live_reload: Option<Arc<str>>,
}

pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && is_cross_site(request.headers()) {
        tracing::warn!(
            path = ?request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            "refused a cross-site request"
        );
        return AppError::Forbidden(
            "This change was asked for by another site, so it was refused.".into(),
        )
        .into_response();
    }
    let response = next.run(request).await;
    local_redirects_only(response)
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // "none": typed by the user; "same-origin": our own pages.
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(header::ORIGIN) {
        None => false,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok());
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|origin| origin.split_once("://"))
                .map(|(_, host)| host);
            origin_host.is_none() || origin_host != host
        }
    }
}

/// A plain form post is answered with a redirect to the page it came from
/// (its `Referer`). Only a path on this server is followed; anything else
/// goes to the front page.
fn local_redirects_only(mut response: Response) -> Response {
    let Some(location) = response.headers().get(header::LOCATION) else {
        return response;
    };
    let local = location
        .to_str()
        .ok()
        .and_then(local_path)
        .and_then(|path| HeaderValue::from_str(&path).ok());
    let location = local.unwrap_or_else(|| HeaderValue::from_static("/"));
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// The path and query of `location` when it points at this server: a
/// relative path, or an absolute URL whose path is kept (its host is the
/// one the browser sent as `Referer`, which a cross-site request never
/// reaches here with).
fn local_path(location: &str) -> Option<String> {
    let path = match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |start| &rest[start..]),
        None => location,
    };
    // An error cleared from a previous form post can leave a bare "?".
    let path = path.strip_suffix('?').unwrap_or(path);
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .then(|| path.to_owned())
}

pub async fn security_headers(
    State(transport): State<Transport>,
    request: Request,
    next: Next,
) -> Response {
    let personal = is_personal(request.uri().path());
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if transport.secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if (is_html || personal) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    if is_html {
        return with_content_security_policy(response, transport.live_reload.as_deref()).await;
    }
    response
}

/// The nonce a handler put on its page's scripts, when it knows it (a kept
/// page: `page_cache`), so the page need not be read to find it.
#[derive(Clone)]
pub(crate) struct ScriptNonce(pub Arc<str>);

/// The largest page read to find its nonce; pages are a few dozen KB.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Reads the page (rendered whole: `SsrMode::Async`) for the nonce of its
/// first script and sends it under the policy naming that nonce.
async fn with_content_security_policy(response: Response, live_reload: Option<&str>) -> Response {
    let (mut parts, body) = response.into_parts();
    let (body, nonce) = if let Some(ScriptNonce(nonce)) = parts.extensions.get() {
        (body, Some(nonce.to_string()))
    } else if parts.headers.contains_key(header::CONTENT_ENCODING) {
        // A static page (the offline page) comes compressed, and has no
        // script.
        (body, None)
    } else {
        let Ok(page) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
            tracing::error!("a page could not be read to find its script nonce");
            return AppError::Internal.into_response();
        };
        let nonce = script_nonce(&page).map(str::to_owned);
        (axum::body::Body::from(page), nonce)
    };
    let policy = mozi_core::content_security_policy(nonce.as_deref(), live_reload);
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        parts
            .headers
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Response::from_parts(parts, body)
}

/// The nonce of the page's first `<script>`. Only markup can open a tag
/// (text people typed has its `<` escaped), so this is the nonce Leptos
/// wrote, never one written in a name or message.
pub(crate) fn script_nonce(page: &[u8]) -> Option<&str> {
    let page = std::str::from_utf8(page).ok()?;
    let tag_start = page.find("<script")?;
    let tag = &page[tag_start..tag_start + page[tag_start..].find('>')?];
    let value_start = tag.find(" nonce=\"")? + " nonce=\"".len();
    let value = &tag[value_start..];
    let nonce = &value[..value.find('"')?];
    nonce
        .bytes()
        .all(|byte| {
            byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'+' | b'/' | b'=')
        })
        .then_some(nonce)
}

/// `/api` answers hold one user's data (or may: the schedule marks their
/// bookmarks).
fn is_personal(path: &str) -> bool {
    path.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderName;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn only_other_sites_are_cross_site() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        let ours = [("host", "mozi.example"), ("origin", "https://mozi.example")];
        assert!(!is_cross_site(&headers(&ours)));
        let theirs = [("host", "mozi.example"), ("origin", "https://evil.example")];
        assert!(is_cross_site(&headers(&theirs)));
        assert!(is_cross_site(&headers(&[
            ("host", "mozi.example"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn the_nonce_is_read_from_the_first_script_only() {
        let page = br#"<head><script type="module" nonce="abc-_12">x</script></head>
            <p>nonce="evil"</p>"#;
        assert_eq!(script_nonce(page), Some("abc-_12"));
        assert_eq!(script_nonce(b"<p>nonce=\"evil\"</p>"), None);
        assert_eq!(script_nonce(br#"<script nonce="a'b">"#), None);
        assert_eq!(script_nonce(b"<script>"), None);
    }

    #[test]
    fn redirects_stay_on_this_server() {
        assert_eq!(local_path("/sessions/3").as_deref(), Some("/sessions/3"));
        assert_eq!(
            local_path("http://127.0.0.1:3000/sessions/3?x=1").as_deref(),
            Some("/sessions/3?x=1")
        );
        assert_eq!(local_path("https://evil.example").as_deref(), Some("/"));
        assert_eq!(local_path("//evil.example/x"), None);
        assert_eq!(local_path("/\\evil.example"), None);
    }
}
