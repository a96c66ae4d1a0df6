//! Every open tab shows the same queue: whoever changes it (a tab or the
//! worker) says so on a BroadcastChannel, with what the server has just
//! applied, so a thread shows a delivered message before its next fetch.

use crate::OutboxError;
use mozi_core::Applied;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

const NAME: &str = "mozi-outbox";

/// Tells every listener in every tab that the queue changed.
pub fn notify(applied: &[Applied]) {
    let Ok(channel) = BroadcastChannel::new(NAME) else {
        return;
    };
    if let Ok(json) = serde_json::to_string(applied) {
        let _ = channel.post_message(&json.into());
    }
    channel.close();
}

/// Listens until dropped.
pub struct Listener {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Calls `on_change` with what was just applied (often nothing) whenever
/// any context changed the queue.
pub fn listen(mut on_change: impl FnMut(Vec<Applied>) + 'static) -> Result<Listener, OutboxError> {
    let channel = BroadcastChannel::new(NAME)?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let applied = event
            .data()
            .as_string()
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        on_change(applied);
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Ok(Listener {
        channel,
        _on_message: on_message,
    })
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.channel.close();
    }
}
