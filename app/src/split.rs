//! Loading the modules of the split wasm (README, "Split wasm") when the
//! network may be gone. A module comes from the network until the service
//! worker has precached it, so a first visit that loses the network in
//! between cannot load it. `#[leptos::lazy]` panics then, which stops the
//! whole app (a typed message could not even be queued); the split points
//! here are `fallible` instead. A page whose code did not load is loaded
//! whole; what runs unseen is loaded again once the browser is back online.
//! wasm-split's loader keeps no failure, so each attempt downloads afresh.

use leptos::prelude::*;
pub use leptos::wasm_split::SplitLoaderError;
use std::future::Future;
use std::pin::Pin;

/// Loads a module; boxed, so that waiting for it is compiled once.
pub type Loader<T> = fn() -> Pin<Box<dyn Future<Output = Result<T, SplitLoaderError>>>>;

/// How long to wait before loading again while the browser says it is
/// online: the server, not the network, did not answer.
const RETRY_ONLINE_AFTER_MS: i32 = 5_000;

/// What `load` gives, once it could load its module: tried again each time
/// the browser comes back online.
pub async fn until_loaded<T>(load: Loader<T>) -> T {
    loop {
        match load().await {
            Ok(loaded) => return loaded,
            Err(error) => leptos::logging::warn!("{error}: trying again once online"),
        }
        back_online().await;
    }
}

/// Resolves when the browser comes back online, or after a while when it
/// says it is online already.
async fn back_online() {
    use wasm_bindgen::JsValue;
    let wait = js_sys::Promise::new(&mut |resolve, _| {
        let window = window();
        let waiting = if window.navigator().on_line() {
            window
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    RETRY_ONLINE_AFTER_MS,
                )
                .map(drop)
        } else {
            let once = web_sys::AddEventListenerOptions::new();
            once.set_once(true);
            window.add_event_listener_with_callback_and_add_event_listener_options(
                "online", &resolve, &once,
            )
        };
        // Neither can fail in a window; if one did, trying again at once
        // is still better than never.
        if waiting.is_err() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
}

/// The page; when its module could not be loaded, the browser loads the
/// page whole instead, as it does a page whose data could not be fetched
/// (`components::error`): the worker answers with its saved copy or its
/// offline page, and before there is a worker the server's page comes,
/// which hydrates once its code downloads (`routes::load_current_page`), or
/// the browser's page for a failed load. Cannot loop: the page a document
/// opens with has its code loaded before it hydrates.
pub fn page_or_whole_load(loaded: Result<AnyView, SplitLoaderError>) -> AnyView {
    use crate::any_view::IntoAnyView;
    match loaded {
        Ok(page) => page,
        Err(error) => {
            // The route's URL: the router shows it once the page is ready.
            let url = leptos_router::hooks::use_url().get_untracked();
            let mut href = url.path().to_owned();
            if !url.search().is_empty() {
                href.push('?');
                href.push_str(url.search());
            }
            leptos::logging::warn!("{error}: loading {href} whole");
            let _ = window().location().assign(&href);
            ().into_any_view()
        }
    }
}
