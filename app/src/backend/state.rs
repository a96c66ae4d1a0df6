use super::{Limits, LiveHub};
use axum::extract::FromRef;
use leptos::prelude::{use_context, LeptosOptions};
use mozi_core::AppError;
use mozi_db::Db;
use std::sync::Arc;

/// Everything a request handler needs; the axum router's state, which
/// leptos_axum also hands to every server function as context.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub live: LiveHub,
    pub limits: Arc<Limits>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// The state of the request being served.
    pub fn current() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            AppError::Internal
        })
    }
}
