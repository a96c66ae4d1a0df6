use mozi_core::{
    AppError, ConversationId, IdempotencyKey, Mutation, SessionId, UnixMillis, UserId,
};

/// The version of [`OutboxRecord`]'s stored shape; stored records of an
/// older version are migrated, never dropped.
pub const SCHEMA_VERSION: u32 = 1;

/// Mutations in one scope are applied in the order the user made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// The server's reason, shown to the user.
    Refused { error: AppError },
    /// Older than the queue's time-to-live.
    Expired,
}

/// One queued mutation as stored on the device (its stored form is in
/// `json`).
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// The queue's order: oldest first, the key breaking ties, so two
    /// records never compare equal and an unstable sort is exact.
    pub fn queue_order(&self) -> (UnixMillis, IdempotencyKey) {
        (self.created_at, self.key)
    }

    /// Whether it may go into the next batch at `now`.
    pub fn is_due(&self, now: UnixMillis) -> bool {
        matches!(self.state, ItemState::Pending) && self.not_before <= now
    }
}
