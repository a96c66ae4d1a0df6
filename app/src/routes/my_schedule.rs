use crate::api::schedule::{get_my_schedule, get_session};
use crate::components::{use_auth, ErrorNotice, Loading, PageTitle, SessionCard};
use crate::outbox::use_outbox;
use leptos::either::Either;
use leptos::prelude::*;
use mozi_core::{AppError, SessionId, SessionSummary};

lazy_page!(MyScheduleRoute, MySchedulePage, my_schedule_route_view);

/// `/my-schedule`: the signed-in user's bookmarks in time order, as the
/// device sees them: a removal still queued hides its session, an addition
/// queued or confirmed since the list was fetched shows it.
#[component]
fn MySchedulePage() -> impl IntoView {
    let auth = use_auth();
    let outbox = use_outbox();
    let confirmed = Resource::new(
        move || (auth.generation(), outbox.bookmark_confirmations()),
        |_| get_my_schedule(),
    );
    let on_device = Resource::new(move || outbox.device_additions(), summaries_of);

    view! {
        <PageTitle text="My schedule"/>
        <h1>"My schedule"</h1>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let mut sessions = confirmed.await?;
                    for session in on_device.await {
                        if !sessions.iter().any(|known| known.id == session.id) {
                            sessions.push(session);
                        }
                    }
                    sessions.retain(|session| outbox.bookmarked(session.id, true));
                    // The server's order: by day, start and room.
                    sessions.sort_by(|a, b| (a.day, &a.starts_at, &a.room).cmp(&(b.day, &b.starts_at, &b.room)));
                    Ok::<_, AppError>(if sessions.is_empty() {
                        Either::Left(view! {
                            <p class="empty">
                                "Nothing here yet. Add sessions from the "
                                <a href="/">"schedule"</a>" with “Add to My schedule”."
                            </p>
                        })
                    } else {
                        Either::Right(view! {
                            <ul class="sessions">
                                {sessions
                                    .into_iter()
                                    .map(|session| view! { <SessionCard session signed_in=true show_day=true/> })
                                    .collect_view()}
                            </ul>
                        })
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The cards of sessions added on this device. One the device cannot load
/// (offline, and its page never opened in the app) shows once the list is
/// fetched again.
async fn summaries_of(sessions: Vec<SessionId>) -> Vec<SessionSummary> {
    let mut summaries = Vec::with_capacity(sessions.len());
    for id in sessions {
        if let Ok(detail) = get_session(id).await {
            summaries.push(detail.summary);
        }
    }
    summaries
}
