//! `POST /api/views`: page views a device kept while offline, each with how
//! long ago it happened. Views older than a day were left out on the device;
//! the log counts them, so a dashboard can tell how much offline use it
//! misses. Only a signed-in user may report, at most
//! [`ViewReport::MAX_VIEWS`] views at a time.

use app::backend::signed_in_user;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::Json;
use mozi_core::AppError;
use mozi_outbox::ViewReport;
use tower_sessions::Session;

pub async fn report(
    session: Session,
    report: Result<Json<ViewReport>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    signed_in_user(&session)
        .await?
        .ok_or_else(AppError::sign_in_required)?;
    let Json(report) = report.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The view report could not be read: {}",
            rejection.body_text()
        ))
    })?;
    if report.views.len() > ViewReport::MAX_VIEWS {
        return Err(AppError::invalid(format!(
            "A report has at most {} views; this one has {}.",
            ViewReport::MAX_VIEWS,
            report.views.len()
        )));
    }
    let mut unreadable = 0;
    for view in &report.views {
        if view.path.len() > ViewReport::MAX_PATH_BYTES || !view.path.starts_with('/') {
            unreadable += 1;
            continue;
        }
        // Debug formatting escapes control characters: a path cannot
        // write a line of its own into the log.
        tracing::info!(path = ?view.path, ago_ms = view.ago_ms, "page view");
    }
    tracing::info!(
        received = report.views.len(),
        dropped = report.dropped,
        unreadable,
        "page views reported; dropped ones were older than 24 hours"
    );
    Ok(StatusCode::NO_CONTENT)
}
