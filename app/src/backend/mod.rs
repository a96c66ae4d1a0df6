//! Server-side support for the server functions: shared state, the signed-in
//! user, password hashing and live updates. Compiled only with `ssr`.

mod auth;
mod live;
mod state;

pub use auth::{
    hash_password, require_user, session, signed_in_user, verify_password, USER_ID_KEY,
};
pub use live::LiveHub;
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
        }
    }
    result
}

/// The server's clock in Unix milliseconds.
pub fn now_millis() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
