use mozi_core::{
    AppError, ConversationId, IdempotencyKey, Mutation, SessionId, UnixMillis, UserId,
};
use serde::{Deserialize, Serialize};

/// The version of [`OutboxRecord`]'s stored shape; stored records of an
/// older version are migrated, never dropped.
pub const SCHEMA_VERSION: u32 = 1;

/// Mutations in one scope are applied in the order the user made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Starting a conversation and every message in it.
    Conversation(ConversationId),
    /// Adding and removing one session from "My schedule".
    Bookmark(SessionId),
}

impl Scope {
    pub fn of(mutation: &Mutation) -> Self {
        match mutation {
            Mutation::SendMessage { conversation, .. }
            | Mutation::StartConversation { conversation, .. } => {
                Scope::Conversation(*conversation)
            }
            Mutation::SetBookmark { session, .. } => Scope::Bookmark(*session),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", try_from = "StoredState")]
pub enum ItemState {
    /// Waiting to be sent (again, after `not_before`).
    Pending,
    /// In a request whose answer has not come yet.
    Sending,
    /// Refused or expired; stays until the user retries or discards it.
    Failed { reason: FailReason },
    /// The server asked for a sign-in; sent again once the user has.
    NeedsSignIn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailReason {
    /// The server's reason, shown to the user.
    Refused { error: AppError },
    /// Older than the queue's time-to-live.
    Expired,
}

/// How a stored [`ItemState`] is read: the JSON serde writes for it
/// (`{"state":"failed","reason":{"reason":"refused","error":…}}`), read as
/// plain structs with the tags as strings. Serde's reader for internally
/// tagged enums buffers every field first: about 9 KB of the app's and the
/// worker's wasm.
#[derive(Deserialize)]
struct StoredState {
    state: String,
    reason: Option<StoredReason>,
}

#[derive(Deserialize)]
struct StoredReason {
    reason: String,
    error: Option<AppError>,
}

impl TryFrom<StoredState> for ItemState {
    type Error = &'static str;

    fn try_from(stored: StoredState) -> Result<Self, Self::Error> {
        Ok(match stored.state.as_str() {
            "pending" => ItemState::Pending,
            "sending" => ItemState::Sending,
            "needs_sign_in" => ItemState::NeedsSignIn,
            "failed" => {
                let stored = stored.reason.ok_or("a failed record without its reason")?;
                let reason = match (stored.reason.as_str(), stored.error) {
                    ("refused", Some(error)) => FailReason::Refused { error },
                    ("expired", _) => FailReason::Expired,
                    _ => return Err("an unknown reason"),
                };
                ItemState::Failed { reason }
            }
            _ => return Err("an unknown state"),
        })
    }
}

/// One queued mutation as stored on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredRecord")]
pub struct OutboxRecord {
    pub version: u32,
    /// Made when the user acted; the server applies each key once.
    pub key: IdempotencyKey,
    /// Only ever sent with this user's session.
    pub user: UserId,
    pub scope: Scope,
    pub mutation: Mutation,
    pub created_at: UnixMillis,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub state: ItemState,
    /// Not sent before this time (backoff, Retry-After).
    pub not_before: UnixMillis,
    /// When the user last pressed "Retry": the time-to-live counts from then.
    pub retried_at: Option<UnixMillis>,
}

/// How a stored [`OutboxRecord`] is read: all but its scope, which is made
/// from its mutation again, as [`OutboxRecord::new`] made it. (Serde's
/// reader for the scope's adjacently tagged shape is about 2 KB of wasm.)
#[derive(Deserialize)]
struct StoredRecord {
    version: u32,
    key: IdempotencyKey,
    user: UserId,
    mutation: Mutation,
    created_at: UnixMillis,
    attempts: u32,
    last_error: Option<String>,
    state: ItemState,
    not_before: UnixMillis,
    #[serde(default)]
    retried_at: Option<UnixMillis>,
}

impl From<StoredRecord> for OutboxRecord {
    fn from(stored: StoredRecord) -> Self {
        Self {
            version: stored.version,
            key: stored.key,
            user: stored.user,
            scope: Scope::of(&stored.mutation),
            mutation: stored.mutation,
            created_at: stored.created_at,
            attempts: stored.attempts,
            last_error: stored.last_error,
            state: stored.state,
            not_before: stored.not_before,
            retried_at: stored.retried_at,
        }
    }
}

impl OutboxRecord {
    pub fn new(key: IdempotencyKey, user: UserId, mutation: Mutation, now: UnixMillis) -> Self {
        Self {
            version: SCHEMA_VERSION,
            key,
            user,
            scope: Scope::of(&mutation),
            mutation,
            created_at: now,
            attempts: 0,
            last_error: None,
            state: ItemState::Pending,
            not_before: now,
            retried_at: None,
        }
    }

    /// Whether it may go into the next batch at `now`.
    pub fn is_due(&self, now: UnixMillis) -> bool {
        matches!(self.state, ItemState::Pending) && self.not_before <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_as_written_and_nothing_else_is_read() {
        let states = [
            ItemState::Pending,
            ItemState::Sending,
            ItemState::NeedsSignIn,
            ItemState::Failed {
                reason: FailReason::Expired,
            },
            ItemState::Failed {
                reason: FailReason::Refused {
                    error: AppError::Conflict("taken".into()),
                },
            },
        ];
        for state in states {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(
                serde_json::from_str::<ItemState>(&json).unwrap(),
                state,
                "{json}"
            );
        }
        // As the derived reader took them before.
        let refused = r#"{"state":"failed","reason":{"reason":"refused","error":{"code":"conflict","message":"taken"}}}"#;
        assert_eq!(
            serde_json::from_str::<ItemState>(refused).unwrap(),
            ItemState::Failed {
                reason: FailReason::Refused {
                    error: AppError::Conflict("taken".into())
                }
            }
        );
        assert!(serde_json::from_str::<ItemState>(r#"{"state":"failed"}"#).is_err());
        assert!(serde_json::from_str::<ItemState>(r#"{"state":"lost"}"#).is_err());
    }
}
