use crate::api::schedule::get_my_schedule;
use crate::components::{use_auth, ErrorNotice, Loading, SessionCard};
use crate::outbox::use_outbox;
use leptos::prelude::*;
use leptos_meta::Title;
use mozi_core::AppError;

/// `/my-schedule`: the signed-in user's bookmarks in time order. A removal
/// still queued on the device already hides its session; an addition shows
/// once the server has it.
#[component]
pub fn MySchedulePage() -> impl IntoView {
    let auth = use_auth();
    let outbox = use_outbox();
    let sessions = Resource::new(
        move || (auth.generation(), outbox.bookmark_confirmations()),
        |_| get_my_schedule(),
    );

    view! {
        <Title text="My schedule"/>
        <h1>"My schedule"</h1>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let sessions: Vec<_> = sessions
                        .await?
                        .into_iter()
                        .filter(|session| outbox.bookmarked(session.id, true))
                        .collect();
                    Ok::<_, AppError>(if sessions.is_empty() {
                        view! {
                            <p class="empty">
                                "Nothing here yet. Add sessions from the "
                                <a href="/">"schedule"</a>" with “Add to My schedule”."
                            </p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <ul class="sessions">
                                {sessions
                                    .into_iter()
                                    .map(|session| view! { <SessionCard session signed_in=true show_day=true/> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
