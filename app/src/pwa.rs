//! The page's side of the service worker: registering it after load, and
//! the connectivity it reports, for the "Offline" indicator.

use leptos::prelude::*;

/// `Some(saved_at_ms)` while what the page shows came from the device's
/// copy because the network failed; `None` when online.
#[derive(Clone, Copy)]
pub struct Connectivity {
    pub offline_since: RwSignal<Option<f64>>,
}

pub fn use_connectivity() -> Connectivity {
    expect_context::<Connectivity>()
}

pub fn provide_pwa() {
    let connectivity = Connectivity {
        offline_since: RwSignal::new(None),
    };
    provide_context(connectivity);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::start(connectivity));
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Connectivity;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::MessageEvent;

    /// The worker marks a page it served from its cache with this meta tag.
    const OFFLINE_MARKER: &str = "meta[name=mozi-offline]";
    const WORKER_URL: &str = "/sw.js";

    pub fn start(connectivity: Connectivity) {
        if let Some(saved_at) = document()
            .query_selector(OFFLINE_MARKER)
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .and_then(|content| content.parse::<f64>().ok())
        {
            connectivity.offline_since.set(Some(saved_at));
        }
        let container = window().navigator().service_worker();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let field = |name: &str| js_sys::Reflect::get(&data, &JsValue::from_str(name)).ok();
            if field("type").and_then(|kind| kind.as_string()).as_deref() != Some("CONNECTIVITY") {
                return;
            }
            let online = field("online")
                .and_then(|online| online.as_bool())
                .unwrap_or(true);
            let saved_at = field("savedAt").and_then(|at| at.as_f64());
            connectivity
                .offline_since
                .set(if online { None } else { saved_at });
        });
        container.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The listener lives as long as the page.
        on_message.forget();

        // Registering after load keeps the worker's install from competing
        // with the page's own first downloads.
        if document().ready_state() == "complete" {
            register();
        } else {
            let on_load = Closure::once_into_js(register);
            // Adding a listener to the window cannot fail.
            let _ = window().add_event_listener_with_callback("load", on_load.unchecked_ref());
        }
    }

    fn register() {
        let registration = window().navigator().service_worker().register(WORKER_URL);
        leptos::task::spawn_local(async move {
            if let Err(error) = wasm_bindgen_futures::JsFuture::from(registration).await {
                leptos::logging::warn!("the service worker could not be registered: {error:?}");
            }
        });
    }
}
