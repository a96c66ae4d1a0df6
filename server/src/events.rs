//! `/api/events`: the signed-in user's live updates as server-sent events.
//!
//! SSE rather than a WebSocket: updates flow one way, it is plain HTTP that
//! the service worker can simply pass through, and the browser reconnects
//! by itself.

use app::backend::now_millis;
use app::backend::{signed_in, AppState};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use mozi_core::{AppError, LiveEvent};
use std::convert::Infallible;
use std::time::Duration;
use tower_sessions::Session;

pub async fn stream(
    State(state): State<AppState>,
    session: Session,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let signed_in = signed_in(&session)
        .await?
        .ok_or_else(AppError::sign_in_required)?;
    let session_id = session
        .id()
        .map(|id| id.to_string())
        .ok_or_else(AppError::sign_in_required)?;
    // The stream ends with its session: at sign-out, or when the session
    // would expire, whichever comes first.
    let now = now_millis();
    let idle_end = session.expiry_date().unix_timestamp().saturating_mul(1_000);
    let ends_in_ms = signed_in.ends_at().min(idle_end).saturating_sub(now).max(0);
    let until = tokio::time::Instant::now()
        + Duration::from_millis(u64::try_from(ends_in_ms).unwrap_or_default());
    let events = state
        .live
        .subscribe(signed_in.user, session_id, until)
        .filter_map(|event| async move {
            match Event::default()
                .event(LiveEvent::SSE_NAME)
                .json_data(&event)
            {
                Ok(event) => Some(Ok(event)),
                Err(error) => {
                    tracing::error!(%error, "could not encode a live event");
                    None
                }
            }
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
