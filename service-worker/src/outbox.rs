//! The worker's side of the device outbox: it replays the queue when
//! Background Sync fires (even with every tab closed) and shortly after the
//! worker starts; pages replay on their own triggers. The shared lock makes
//! one of them send at a time.

use mozi_outbox_browser::{queue, replay};
use wasm_bindgen::JsValue;

/// A rejection makes the browser schedule another sync with its own
/// backoff; on its last chance the records stay and say they will be tried
/// when the app is next open.
pub async fn on_sync(last_chance: bool) -> Result<(), JsValue> {
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

/// How long after the worker starts it looks at the queue: not while it
/// answers the request it was started for (opening the database and taking
/// the lock cost that request a few milliseconds), and long before an idle
/// worker is stopped (30 s).
const REPLAY_AFTER_START_MS: u32 = 2_000;

/// Sends whatever is due, shortly after the worker started; a worker
/// stopped midway leaves records that the next replay sends again,
/// harmlessly.
pub fn replay_after_start() {
    wasm_bindgen_futures::spawn_local(async {
        crate::scope::sleep(REPLAY_AFTER_START_MS).await;
        if let Err(error) = replay().await {
            web_sys::console::warn_1(&format!("MOZI outbox: {error}").into());
        }
    });
}
