use crate::api::schedule::SetBookmark;
use leptos::prelude::*;
use mozi_core::SessionId;

/// "Add to My schedule" / "Remove from My schedule". The button flips at
/// once; if the server refuses, it flips back and says why.
#[component]
pub fn BookmarkButton(
    session: SessionId,
    bookmarked: bool,
    /// Called with the new state once the server has stored it.
    #[prop(optional, into)]
    on_saved: Option<Callback<bool>>,
) -> impl IntoView {
    let pressed = RwSignal::new(bookmarked);
    let save = ServerAction::<SetBookmark>::new();
    let error = RwSignal::new(None::<String>);

    Effect::new(move |_| match save.value().get() {
        Some(Ok(now)) => {
            pressed.set(now);
            error.set(None);
            if let Some(on_saved) = on_saved {
                on_saved.run(now);
            }
        }
        Some(Err(failure)) => {
            if let Some(input) = save.input().get_untracked() {
                pressed.set(!input.bookmarked);
            }
            error.set(Some(failure.to_string()));
        }
        None => {}
    });

    let toggle = move |_| {
        let want = !pressed.get_untracked();
        pressed.set(want);
        error.set(None);
        save.dispatch(SetBookmark {
            session,
            bookmarked: want,
        });
    };

    view! {
        <button
            type="button"
            class="bookmark"
            aria-pressed=move || pressed.get().to_string()
            aria-busy=move || save.pending().get().to_string()
            on:click=toggle
        >
            {move || if pressed.get() { "Remove from My schedule" } else { "Add to My schedule" }}
        </button>
        {move || error.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
    }
}
