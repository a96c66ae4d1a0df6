//! Live updates: while someone is signed in, the page keeps one
//! server-sent-events stream open and pages refetch what an event touches.
//! A stream that drops reconnects by itself and the server resumes it after
//! the last event it got; only when the events it missed are gone does the
//! server say so, and pages refetch.

#[cfg(feature = "hydrate")]
use crate::components::Auth;
use leptos::prelude::*;
use mozi_core::{MessageId, MessageView};

#[derive(Clone, Copy)]
pub struct LiveUpdates {
    /// The latest message pushed by the server.
    pub latest: RwSignal<Option<MessageView>>,
    /// Counts the server's word that events were missed for good.
    pub refetches: RwSignal<u32>,
}

impl LiveUpdates {
    /// Changes on every event and every refetch asked for.
    pub fn changes(&self) -> (Option<MessageId>, u32) {
        (
            self.latest
                .with(|latest| latest.as_ref().map(|message| message.id)),
            self.refetches.get(),
        )
    }
}

pub fn use_live_updates() -> LiveUpdates {
    expect_context::<LiveUpdates>()
}

pub fn provide_live_updates() -> LiveUpdates {
    let live = LiveUpdates {
        latest: RwSignal::new(None),
        refetches: RwSignal::new(0),
    };
    provide_context(live);
    live
}

/// Follows who is signed in: run in the browser, once the page is
/// interactive (`crate::background`).
#[cfg(feature = "hydrate")]
pub fn follow_signed_in_user(live: LiveUpdates, auth: Auth) {
    browser::follow_signed_in_user(live, auth);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::LiveUpdates;
    use crate::components::Auth;
    use leptos::prelude::*;
    use mozi_core::LiveEvent;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    /// An open stream and the listeners it calls, dropped together.
    struct Stream {
        source: EventSource,
        _on_event: Closure<dyn Fn(MessageEvent)>,
        _on_refetch: Closure<dyn Fn()>,
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    /// Opens the stream when someone signs in and closes it when they sign out.
    pub fn follow_signed_in_user(live: LiveUpdates, auth: Auth) {
        let user = Memo::new(move |_| {
            auth.user
                .get()
                .and_then(Result::ok)
                .flatten()
                .map(|user| user.id)
        });
        let stream = StoredValue::new_local(None::<Stream>);
        Effect::new(move |_| {
            stream.set_value(None);
            if user.get().is_some() {
                stream.set_value(open(live));
            }
        });
    }

    fn open(live: LiveUpdates) -> Option<Stream> {
        let source = EventSource::new("/api/events").ok()?;
        let on_event = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<LiveEvent>(&text) {
                Ok(LiveEvent::Message { message }) => live.latest.set(Some(message)),
                Err(error) => leptos::logging::warn!("unreadable live event: {error}"),
            }
        });
        source
            .add_event_listener_with_callback(
                LiveEvent::SSE_NAME,
                on_event.as_ref().unchecked_ref(),
            )
            .ok()?;
        let on_refetch = Closure::<dyn Fn()>::new(move || {
            live.refetches.update(|count| *count += 1);
        });
        source
            .add_event_listener_with_callback(
                LiveEvent::REFETCH_SSE_NAME,
                on_refetch.as_ref().unchecked_ref(),
            )
            .ok()?;
        Some(Stream {
            source,
            _on_event: on_event,
            _on_refetch: on_refetch,
        })
    }
}
