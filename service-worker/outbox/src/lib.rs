//! The worker's side of the device outbox: it replays the queue when
//! Background Sync fires (even with every tab closed) and shortly after the
//! worker starts; pages replay on their own triggers. The shared lock makes
//! one of them send at a time.
//!
//! A wasm module of its own, which `bootstrap.js` instantiates on the first
//! of those events: a worker started for a request never loads it.

use mozi_outbox_browser::{queue, replay, sync};
use wasm_bindgen::prelude::*;

/// Background Sync: the outbox's tag (the only one pages register)
/// replays the queue. A rejection makes the browser schedule another sync
/// with its own backoff; on its last chance the records stay and say they
/// will be tried when the app is next open.
#[wasm_bindgen]
pub async fn on_sync(tag: String, last_chance: bool) -> Result<(), JsValue> {
    if tag != sync::TAG {
        return Ok(());
    }
    // The browser believes the network is back: backoffs end now.
    queue::wake_all().await?;
    let report = replay().await?;
    if !report.unreachable {
        return Ok(());
    }
    if last_chance {
        queue::mark_retried_when_open().await?;
        return Ok(());
    }
    Err(js_sys::Error::new("outbox-unreachable: the server could not be reached").into())
}

/// Sends whatever is due; called by the bootstrap shortly after the worker
/// starts. A worker stopped midway leaves records that the next replay
/// sends again, harmlessly.
#[wasm_bindgen]
pub async fn replay_due() {
    if let Err(error) = replay().await {
        web_sys::console::warn_1(&format!("MOZI outbox: {error}").into());
    }
}
