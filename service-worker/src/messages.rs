//! Telling pages what the worker sees. The messages themselves, both ways,
//! are defined once in `mozi_core::{PageToWorker, WorkerToPage}`.

use crate::error::{code, SwError};
use crate::scope::{after_this_task, resolve, scope};
use js_sys::Array;
use mozi_core::WorkerToPage;
use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::{Client, ClientQueryOptions, ClientType};

pub async fn broadcast(message: &WorkerToPage) -> Result<(), SwError> {
    let message = message.to_js();
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
            let _ = client.post_message(&message);
        }
    }
    Ok(())
}

thread_local! {
    /// What pages were last told: `Some(true)` online, `Some(false)` offline.
    static LAST_TOLD_ONLINE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Tells pages the network answered, if they were last told otherwise.
pub fn report_online() {
    if LAST_TOLD_ONLINE.with(|told| told.replace(Some(true))) != Some(true) {
        tell(WorkerToPage::Connectivity {
            online: true,
            saved_at: None,
        });
    }
}

/// Tells pages that something was answered from a copy saved at `saved_at`.
pub fn report_offline(saved_at: f64) {
    LAST_TOLD_ONLINE.with(|told| told.set(Some(false)));
    tell(WorkerToPage::Connectivity {
        online: false,
        saved_at: Some(saved_at),
    });
}

/// Sends `message` after the answer it is about, not before it: awaited,
/// the list of open pages held back a cold worker's first navigation.
fn tell(message: WorkerToPage) {
    wasm_bindgen_futures::spawn_local(async move {
        after_this_task().await;
        let _ = broadcast(&message).await;
    });
}
