//! The executor Leptos spawns its tasks on in the browser.
//!
//! Leptos's own (`wasm-bindgen-futures` alone) runs every spawned future
//! as a microtask of the task that spawned it: hydration and the effects
//! and resources it starts made one long task, which kept the page from
//! answering input for its whole length (Lighthouse's Total Blocking
//! Time). Here each spawned future starts in a browser task of its own,
//! queued through a `MessageChannel` (no timer clamping), in spawn order;
//! once started it is driven by `wasm-bindgen-futures` as before. Parts of
//! hydration itself (`crate::deferred`) go ahead of them.

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use web_sys::MessageChannel;

struct Queue {
    /// Hydration's deferred parts: each starts before any future waiting.
    ahead: VecDeque<PinnedLocalFuture<()>>,
    waiting: VecDeque<PinnedLocalFuture<()>>,
    /// `None` where the page cannot make one: futures then start at once.
    channel: Option<MessageChannel>,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::new(Queue {
        ahead: VecDeque::new(),
        waiting: VecDeque::new(),
        channel: open_channel(),
    });
}

/// One channel for the page's lifetime; each message starts the oldest
/// future ahead, or else the oldest waiting.
fn open_channel() -> Option<MessageChannel> {
    let channel = MessageChannel::new().ok()?;
    let start_next = Closure::<dyn FnMut()>::new(|| {
        let next = QUEUE.with(|queue| {
            let mut queue = queue.borrow_mut();
            queue
                .ahead
                .pop_front()
                .or_else(|| queue.waiting.pop_front())
        });
        if let Some(future) = next {
            wasm_bindgen_futures::spawn_local(future);
        }
    });
    channel
        .port1()
        .set_onmessage(Some(start_next.as_ref().unchecked_ref()));
    // Lives as long as the page, as the channel does.
    start_next.forget();
    Some(channel)
}

/// Starts `future` in a browser task after the ones queued before it.
pub fn spawn_in_own_task(future: PinnedLocalFuture<()>) {
    queue(future, |queue| &mut queue.waiting);
}

/// Starts `future` in a browser task before any future
/// [`spawn_in_own_task`] queued, after those queued here before it.
pub fn spawn_ahead(future: PinnedLocalFuture<()>) {
    queue(future, |queue| &mut queue.ahead);
}

fn queue(
    future: PinnedLocalFuture<()>,
    line: fn(&mut Queue) -> &mut VecDeque<PinnedLocalFuture<()>>,
) {
    let queued = QUEUE.with(|queue| {
        let mut queue = queue.borrow_mut();
        let posted = queue
            .channel
            .as_ref()
            .is_some_and(|channel| channel.port2().post_message(&JsValue::NULL).is_ok());
        if posted {
            line(&mut queue).push_back(future);
            None
        } else {
            Some(future)
        }
    });
    if let Some(future) = queued {
        wasm_bindgen_futures::spawn_local(future);
    }
}

struct TaskPerSpawn;

impl CustomExecutor for TaskPerSpawn {
    /// The browser has one thread: "thread-safe" futures run on it too.
    fn spawn(&self, future: PinnedFuture<()>) {
        spawn_in_own_task(future);
    }

    fn spawn_local(&self, future: PinnedLocalFuture<()>) {
        spawn_in_own_task(future);
    }

    /// Nothing to poll: futures are driven by `wasm-bindgen-futures`.
    fn poll_local(&self) {}
}

/// Makes [`TaskPerSpawn`] Leptos's executor; called before hydration (whose
/// own call to set `wasm-bindgen-futures` then finds one already set).
pub fn install() {
    // Err only if one is set already, i.e. on a second call: keep it.
    let _ = Executor::init_custom_executor(TaskPerSpawn);
}
