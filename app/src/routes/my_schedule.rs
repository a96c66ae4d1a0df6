use crate::api::schedule::get_my_schedule;
use crate::components::{use_auth, ErrorNotice, Loading, SessionCard};
use leptos::prelude::*;
use leptos_meta::Title;
use mozi_core::AppError;

/// `/my-schedule`: the signed-in user's bookmarks in time order.
#[component]
pub fn MySchedulePage() -> impl IntoView {
    let auth = use_auth();
    // Bumped when a bookmark is removed here, so the list drops it.
    let saved = RwSignal::new(0_u32);
    let sessions = Resource::new(
        move || (auth.generation(), saved.get()),
        |_| get_my_schedule(),
    );
    let on_saved = Callback::new(move |_: bool| saved.update(|count| *count += 1));

    view! {
        <Title text="My schedule"/>
        <h1>"My schedule"</h1>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let sessions = sessions.await?;
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
                                    .map(|session| view! {
                                        <SessionCard session signed_in=true show_day=true on_bookmark_saved=on_saved/>
                                    })
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
