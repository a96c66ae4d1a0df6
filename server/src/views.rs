//! `POST /api/views`: page views a device kept while offline, each with how
//! long ago it happened. Views older than a day were left out on the device;
//! the log counts them, so a dashboard can tell how much offline use it
//! misses.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::Json;
use mozi_core::AppError;
use mozi_outbox::ViewReport;

pub async fn report(
    report: Result<Json<ViewReport>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let Json(report) = report.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The view report could not be read: {}",
            rejection.body_text()
        ))
    })?;
    for view in &report.views {
        tracing::info!(path = %view.path, ago_ms = view.ago_ms, "page view");
    }
    tracing::info!(
        received = report.views.len(),
        dropped = report.dropped,
        "page views reported; dropped ones were older than 24 hours"
    );
    Ok(StatusCode::NO_CONTENT)
}
