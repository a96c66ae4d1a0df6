//! MOZI's outbox on the device: every change a user makes is written to
//! IndexedDB first and sent from there, by the page or the service worker,
//! until the server has acknowledged it.
//!
//! Layered as Workbox's queue is: [`queue`] (what the app and the worker
//! call) over `store` (typed records) over `database` (the IndexedDB schema,
//! in one place). The rules — what to send next, what an answer means —
//! are the pure `mozi-outbox` crate; this crate applies them, one replayer
//! at a time across tabs and the worker (`lock`), and tells every open tab
//! when anything changed (`channel`), also a page that opens just after
//! (`delivered`). Sign-out forgets what the device kept of the user
//! besides their unsent changes (`signed_out`).

mod channel;
mod database;
mod delivered;
mod error;
mod http;
mod json;
mod lock;
pub mod queue;
mod replay;
mod signed_out;
mod store;
pub mod sync;
mod views;

pub use channel::{listen, Listener};
pub use delivered::recently_delivered;
pub use error::OutboxError;
pub use mozi_outbox::{FailReason, ItemState, OutboxRecord};
pub use replay::{replay, ReplayReport};
pub use signed_out::forget_signed_out_user;
pub use views::record_view;

/// Milliseconds since the epoch, on this device's clock.
pub fn now() -> mozi_core::UnixMillis {
    js_sys::Date::now() as mozi_core::UnixMillis
}

/// A random UUID from `crypto.randomUUID()`, in a page or a worker.
pub fn random_uuid() -> Result<uuid::Uuid, OutboxError> {
    use wasm_bindgen::JsCast;
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())?;
    let random_uuid: js_sys::Function =
        js_sys::Reflect::get(&crypto, &"randomUUID".into())?.dyn_into()?;
    random_uuid
        .call0(&crypto)?
        .as_string()
        .and_then(|text| text.parse().ok())
        .ok_or(OutboxError::NoRandomSource)
}
