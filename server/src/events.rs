//! `/api/events`: the signed-in user's live updates as server-sent events.
//!
//! SSE rather than a WebSocket: updates flow one way, it is plain HTTP that
//! the service worker can simply pass through, and the browser reconnects
//! by itself.

use app::backend::{signed_in_user, AppState};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use mozi_core::{AppError, LiveEvent};
use std::convert::Infallible;
use tower_sessions::Session;

pub async fn stream(
    State(state): State<AppState>,
    session: Session,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let user = signed_in_user(&session)
        .await?
        .ok_or_else(AppError::sign_in_required)?;
    let events = state.live.subscribe(user).filter_map(|event| async move {
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
