//! server_fn answers errors raised before a server function's body runs
//! (an unreadable argument, say) with status 500 whatever the error is.
//! This layer gives such answers the status their [`AppError`] maps to, so
//! a malformed request is a 400, as the same error from the body would be.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use mozi_core::AppError;

/// Error bodies are a short JSON object.
const MAX_ERROR_BYTES: usize = 16 * 1024;

pub async fn status_from_app_error(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}
