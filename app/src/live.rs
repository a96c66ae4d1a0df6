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
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    /// A stream silent this long has lost its connection, whatever the
    /// browser thinks: two keep-alives are missing.
    const SILENT_FOR_MS: f64 = 2.0 * 1_000.0 * LiveEvent::KEEP_ALIVE_SECS as f64;

    /// How often the stream is checked for silence.
    const CHECK_EVERY_MS: i32 = 5_000;

    /// An open stream and the listeners it calls, dropped together.
    struct Stream {
        source: EventSource,
        _listeners: Vec<Closure<dyn Fn(Event)>>,
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    /// What the page last heard from the server, shared by the listeners of
    /// every stream it opens for the signed-in user.
    #[derive(Clone, Default)]
    struct Heard {
        /// When anything last arrived (or the stream was opened).
        at: Rc<Cell<f64>>,
        /// The id of the last event, so a new stream resumes after it.
        last_event_id: Rc<RefCell<String>>,
    }

    impl Heard {
        fn now(&self) {
            self.at.set(js_sys::Date::now());
        }

        fn event(&self, event: &Event) {
            self.now();
            if let Some(message) = event.dyn_ref::<MessageEvent>() {
                let id = message.last_event_id();
                if !id.is_empty() {
                    *self.last_event_id.borrow_mut() = id;
                }
            }
        }

        fn silent(&self) -> bool {
            js_sys::Date::now() - self.at.get() > SILENT_FOR_MS
        }

        fn url(&self) -> String {
            match self.last_event_id.borrow().as_str() {
                "" => "/api/events".to_owned(),
                id => format!(
                    "/api/events?{}={}",
                    LiveEvent::LAST_EVENT_ID_PARAM,
                    js_sys::encode_uri_component(id)
                ),
            }
        }
    }

    /// Opens the stream when someone signs in and closes it when they sign
    /// out. A stream that is open but has gone silent (a half-open
    /// connection after a network change, a balancer that keeps the page's
    /// side open) is dropped for a new one that resumes after the last
    /// event heard. One the browser is reconnecting, or that the server
    /// refused, is left to the browser.
    pub fn follow_signed_in_user(live: LiveUpdates, auth: Auth) {
        let user = Memo::new(move |_| {
            auth.user
                .get()
                .and_then(Result::ok)
                .flatten()
                .map(|user| user.id)
        });
        let stream = StoredValue::new_local(None::<Stream>);
        let heard = StoredValue::new_local(Heard::default());
        Effect::new(move |_| {
            stream.set_value(None);
            heard.set_value(Heard::default());
            if user.get().is_some() {
                stream.set_value(heard.with_value(|heard| open(live, heard)));
            }
        });
        let check = Closure::<dyn Fn()>::new(move || {
            let silent_and_open = stream.with_value(|stream| {
                stream.as_ref().is_some_and(|stream| {
                    stream.source.ready_state() == EventSource::OPEN
                        && heard.with_value(Heard::silent)
                })
            });
            if silent_and_open {
                leptos::logging::log!("the live stream went silent: opening a new one");
                stream.set_value(None);
                stream.set_value(heard.with_value(|heard| open(live, heard)));
            }
        });
        // The page's own timer, for as long as the page lives.
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
            check.as_ref().unchecked_ref(),
            CHECK_EVERY_MS,
        );
        check.forget();
    }

    fn open(live: LiveUpdates, heard: &Heard) -> Option<Stream> {
        let source = EventSource::new(&heard.url()).ok()?;
        heard.now();
        let mut listeners = Vec::new();
        for name in [
            "open",
            LiveEvent::KEEP_ALIVE_SSE_NAME,
            LiveEvent::SSE_NAME,
            LiveEvent::REFETCH_SSE_NAME,
        ] {
            let heard = heard.clone();
            let listener = Closure::<dyn Fn(Event)>::new(move |event: Event| {
                heard.event(&event);
                if name == LiveEvent::SSE_NAME {
                    on_message(live, &event);
                } else if name == LiveEvent::REFETCH_SSE_NAME {
                    live.refetches.update(|count| *count += 1);
                }
            });
            source
                .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
                .ok()?;
            listeners.push(listener);
        }
        Some(Stream {
            source,
            _listeners: listeners,
        })
    }

    fn on_message(live: LiveUpdates, event: &Event) {
        let Some(text) = event
            .dyn_ref::<MessageEvent>()
            .and_then(|event| event.data().as_string())
        else {
            return;
        };
        match serde_json::from_str::<LiveEvent>(&text) {
            Ok(LiveEvent::Message { message }) => live.latest.set(Some(message)),
            Err(error) => leptos::logging::warn!("unreadable live event: {error}"),
        }
    }
}
