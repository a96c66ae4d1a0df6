//! The device queue as the page uses it. The code that does the work, the
//! IndexedDB layer and the replayer of `mozi-outbox-browser`, is one module
//! of the split wasm, fetched by [`device_queue`] the first time the page
//! touches the queue: the page needs it only once it is interactive, so no
//! page's first load carries it (README, "Split wasm"). Offline it comes
//! from the worker's precache, as the pages' modules do.

use super::Operation;
use crate::split::SplitLoaderError;
use mozi_core::{Applied, Mutation, UserId};
use mozi_outbox::{Change, OutboxRecord};
use mozi_outbox_browser::{queue, Listener, OutboxError, ReplayReport};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// What the page does with the device queue; see `mozi_outbox_browser`
/// for what each one does.
pub trait DeviceQueue {
    fn enqueue(
        &self,
        user: UserId,
        mutation: Mutation,
    ) -> LocalBoxFuture<Result<Option<Change>, OutboxError>>;
    fn records_of(&self, user: UserId) -> LocalBoxFuture<Result<Vec<OutboxRecord>, OutboxError>>;
    fn operate(
        &self,
        user: UserId,
        operation: Operation,
    ) -> LocalBoxFuture<Result<(), OutboxError>>;
    fn release(&self, user: UserId) -> LocalBoxFuture<Result<(), OutboxError>>;
    fn wake_all(&self) -> LocalBoxFuture<Result<(), OutboxError>>;
    fn listen(&self, on_change: Box<dyn FnMut(Vec<Applied>)>) -> Result<Listener, OutboxError>;
    fn recently_delivered(&self) -> LocalBoxFuture<Result<Vec<Applied>, OutboxError>>;
    fn record_view(&self, path: String) -> LocalBoxFuture<Result<(), OutboxError>>;
    fn replay(&self) -> LocalBoxFuture<Result<ReplayReport, OutboxError>>;
    fn register_sync(&self) -> LocalBoxFuture<()>;
    fn forget_signed_out_user(&self) -> LocalBoxFuture<Result<(), OutboxError>>;
}

struct IndexedDbQueue;

impl DeviceQueue for IndexedDbQueue {
    fn enqueue(
        &self,
        user: UserId,
        mutation: Mutation,
    ) -> LocalBoxFuture<Result<Option<Change>, OutboxError>> {
        Box::pin(queue::enqueue(user, mutation))
    }

    fn records_of(&self, user: UserId) -> LocalBoxFuture<Result<Vec<OutboxRecord>, OutboxError>> {
        Box::pin(queue::records_of(user))
    }

    fn operate(
        &self,
        user: UserId,
        operation: Operation,
    ) -> LocalBoxFuture<Result<(), OutboxError>> {
        match operation {
            Operation::Retry(key) => Box::pin(queue::retry(user, key)),
            Operation::Discard(key) => Box::pin(queue::discard(user, key)),
            Operation::RetryAll => Box::pin(queue::retry_all(user)),
            Operation::DiscardAll => Box::pin(queue::discard_all(user)),
        }
    }

    fn release(&self, user: UserId) -> LocalBoxFuture<Result<(), OutboxError>> {
        Box::pin(queue::release(user))
    }

    fn wake_all(&self) -> LocalBoxFuture<Result<(), OutboxError>> {
        Box::pin(queue::wake_all())
    }

    fn listen(&self, on_change: Box<dyn FnMut(Vec<Applied>)>) -> Result<Listener, OutboxError> {
        mozi_outbox_browser::listen(on_change)
    }

    fn recently_delivered(&self) -> LocalBoxFuture<Result<Vec<Applied>, OutboxError>> {
        Box::pin(mozi_outbox_browser::recently_delivered())
    }

    fn record_view(&self, path: String) -> LocalBoxFuture<Result<(), OutboxError>> {
        Box::pin(async move { mozi_outbox_browser::record_view(&path).await })
    }

    fn replay(&self) -> LocalBoxFuture<Result<ReplayReport, OutboxError>> {
        Box::pin(mozi_outbox_browser::replay())
    }

    fn register_sync(&self) -> LocalBoxFuture<()> {
        Box::pin(mozi_outbox_browser::sync::register())
    }

    fn forget_signed_out_user(&self) -> LocalBoxFuture<Result<(), OutboxError>> {
        Box::pin(mozi_outbox_browser::forget_signed_out_user())
    }
}

/// The split point: everything only [`IndexedDbQueue`] reaches is in the
/// module this loads.
#[leptos::wasm_split::wasm_split(device_queue, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load_device_queue() -> Result<&'static dyn DeviceQueue, SplitLoaderError> {
    Ok(&IndexedDbQueue)
}

thread_local! {
    /// The device queue once its code is loaded: the calls after the first
    /// do not go through the split loader again, and each queued change
    /// starts its IndexedDB work without waiting.
    static LOADED: Cell<Option<&'static dyn DeviceQueue>> = const { Cell::new(None) };
}

/// The device queue; the first call fetches its code. Offline before the
/// worker has precached it, that waits until the browser is back online:
/// a message sent meanwhile shows as being queued, its text kept in the
/// box and in its draft, and is queued then.
pub async fn device_queue() -> &'static dyn DeviceQueue {
    if let Some(device) = LOADED.get() {
        return device;
    }
    let device = crate::split::until_loaded(|| Box::pin(load_device_queue())).await;
    LOADED.set(Some(device));
    device
}
