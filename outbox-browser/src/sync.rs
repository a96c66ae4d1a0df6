//! Background Sync (Chromium only): the browser wakes the worker with the
//! tag when it believes the network is back, even with every tab closed.
//! It gives up after a few tries, so the tag is registered again whenever
//! the queue changes, and the app replays on its own triggers as well.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub const TAG: &str = "mozi-outbox";

/// Asks for a sync; where Background Sync is missing (Firefox, Safari) or
/// no worker is registered yet, the other triggers suffice.
pub async fn register() {
    if let Err(error) = try_register().await {
        web_sys::console::warn_2(&"outbox-sync: could not register".into(), &error);
    }
}

fn get(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &name.into())
}

async fn call_promise(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method)?.dyn_into()?;
    let promise: Promise = function.apply(target, &args.iter().collect())?.dyn_into()?;
    JsFuture::from(promise).await
}

async fn registration() -> Result<JsValue, JsValue> {
    let global = js_sys::global();
    if get(&global, "document")?.is_undefined() {
        // Inside the service worker.
        return get(&global, "registration");
    }
    let container = get(&get(&global, "navigator")?, "serviceWorker")?;
    if container.is_undefined() {
        return Ok(JsValue::UNDEFINED);
    }
    call_promise(&container, "getRegistration", &[]).await
}

async fn try_register() -> Result<(), JsValue> {
    let registration = registration().await?;
    if registration.is_undefined() {
        return Ok(());
    }
    let sync = get(&registration, "sync")?;
    if sync.is_undefined() {
        return Ok(());
    }
    call_promise(&sync, "register", &[TAG.into()]).await?;
    Ok(())
}
