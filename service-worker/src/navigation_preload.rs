//! Navigation preload: the browser starts a navigation's request while the
//! worker boots, and NetworkFirst uses that response.

use crate::error::code;
use crate::scope::{resolve, scope};
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{FetchEvent, Response, ServiceWorkerRegistration};

// web-sys has no bindings for navigation preload yet.
#[wasm_bindgen]
extern "C" {
    type NavigationPreloadManager;

    #[wasm_bindgen(method)]
    fn enable(this: &NavigationPreloadManager) -> Promise;
}

fn property(object: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(object, &name.into())
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// Turns preload on; called on activate. Browsers without it just skip it.
pub async fn enable() {
    let registration: ServiceWorkerRegistration = scope().registration();
    if let Some(manager) = property(&registration, "navigationPreload") {
        let manager: NavigationPreloadManager = manager.unchecked_into();
        // Without preload, navigations still work, only a little later.
        let _ = resolve(manager.enable(), code::NETWORK_FAILED).await;
    }
}

/// The preloaded response of a navigation, if the browser made one.
pub async fn response(event: &FetchEvent) -> Option<Response> {
    let preload: Promise = property(event, "preloadResponse")?.dyn_into().ok()?;
    resolve(preload, code::NETWORK_FAILED)
        .await
        .ok()?
        .dyn_into::<Response>()
        .ok()
}
