//! Health for load balancers and orchestrators: `/healthz` says the process
//! answers (liveness), `/readyz` that this server should be sent requests
//! (readiness): its database answers with every migration applied, and it
//! is not shutting down.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use mozi_db::Db;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set once the server has been asked to stop: it finishes what it has, and
/// load balancers stop sending it more.
#[derive(Clone, Default, Debug)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], text).into_response()
}

pub async fn healthz() -> Response {
    plain(StatusCode::OK, "alive")
}

pub async fn readyz(db: Db, draining: Draining) -> Response {
    if draining.is_on() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match db.readiness().await {
        Ok(()) => plain(StatusCode::OK, "ready"),
        Err(reason) => plain(StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}
