//! One replayer at a time across tabs and the worker: the Web Locks API
//! grants a named lock to one context of the origin at a time and frees it
//! when that context goes away, even mid-request.

use crate::OutboxError;
use js_sys::{Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen]
extern "C" {
    type LockManager;
    #[wasm_bindgen(method)]
    fn request(this: &LockManager, name: &str, callback: &js_sys::Function) -> Promise;
}

fn lock_manager() -> Option<LockManager> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined()).then(|| locks.unchecked_into())
}

/// Runs `work` while holding the lock `name`, waiting for it if another
/// context holds it. Browsers without Web Locks run it directly.
pub async fn exclusive<T: 'static>(
    name: &str,
    work: impl Future<Output = T> + 'static,
) -> Result<T, OutboxError> {
    // Awaited in one of two places below: boxed, its code is in the wasm
    // once rather than inlined twice (the replay is 15 KB).
    let work: Pin<Box<dyn Future<Output = T>>> = Box::pin(work);
    let Some(locks) = lock_manager() else {
        return Ok(work.await);
    };
    let output = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&output);
    let held = Closure::once(move |_lock: JsValue| -> Promise {
        future_to_promise(async move {
            let result = work.await;
            *slot.borrow_mut() = Some(result);
            Ok(JsValue::UNDEFINED)
        })
    });
    JsFuture::from(locks.request(name, held.as_ref().unchecked_ref())).await?;
    let result = output.borrow_mut().take();
    result.ok_or_else(|| OutboxError::Browser(format!("the lock {name} was released unused")))
}
