//! Domain types shared by every part of MOZI.
//!
//! Values that come from outside (a username typed in a form, a message body)
//! are parsed once into types that cannot hold an invalid value, so code past
//! the boundary never re-checks them.

mod error;
mod html;
mod ids;
mod mutation;
mod page;
mod precache;
mod time;
mod validate;
mod views;
mod worker_messages;

pub use error::AppError;
pub use html::{content_security_policy, escape_html};
pub use ids::{ConversationId, IdempotencyKey, MessageId, SessionId, UserId};
pub use mutation::{
    Applied, BatchResponse, ItemResult, Mutation, MutationBatch, Outcome, QueuedMutation,
    OUTBOX_TTL_MS,
};
pub use page::PageCursor;
pub use precache::{precache_name, PrecacheManifest, PRECACHE_HASH_DIGITS, PRECACHE_PREFIX};
pub use time::{format_clock, format_date, UnixMillis};
pub use validate::{DisplayName, MessageBody, Password, Username, UsernameList};
pub use views::*;
pub use worker_messages::{PageToWorker, WorkerToPage};
