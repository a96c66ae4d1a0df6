use crate::outbox::use_outbox;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mozi_core::{Mutation, SessionId};

/// "Add to My schedule" / "Remove from My schedule". A real form: before
/// the app has loaded (or with JavaScript off) it posts to the server, which
/// applies it and returns to the page. Once loaded, the change is queued on
/// the device instead and shown at once; the header lists it until the
/// server has it, and a refusal shows there with "Retry" and "Discard". A
/// change the device could not keep is reported by the header too.
#[component]
pub fn BookmarkButton(
    session: SessionId,
    /// As the page was loaded.
    bookmarked: bool,
) -> impl IntoView {
    let outbox = use_outbox();
    let pressed = move || outbox.bookmarked(session, bookmarked);
    let toggle = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let mutation = Mutation::SetBookmark {
            session,
            bookmarked: !pressed(),
        };
        spawn_local(async move {
            // A failure is shown by the header's outbox error.
            let _ = outbox.enqueue(mutation).await;
        });
    };

    view! {
        <form class="bookmark-form" method="post" action="/api/set_bookmark" on:submit=toggle>
            <input type="hidden" name="session" value=session.to_string()/>
            <input type="hidden" name="bookmarked" value=move || (!pressed()).to_string()/>
            <button
                type="submit"
                class="bookmark"
                aria-pressed=move || pressed().to_string()
                aria-busy=move || outbox.bookmark_queued(session).to_string()
            >
                {move || if pressed() { "Remove from My schedule" } else { "Add to My schedule" }}
            </button>
        </form>
    }
}
