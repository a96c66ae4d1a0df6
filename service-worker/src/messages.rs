//! Messages between the worker and its pages.
//!
//! From pages: `{type: "SKIP_WAITING"}`, `{type: "CLEAR_USER_DATA"}`,
//! `{type: "GET_VERSION"}` (answered with `{type: "VERSION", version}`).
//! To pages: `{type: "CONNECTIVITY", online, savedAt}` whenever the worker
//! starts or stops answering from its caches because the network failed.

use crate::error::{code, SwError};
use crate::scope::{resolve, scope};
use js_sys::{Array, Object, Reflect};
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Client, ClientQueryOptions, ClientType};

pub enum FromPage {
    SkipWaiting,
    ClearUserData,
    GetVersion,
}

impl FromPage {
    pub fn parse(data: &JsValue) -> Option<Self> {
        let kind = Reflect::get(data, &"type".into()).ok()?.as_string()?;
        match kind.as_str() {
            "SKIP_WAITING" => Some(Self::SkipWaiting),
            "CLEAR_USER_DATA" => Some(Self::ClearUserData),
            "GET_VERSION" => Some(Self::GetVersion),
            _ => None,
        }
    }
}

pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object.into()
}

pub async fn broadcast(message: &JsValue) -> Result<(), SwError> {
    let options = ClientQueryOptions::new();
    options.set_include_uncontrolled(true);
    options.set_type(ClientType::Window);
    let clients = resolve(
        scope().clients().match_all_with_options(&options),
        code::CACHE_STORAGE,
    )
    .await?;
    for client in Array::from(&clients).iter() {
        if let Ok(client) = client.dyn_into::<Client>() {
            // A client that went away meanwhile simply misses the message.
            let _ = client.post_message(message);
        }
    }
    Ok(())
}

thread_local! {
    /// What pages were last told: `Some(true)` online, `Some(false)` offline.
    static LAST_TOLD_ONLINE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Tells pages the network answered, if they were last told otherwise.
pub async fn report_online() {
    if LAST_TOLD_ONLINE.with(|told| told.replace(Some(true))) != Some(true) {
        let message = object(&[
            ("type", "CONNECTIVITY".into()),
            ("online", true.into()),
            ("savedAt", JsValue::NULL),
        ]);
        let _ = broadcast(&message).await;
    }
}

/// Tells pages that something was answered from a copy saved at `saved_at`.
pub async fn report_offline(saved_at: f64) {
    LAST_TOLD_ONLINE.with(|told| told.set(Some(false)));
    let message = object(&[
        ("type", "CONNECTIVITY".into()),
        ("online", false.into()),
        ("savedAt", saved_at.into()),
    ]);
    let _ = broadcast(&message).await;
}
