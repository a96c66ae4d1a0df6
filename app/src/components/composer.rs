//! The message box of a conversation. The page hydrates it as a plain form
//! (one that posts to the server before the app has loaded); what it does
//! in the app (checking the message as the server will, queuing it on the
//! device) is a module of its own, fetched once the page is interactive
//! rather than before it hydrates: built as reactive views, that code was a
//! twentieth of the page's first load. Until the module is there, a message
//! sent waits for it, its button busy. The draft is kept from the first
//! keystroke by the page's own script (`crate::drafts`), whatever code has
//! arrived; nothing binds the box's value, so hydration keeps what it holds.

use crate::drafts::Draft;
use crate::outbox::use_outbox;
#[cfg(feature = "hydrate")]
use crate::outbox::Outbox;
use leptos::prelude::*;
#[cfg(not(feature = "hydrate"))]
use mozi_core::MessageId;
use mozi_core::{ConversationId, UserId};

/// The text box's id: its label and the page's draft script find it by it.
pub const MESSAGE_BOX_ID: &str = "message-body";

#[component]
pub fn Composer(conversation: ConversationId, me: Memo<Option<UserId>>) -> impl IntoView {
    let outbox = use_outbox();
    // Effects run only in the browser, after hydration: the module is
    // fetched and the draft returns then.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        leptos::task::spawn_local(async {
            browser::behaviour().await;
        })
    });
    Effect::new(move |_| {
        let saved = me.get().and_then(|me| Draft::new(me, conversation).load());
        #[cfg(feature = "hydrate")]
        if let Some((saved, body)) = saved.zip(browser::body_box()) {
            if body.value().is_empty() {
                body.set_value(&saved);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = saved;
    });
    #[cfg(feature = "hydrate")]
    let send = move |event: leptos::ev::Event| {
        browser::send(event, conversation, me.get_untracked(), outbox);
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = outbox;

    view! {
        <form
            class="composer"
            method="post"
            action="/api/send_message"
            on:submit=move |event| {
                event.prevent_default();
                #[cfg(feature = "hydrate")]
                send(event.into());
            }
        >
            <input type="hidden" name="conversation" value=conversation.to_string()/>
            <input type="hidden" name="id" value=posted_message_id()/>
            <label for=MESSAGE_BOX_ID>"Message"</label>
            <textarea
                id=MESSAGE_BOX_ID
                name="body"
                rows="3"
                aria-invalid="false"
                aria-describedby="composer-status"
            ></textarea>
            <p id="composer-status" class="composer-status"></p>
            <button type="submit" aria-busy="false">"Send"</button>
        </form>
    }
}

/// The id of a message the form posts to the server itself, before the
/// app has loaded. A form the app renders or hydrates never posts: the app
/// queues what it sends, under an id of its own.
fn posted_message_id() -> String {
    #[cfg(not(feature = "hydrate"))]
    return MessageId(crate::outbox::random_uuid()).to_string();
    #[cfg(feature = "hydrate")]
    String::new()
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Outbox, MESSAGE_BOX_ID};
    use crate::drafts::Draft;
    use std::cell::Cell;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlFormElement, HtmlTextAreaElement};

    /// A press of Send, with what the box's module needs to know.
    pub struct Usage {
        pub form: HtmlFormElement,
        pub conversation: mozi_core::ConversationId,
        /// Whose draft it is; `None` before the user is known.
        pub me: Option<mozi_core::UserId>,
        pub outbox: Outbox,
    }

    /// The text box of this page.
    pub fn body_box() -> Option<HtmlTextAreaElement> {
        leptos::prelude::document()
            .get_element_by_id(MESSAGE_BOX_ID)?
            .dyn_into()
            .ok()
    }

    thread_local! {
        /// What the box does, once its module is loaded: the presses after
        /// the first run at once, in the order they happen.
        static LOADED: Cell<Option<fn(Usage)>> = const { Cell::new(None) };
    }

    pub fn send(
        event: leptos::ev::Event,
        conversation: mozi_core::ConversationId,
        me: Option<mozi_core::UserId>,
        outbox: Outbox,
    ) {
        let form = event.target().and_then(|target| {
            let element: Element = target.dyn_into().ok()?;
            element.closest("form").ok().flatten()?.dyn_into().ok()
        });
        let Some(form) = form else {
            return;
        };
        let usage = Usage {
            form,
            conversation,
            me,
            outbox,
        };
        if let Some(behave) = LOADED.get() {
            return behave(usage);
        }
        super::behaviour::set_busy(&usage.form, true);
        leptos::task::spawn_local(async move { behaviour().await(usage) });
    }

    /// What the box does; the first call fetches its module (offline
    /// before the worker has precached it, once the browser is back online).
    pub async fn behaviour() -> fn(Usage) {
        if let Some(behave) = LOADED.get() {
            return behave;
        }
        let behave = crate::split::until_loaded(|| Box::pin(load_behaviour())).await;
        LOADED.set(Some(behave));
        behave
    }

    /// The split point: what the box does is in the module this loads.
    #[leptos::wasm_split::wasm_split(composer, wasm_split_path = ::leptos::wasm_split, fallible)]
    fn load_behaviour() -> Result<fn(Usage), crate::split::SplitLoaderError> {
        Ok(super::behaviour::behave)
    }

    /// The user's draft of this conversation, once the user is known.
    pub fn draft(usage: &Usage) -> Option<Draft> {
        usage.me.map(|me| Draft::new(me, usage.conversation))
    }
}

/// What the box does, set on the form's own elements: the box is not
/// rebuilt by the page, so its state is the form's.
#[cfg(feature = "hydrate")]
mod behaviour {
    use super::browser::{draft, Usage};
    use crate::outbox::{device_now, random_uuid};
    use leptos::task::spawn_local;
    use mozi_core::{MessageBody, MessageId, Mutation};
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlFormElement, HtmlTextAreaElement};

    pub fn behave(usage: Usage) {
        let Some(body) = element::<HtmlTextAreaElement>(&usage.form, "textarea") else {
            return;
        };
        send(usage, body);
    }

    /// Checks the message as the server will, then queues it on the
    /// device; the text stays until it is safely queued.
    fn send(usage: Usage, body: HtmlTextAreaElement) {
        let text = body.value();
        let valid = match MessageBody::parse(&text) {
            Ok(valid) => valid,
            Err(invalid) => {
                show_error(&usage.form, Some(&invalid.to_string()));
                set_busy(&usage.form, false);
                return;
            }
        };
        show_error(&usage.form, None);
        set_busy(&usage.form, true);
        let mutation = Mutation::SendMessage {
            conversation: usage.conversation,
            id: MessageId(random_uuid()),
            body: valid.as_str().to_owned(),
            created_at: device_now(),
        };
        spawn_local(async move {
            match usage.outbox.enqueue(mutation).await {
                // Text typed meanwhile stays.
                Ok(()) if body.value() == text => {
                    body.set_value("");
                    if let Some(draft) = draft(&usage) {
                        draft.save("");
                    }
                }
                Ok(()) => {}
                Err(reason) => show_error(&usage.form, Some(&reason)),
            }
            set_busy(&usage.form, false);
        });
    }

    fn element<T: JsCast>(form: &HtmlFormElement, selector: &str) -> Option<T> {
        form.query_selector(selector)
            .ok()
            .flatten()?
            .dyn_into()
            .ok()
    }

    /// "Send" says whether a message is being queued.
    pub fn set_busy(form: &HtmlFormElement, busy: bool) {
        if let Some(button) = element::<Element>(form, "button") {
            let _ = button.set_attribute("aria-busy", if busy { "true" } else { "false" });
        }
    }

    /// Why the message was not queued, as an alert under the box; `None`
    /// clears it. The text is set as text, never parsed as markup.
    fn show_error(form: &HtmlFormElement, message: Option<&str>) {
        if let Some(body) = element::<Element>(form, "textarea") {
            let invalid = if message.is_some() { "true" } else { "false" };
            let _ = body.set_attribute("aria-invalid", invalid);
        }
        let Some(status) = element::<Element>(form, ".composer-status") else {
            return;
        };
        status.set_text_content(None);
        let Some(message) = message else {
            return;
        };
        if let Ok(alert) = leptos::prelude::document().create_element("span") {
            alert.set_class_name("form-error");
            let _ = alert.set_attribute("role", "alert");
            alert.set_text_content(Some(message));
            let _ = status.append_child(&alert);
        }
    }
}
