//! Every open tab shows the same queue: whoever changes it (a tab or the
//! worker) says so on a BroadcastChannel, with what the server has just
//! applied, so a thread shows a delivered message before its next fetch.
//!
//! A context posts and listens through one channel object, and a channel
//! never receives its own messages: a tab shows what it changed itself
//! without reading the queue again, which would make queueing cost as much
//! as the queue is long.

use crate::OutboxError;
use mozi_core::Applied;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

const NAME: &str = "mozi-outbox";

thread_local! {
    static CHANNEL: Option<BroadcastChannel> = BroadcastChannel::new(NAME).ok();
}

/// Tells every listener in every other context that the queue changed.
pub fn notify(applied: &[Applied]) {
    CHANNEL.with(|channel| {
        if let Some(channel) = channel {
            let _ = channel.post_message(&crate::json::stringify(applied).into());
        }
    });
}

/// Listens until dropped.
pub struct Listener {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Calls `on_change` with what was just applied (often nothing) whenever
/// another context changed the queue.
pub fn listen(mut on_change: impl FnMut(Vec<Applied>) + 'static) -> Result<Listener, OutboxError> {
    let channel = CHANNEL
        .with(Clone::clone)
        .ok_or_else(|| OutboxError::Browser("BroadcastChannel is unavailable".into()))?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let applied = event
            .data()
            .as_string()
            .and_then(|json| crate::json::parse(&json))
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
        // The channel stays open: this context still posts through it.
        self.channel.set_onmessage(None);
    }
}
