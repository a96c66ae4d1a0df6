//! `/api/events`: the signed-in user's live updates as server-sent events.
//!
//! SSE rather than a WebSocket: updates flow one way, it is plain HTTP that
//! the service worker can simply pass through, and the browser reconnects
//! by itself, sending the id of the last event it got (`Last-Event-ID`):
//! the stream resumes after it, on whichever server the reconnection
//! reaches, with no gap and no duplicate.

use app::backend::now_millis;
use app::backend::{signed_in, AppState, Delivery};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use mozi_core::{AppError, LiveEvent};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tower_sessions::Session;

/// The id a reconnecting stream last got: the browser's `Last-Event-ID` on
/// its own reconnects, else the page's query parameter when it opened a new
/// stream in place of a silent one. One that is not a number was not sent
/// by us: read as an id no stream has, so the page refetches.
fn last_seen(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<i64> {
    let id = match headers.get("last-event-id") {
        Some(header) => header.to_str().ok(),
        None => Some(query.get(LiveEvent::LAST_EVENT_ID_PARAM)?.as_str()),
    };
    Some(id.and_then(|id| id.trim().parse().ok()).unwrap_or(-1))
}

pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
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
        .subscribe(
            signed_in.user,
            session_id,
            until,
            last_seen(&headers, &query),
        )
        .await?
        .map(|delivery| {
            Ok(match delivery {
                // Stored as the JSON it is sent as.
                Delivery::Event(event) => Event::default()
                    .event(LiveEvent::SSE_NAME)
                    .id(event.id.to_string())
                    .data(event.json),
                Delivery::Refetch { id } => Event::default()
                    .event(LiveEvent::REFETCH_SSE_NAME)
                    .id(id.to_string())
                    .data(""),
            })
        });
    // A data line of its own: a page is never given an event without one.
    let keep_alive = Event::default()
        .event(LiveEvent::KEEP_ALIVE_SSE_NAME)
        .data("1");
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(LiveEvent::KEEP_ALIVE_SECS))
            .event(keep_alive),
    ))
}
