//! Mutations: what a user changed, kept on the device and sent to the
//! server, which applies each one exactly once under its idempotency key.

use crate::{
    AppError, ConversationId, IdempotencyKey, MessageId, MessageView, SessionId, UnixMillis, UserId,
};
use serde::{Deserialize, Serialize};

/// How long a change may wait on a device before it is given up as expired
/// (7 days). The server also keeps a message's device time within this
/// window, so a wrong clock cannot date a message decades away.
pub const OUTBOX_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// Every change a user can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mutation {
    /// `id` and `created_at` are made on the device when the user presses
    /// Send, so a late message takes its right place in the thread.
    SendMessage {
        conversation: ConversationId,
        id: MessageId,
        body: String,
        created_at: UnixMillis,
    },
    /// Starts a conversation under an id made on the device, so messages
    /// queued for it can name it before the server has seen it.
    StartConversation {
        conversation: ConversationId,
        usernames: String,
    },
    SetBookmark {
        session: SessionId,
        bookmarked: bool,
    },
}

/// One queued mutation and the key that makes resending it harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMutation {
    pub key: IdempotencyKey,
    pub mutation: Mutation,
}

/// What `POST /api/mutations` takes: up to [`MutationBatch::MAX_ITEMS`] items,
/// applied in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationBatch {
    /// Who made these changes. The server applies them only under that
    /// user's session, so a device never sends one person's queue as
    /// another's.
    pub user: UserId,
    pub items: Vec<QueuedMutation>,
}

impl MutationBatch {
    pub const MAX_ITEMS: usize = 100;
}

/// What an applied mutation produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Applied {
    Message {
        message: MessageView,
    },
    Conversation {
        conversation: ConversationId,
    },
    Bookmark {
        session: SessionId,
        bookmarked: bool,
    },
}

/// The server's answer for one item. A repeated key gets the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub key: IdempotencyKey,
    /// 200 when applied (now or before); the error's status otherwise.
    pub status: u16,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied(Applied),
    Failed(AppError),
}

impl ItemResult {
    pub fn applied(key: IdempotencyKey, applied: Applied) -> Self {
        Self {
            key,
            status: 200,
            outcome: Outcome::Applied(applied),
        }
    }

    pub fn failed(key: IdempotencyKey, error: AppError) -> Self {
        Self {
            key,
            status: error.status(),
            outcome: Outcome::Failed(error),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub results: Vec<ItemResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_have_a_stable_wire_form() {
        let json = r#"{"key":"7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "mutation":{"kind":"set_bookmark","session":4,"bookmarked":true}}"#;
        let item: QueuedMutation = serde_json::from_str(json).unwrap();
        assert_eq!(
            item.mutation,
            Mutation::SetBookmark {
                session: SessionId(4),
                bookmarked: true
            }
        );
        let failed = ItemResult::failed(item.key, AppError::invalid("nope"));
        let text = serde_json::to_string(&failed).unwrap();
        assert!(text.contains(r#""status":422"#), "{text}");
        assert!(
            text.contains(r#""failed":{"code":"invalid","message":"nope"}"#),
            "{text}"
        );
    }
}
