//! Server-side support for the server functions: shared state, the signed-in
//! user, password hashing and live updates. Compiled only with `ssr`.

mod auth;
mod limits;
mod live;
mod state;
pub mod writes;

pub use auth::{
    end_session, hash_password, prepare_password_checks, require_user, session, signed_in,
    signed_in_user, start_session, verify_password, SignedIn,
};
pub use limits::Limits;
pub use live::{Delivery, LiveHub};
pub use state::AppState;

use axum::http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use mozi_core::{AppError, UnixMillis};
use std::future::Future;

/// Runs a server function's body: an error sets the response's status code
/// to the one its variant maps to, so the client gets a real 4xx/5xx.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result {
        if let Some(response) = use_context::<ResponseOptions>() {
            response.set_status(
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
            if let Some(secs) = error.retry_after_secs() {
                response.insert_header(axum::http::header::RETRY_AFTER, secs.into());
            }
        }
    }
    result
}

/// The address of the client of the request being served, when the server
/// knows it (requests built in tests have none).
pub async fn client_ip() -> Option<std::net::IpAddr> {
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|axum::extract::ConnectInfo(address)| address.ip())
}

/// The server's clock in Unix milliseconds.
pub fn now_millis() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
