//! The outbox in the UI: each queued change's state, and the header's
//! "N pending" with the list of what is not sent yet.

use crate::any_view::IntoAnyView;
use crate::outbox::use_outbox;
use crate::sign_in_url;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use mozi_core::Mutation;
use mozi_outbox::{ItemState, OutboxRecord};
use std::sync::Arc;

/// "Sending…" or "Failed" (with the reason, "Retry" and "Discard") for one
/// queued change.
#[component]
pub fn QueuedStatus(record: Arc<OutboxRecord>) -> impl IntoView {
    let outbox = use_outbox();
    let key = record.key;
    let label = status_label(&record.state);
    let failed = matches!(record.state, ItemState::Failed { .. });
    view! {
        // Keyed with its record, and its controls named, so that focus can
        // find them again when the thread's rows move (`routes::thread`).
        <span class="delivery" class:failed=failed data-key=key.to_string()>
            <span class="state">{label}</span>
            {record.last_error.clone().map(|detail| view! { <span class="detail">{detail}</span> })}
            {failed.then(|| view! {
                <button type="button" name="retry" on:click=move |_| outbox.retry(key)>"Retry"</button>
                <button type="button" name="discard" on:click=move |_| outbox.discard(key)>"Discard"</button>
            })}
        </span>
    }
}

/// A queued record's state, in words.
fn status_label(state: &ItemState) -> &'static str {
    match state {
        ItemState::Failed { .. } => "Failed",
        ItemState::NeedsSignIn => "Waiting for sign-in",
        ItemState::Pending | ItemState::Sending => "Sending…",
    }
}

/// What a queued change is, in words.
pub fn describe(mutation: &Mutation) -> String {
    match mutation {
        Mutation::SendMessage { body, .. } => format!("Message: “{body}”"),
        Mutation::StartConversation { usernames, .. } => {
            format!("New conversation with {usernames}")
        }
        Mutation::SetBookmark {
            session,
            bookmarked: true,
        } => format!("Add session {session} to My schedule"),
        Mutation::SetBookmark { session, .. } => {
            format!("Remove session {session} from My schedule")
        }
    }
}

/// "N pending" while the signed-in user has queued changes; it opens the
/// list of them. Also asks for a new sign-in when the server wanted one,
/// and says when the device could not keep a change. Most pages show none
/// of it, and only in the browser: its code is a module of its own, loaded
/// the first time there is something to show.
#[component]
pub fn PendingChanges() -> impl IntoView {
    let outbox = use_outbox();
    let shown = Memo::new(move |_| {
        outbox.items.with(|items| !items.is_empty()) || outbox.error.with(Option::is_some)
    });
    move || shown.get().then(|| Suspend::new(loaded_queued_changes()))
}

/// [`QueuedChanges`], once its module is loaded (in the browser; offline
/// before the worker has precached it, once the browser is back online).
/// `Send`, as a `Suspend` wants: the page has one thread.
fn loaded_queued_changes() -> impl std::future::Future<Output = AnyView> + Send {
    #[cfg(feature = "hydrate")]
    return send_wrapper::SendWrapper::new(crate::split::until_loaded(|| {
        Box::pin(load_queued_changes())
    }));
    #[cfg(not(feature = "hydrate"))]
    return std::future::ready(queued_changes());
}

/// The split point: the code of [`QueuedChanges`] is in the module this loads.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(queued_changes, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load_queued_changes() -> Result<AnyView, crate::split::SplitLoaderError> {
    Ok(queued_changes())
}

fn queued_changes() -> AnyView {
    view! { <QueuedChanges/> }.into_any_view()
}

/// What [`PendingChanges`] shows.
#[component]
fn QueuedChanges() -> impl IntoView {
    let outbox = use_outbox();
    let location = use_location();
    let open = RwSignal::new(false);
    let count = move || outbox.items.with(Vec::len);
    let waiting_for_sign_in = move || {
        outbox.items.with(|items| {
            items
                .iter()
                .filter(|record| matches!(record.state, ItemState::NeedsSignIn))
                .count()
        })
    };
    view! {
        <Show when=move || { count() > 0 }>
            <div class="pending">
                <button
                    type="button"
                    class="pending-toggle"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="pending-list"
                    // A live region inside a button does not name it.
                    aria-labelledby="pending-count"
                    on:click=move |_| open.update(|open| *open = !*open)
                >
                    <span id="pending-count" role="status">{move || format!("{} pending", count())}</span>
                </button>
                <Show when=move || open.get()>
                    <section id="pending-list" class="pending-list" aria-label="Not sent yet">
                        <button type="button" on:click=move |_| outbox.retry_all()>"Retry now"</button>
                        <ul>
                            {move || {
                                outbox
                                    .items
                                    .get()
                                    .into_iter()
                                    .map(|record| {
                                        let what = describe(&record.mutation);
                                        view! {
                                            <li class="pending-item">
                                                <span class="what">{what}</span>
                                                <QueuedStatus record/>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    </section>
                </Show>
            </div>
        </Show>
        {move || {
            let waiting = waiting_for_sign_in();
            (waiting > 0).then(|| {
                let next = sign_in_url(&location.pathname.get());
                let changes = if waiting == 1 { "1 change".to_owned() } else { format!("{waiting} changes") };
                view! {
                    <p class="sign-in-again" role="alert">
                        "Your session has ended. "
                        <a href=next>"Sign in again"</a>
                        {format!(" to send {changes}.")}
                    </p>
                }
            })
        }}
        {move || outbox.error.get().map(|error| view! {
            <p class="outbox-error" role="alert">{format!("Changes could not be kept on this device: {error}")}</p>
        })}
    }
}
