//! The rules of MOZI's outbox, the queue of every change a user makes,
//! kept on the device until the server has acknowledged it.
//!
//! This crate holds what must be right for nothing to be lost or applied
//! twice, as pure functions over records: which records to send next
//! ([`next_batch`]: in order within each scope), what an answer means for a
//! record ([`decide`]: removed only on acknowledgement), one replay step
//! ([`replay_step`]: the answers applied, then the next batch taken), which new mutation
//! cancels a queued one ([`collapse`]), and when a record expires. The
//! IndexedDB store and the replayer in page and worker apply these rules.

mod analytics;
mod batch;
mod collapse;
pub mod json;
mod policy;
mod record;
mod step;

pub use analytics::{replayable_views, PageView, ReplayedView, ViewReport, VIEW_MAX_AGE_MS};
pub use batch::next_batch;
pub use collapse::{collapse, may_collapse, Collapse};
pub use policy::{backoff_ms, decide, expire, Answer, Decision, DEFAULT_TTL_MS};
pub use record::{FailReason, ItemState, OutboxRecord, Scope, SCHEMA_VERSION};
pub use step::{replay_step, Batch, Change, Step};
