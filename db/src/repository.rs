//! The one interface every backend implements, with its own queries: the
//! repository the app reads and writes through ([`Repository`]), and the
//! statements the shared write path (`crate::write`) runs inside one
//! transaction ([`WriteTx`]). What a change means (idempotency, savepoints,
//! the conversation rules, event ids) is written once, in `crate::write`.

use crate::{Credentials, EventPosition, Rate, StoredEvent};
use mozi_core::{
    AppError, ConferenceDay, ConversationId, ConversationList, DisplayName, IdempotencyKey,
    MessageId, MessageView, PageCursor, Schedule, SessionDetail, SessionId, SessionSummary, Thread,
    UnixMillis, UserId, UserView, Username,
};
use std::future::Future;
use uuid::Uuid;

/// The reads and the writes outside the mutation path, per backend.
pub trait Repository: Send + Sync {
    /// The write path's transaction on this backend.
    type Tx: WriteTx;

    /// Starts the transaction that applies `user`'s batch. It holds what
    /// makes a batch's idempotency keys safe: no other batch of `user`'s,
    /// on any server, runs its effects at the same time.
    fn begin_batch(&self, user: UserId) -> impl Future<Output = Result<Self::Tx, AppError>> + Send;

    /// Why this database should not serve yet, if it should not.
    fn readiness(&self) -> impl Future<Output = Result<(), &'static str>> + Send;

    fn conversations(
        &self,
        user: UserId,
        before: Option<PageCursor>,
    ) -> impl Future<Output = Result<ConversationList, AppError>> + Send;
    fn thread(
        &self,
        user: UserId,
        id: ConversationId,
        before: Option<PageCursor>,
    ) -> impl Future<Output = Result<Thread, AppError>> + Send;
    fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    fn conference_days(&self) -> impl Future<Output = Result<Vec<ConferenceDay>, AppError>> + Send;
    fn schedule(
        &self,
        day: u8,
        viewer: Option<UserId>,
    ) -> impl Future<Output = Result<Schedule, AppError>> + Send;
    fn session(
        &self,
        id: SessionId,
        viewer: Option<UserId>,
    ) -> impl Future<Output = Result<SessionDetail, AppError>> + Send;
    fn my_schedule(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<SessionSummary>, AppError>> + Send;

    fn create_user(
        &self,
        username: &Username,
        display_name: &DisplayName,
        password_hash: &str,
        now: UnixMillis,
    ) -> impl Future<Output = Result<UserView, AppError>> + Send;
    fn credentials(
        &self,
        username: &Username,
    ) -> impl Future<Output = Result<Option<Credentials>, AppError>> + Send;
    fn user(&self, id: UserId) -> impl Future<Output = Result<Option<UserView>, AppError>> + Send;
    fn username_taken(
        &self,
        username: &Username,
    ) -> impl Future<Output = Result<bool, AppError>> + Send;

    fn events_after(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, AppError>> + Send;
    fn event_position(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<EventPosition, AppError>> + Send;
    fn prune_events(
        &self,
        before: UnixMillis,
    ) -> impl Future<Output = Result<u64, AppError>> + Send;

    fn take_attempt(
        &self,
        key: &str,
        rate: Rate,
        now: UnixMillis,
    ) -> impl Future<Output = Result<Result<(), i64>, AppError>> + Send;
    fn forget_spent_attempts(
        &self,
        now: UnixMillis,
    ) -> impl Future<Output = Result<u64, AppError>> + Send;
    fn lease_batch(
        &self,
        user: UserId,
        most: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Future<Output = Result<Option<Uuid>, AppError>> + Send;
    fn renew_batch(
        &self,
        lease: Uuid,
        expires_at: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;
    fn release_batch(&self, lease: Uuid) -> impl Future<Output = Result<(), AppError>> + Send;
}

/// A message about to be stored.
pub struct NewMessage<'a> {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub author: UserId,
    pub body: &'a str,
    pub created_at: UnixMillis,
    pub received_at: UnixMillis,
}

/// The statements of the write path, inside the batch's transaction.
pub trait WriteTx: Send {
    /// The results recorded under any of `keys` of `user`'s, as JSON.
    fn recorded_results(
        &mut self,
        user: UserId,
        keys: &[IdempotencyKey],
    ) -> impl Future<Output = Result<Vec<String>, AppError>> + Send;
    /// Records results (JSON) under their keys.
    fn record_results(
        &mut self,
        user: UserId,
        results: &[(IdempotencyKey, String)],
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Opens the savepoint of one item.
    fn savepoint(&mut self) -> impl Future<Output = Result<(), AppError>> + Send;
    /// Keeps the item's writes.
    fn release_savepoint(&mut self) -> impl Future<Output = Result<(), AppError>> + Send;
    /// Undoes the item's writes.
    fn rollback_savepoint(&mut self) -> impl Future<Output = Result<(), AppError>> + Send;

    /// The conversation `user`'s device id `id` is an alias of, if it is one.
    fn alias_target(
        &mut self,
        user: UserId,
        id: ConversationId,
    ) -> impl Future<Output = Result<Option<ConversationId>, AppError>> + Send;
    /// A conversation's members, by display name.
    fn members(
        &mut self,
        conversation: ConversationId,
    ) -> impl Future<Output = Result<Vec<UserView>, AppError>> + Send;
    /// The oldest conversation of exactly these two people.
    fn one_to_one(
        &mut self,
        a: UserId,
        b: UserId,
    ) -> impl Future<Output = Result<Option<ConversationId>, AppError>> + Send;
    /// Who created conversation `id`, if it exists.
    fn conversation_creator(
        &mut self,
        id: ConversationId,
    ) -> impl Future<Output = Result<Option<UserId>, AppError>> + Send;
    fn insert_alias(
        &mut self,
        alias: ConversationId,
        user: UserId,
        target: ConversationId,
    ) -> impl Future<Output = Result<(), AppError>> + Send;
    /// A new conversation of `creator` and `others`.
    fn insert_conversation(
        &mut self,
        id: ConversationId,
        creator: UserId,
        others: &[UserId],
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;
    /// Sets the conversation's last activity, and marks it read by `author`.
    fn touch_conversation(
        &mut self,
        id: ConversationId,
        author: UserId,
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Stores a message; false when its id is already stored.
    fn insert_message(
        &mut self,
        message: &NewMessage<'_>,
    ) -> impl Future<Output = Result<bool, AppError>> + Send;
    fn stored_message(
        &mut self,
        id: MessageId,
    ) -> impl Future<Output = Result<MessageView, AppError>> + Send;

    fn session_exists(
        &mut self,
        id: SessionId,
    ) -> impl Future<Output = Result<bool, AppError>> + Send;
    fn set_bookmark(
        &mut self,
        user: UserId,
        session: SessionId,
        bookmarked: bool,
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    fn user_named(
        &mut self,
        name: &Username,
    ) -> impl Future<Output = Result<Option<UserView>, AppError>> + Send;

    /// Takes `count` event ids of `user`'s; answers the first. Ids count up
    /// in commit order: the user's counter stays locked until the commit.
    fn take_event_ids(
        &mut self,
        user: UserId,
        count: i64,
    ) -> impl Future<Output = Result<i64, AppError>> + Send;
    /// Stores events as (recipient, id, JSON), and tells the other servers.
    fn insert_events(
        &mut self,
        rows: &[(UserId, i64, &str)],
        now: UnixMillis,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    fn commit(self) -> impl Future<Output = Result<(), AppError>> + Send;
}
