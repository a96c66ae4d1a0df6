//! Domain types shared by every part of MOZI.
//!
//! Values that come from outside (a username typed in a form, a message body)
//! are parsed once into types that cannot hold an invalid value, so code past
//! the boundary never re-checks them.

mod error;
mod ids;
mod mutation;
mod time;
mod validate;
mod views;

pub use error::AppError;
pub use ids::{ConversationId, IdempotencyKey, MessageId, SessionId, UserId};
pub use mutation::{
    Applied, BatchResponse, ItemResult, Mutation, MutationBatch, Outcome, QueuedMutation,
};
pub use time::{format_clock, format_date, UnixMillis};
pub use validate::{DisplayName, MessageBody, Password, Username, UsernameList};
pub use views::*;
