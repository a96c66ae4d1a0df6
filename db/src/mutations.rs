//! The one way data changes: every mutation (from a device's outbox or a
//! plain form post) is applied inside a `BEGIN IMMEDIATE` transaction that
//! also records its result under the user's idempotency key: a repeated key
//! (a resend, a second tab, a replay after a crash) gets the first result
//! and changes nothing. A batch is one transaction with a savepoint per
//! item, so a refused item undoes only its own writes and the batch costs
//! one commit, not one per item. Every read a change needs goes through
//! that transaction's connection.

use crate::events::PendingEvents;
use crate::messaging::{post_message_in, start_conversation_in, BatchConversations, PostedMessage};
use crate::schedule::set_bookmark_in;
use crate::users::users_named_in;
use crate::{internal, Db};
use mozi_core::{
    AppError, Applied, IdempotencyKey, ItemResult, LiveEvent, MessageBody, Mutation,
    QueuedMutation, UnixMillis, UserId, UsernameList, OUTBOX_TTL_MS,
};
use sqlx::{Acquire, SqliteConnection};
use std::collections::HashMap;

/// What applying one mutation did.
#[derive(Debug)]
pub struct Application {
    pub result: ItemResult,
    /// A message stored by this very call (not by an earlier one), to be
    /// pushed to the conversation's members.
    pub new_message: Option<PostedMessage>,
}

impl Db {
    /// Applies each of `items` for `user`, in order, once per key, in one
    /// transaction. Refusals (4xx) are results, not recorded: they changed
    /// nothing, and a retry is judged afresh. A server failure undoes the
    /// whole batch, which the device then sends again.
    pub async fn apply_batch(
        &self,
        user: UserId,
        items: &[QueuedMutation],
        now: UnixMillis,
    ) -> Result<Vec<Application>, AppError> {
        // SQLite has one writer. Writers queue here, in order, rather than
        // each holding a pooled connection while SQLite makes it wait: the
        // pool stays free for reads, whatever one user sends.
        let _writer = self.write_turn.lock().await;
        // IMMEDIATE takes the write lock first, so two requests with the same
        // key queue up instead of both applying.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(internal)?;
        let mut batch = Batch {
            user,
            now,
            recorded: recorded(&mut tx, user, items).await?,
            fresh: Vec::new(),
            conversations: BatchConversations::default(),
            events: PendingEvents::default(),
        };
        let mut applications = Vec::with_capacity(items.len());
        for item in items {
            applications.push(batch.apply(&mut tx, item).await?);
        }
        batch.finish(&mut tx).await?;
        tx.commit().await.map_err(internal)?;
        Ok(applications)
    }
}

/// One batch on its way through the transaction.
struct Batch {
    user: UserId,
    now: UnixMillis,
    /// The results recorded under the batch's keys, by earlier requests or
    /// earlier in this batch.
    recorded: HashMap<IdempotencyKey, ItemResult>,
    /// Results of this batch, as JSON, recorded when it ends.
    fresh: Vec<(IdempotencyKey, String)>,
    conversations: BatchConversations,
    /// The live events of the batch's new messages, stored when it ends.
    events: PendingEvents,
}

impl Batch {
    /// One item, inside its own savepoint.
    async fn apply(
        &mut self,
        conn: &mut SqliteConnection,
        item: &QueuedMutation,
    ) -> Result<Application, AppError> {
        if let Some(result) = self.recorded.get(&item.key) {
            return Ok(Application {
                result: result.clone(),
                new_message: None,
            });
        }
        let mut savepoint = conn.begin().await.map_err(internal)?;
        let done = effect(&mut savepoint, self, &item.mutation).await;
        let (applied, new_message) = match done {
            Ok(done) => done,
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(refusal) => {
                savepoint.rollback().await.map_err(internal)?;
                return Ok(Application {
                    result: ItemResult::failed(item.key, refusal),
                    new_message: None,
                });
            }
        };
        savepoint.commit().await.map_err(internal)?;
        let result = ItemResult::applied(item.key, applied);
        let json = serde_json::to_string(&result).map_err(|error| {
            tracing::error!(%error, "could not encode a mutation result");
            AppError::Internal
        })?;
        self.fresh.push((item.key, json));
        self.recorded.insert(item.key, result.clone());
        Ok(Application {
            result,
            new_message,
        })
    }

    /// Records the batch's results under their keys, its live events and
    /// the activity of its conversations: a few statements for the whole
    /// batch, rather than a few per item.
    async fn finish(self, conn: &mut SqliteConnection) -> Result<(), AppError> {
        for chunk in self.fresh.chunks(RESULTS_PER_INSERT) {
            let rows = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO idempotency_keys (user_id, key, result, created_at) VALUES {rows}"
            );
            let mut query = sqlx::query(&sql);
            for (key, json) in chunk {
                query = query
                    .bind(self.user.0)
                    .bind(key.to_string())
                    .bind(json)
                    .bind(self.now);
            }
            query.execute(&mut *conn).await.map_err(internal)?;
        }
        self.events.write(conn, self.now).await?;
        self.conversations.finish(conn, self.user, self.now).await
    }
}

/// Rows per multi-row insert: 4 values each, well under SQLite's limit on
/// bound values.
const RESULTS_PER_INSERT: usize = 100;

/// The results already recorded under the keys of `items`.
async fn recorded(
    conn: &mut SqliteConnection,
    user: UserId,
    items: &[QueuedMutation],
) -> Result<HashMap<IdempotencyKey, ItemResult>, AppError> {
    let mut recorded = HashMap::new();
    for chunk in items.chunks(RESULTS_PER_INSERT) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let sql = format!(
            "SELECT result FROM idempotency_keys WHERE user_id = ? AND key IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(user.0);
        for item in chunk {
            query = query.bind(item.key.to_string());
        }
        for (json,) in query.fetch_all(&mut *conn).await.map_err(internal)? {
            let result: ItemResult = serde_json::from_str(&json).map_err(|error| {
                tracing::error!(%error, "a recorded mutation result is unreadable");
                AppError::Internal
            })?;
            recorded.insert(result.key, result);
        }
    }
    Ok(recorded)
}

async fn effect(
    conn: &mut SqliteConnection,
    batch: &mut Batch,
    mutation: &Mutation,
) -> Result<(Applied, Option<PostedMessage>), AppError> {
    let (user, now) = (batch.user, batch.now);
    match mutation {
        Mutation::SendMessage {
            conversation,
            id,
            body,
            created_at,
        } => {
            let body = MessageBody::parse(body)?;
            // A device clock running ahead must not put a message in the
            // future, nor one far behind it before anything the outbox keeps.
            let created_at = (*created_at).clamp(now.saturating_sub(OUTBOX_TTL_MS), now);
            let posted = post_message_in(
                conn,
                &mut batch.conversations,
                user,
                *conversation,
                *id,
                &body,
                created_at,
                now,
            )
            .await?;
            let message = posted.message.clone();
            if posted.newly_stored {
                let event = LiveEvent::Message {
                    message: message.clone(),
                };
                batch.events.add(&posted.members, &event)?;
            }
            let new_message = posted.newly_stored.then_some(posted);
            Ok((Applied::Message { message }, new_message))
        }
        Mutation::StartConversation {
            conversation,
            usernames,
        } => {
            let names = UsernameList::parse(usernames)?;
            let others = users_named_in(conn, names.names()).await?;
            let id = start_conversation_in(conn, user, &others, *conversation, now).await?;
            Ok((Applied::Conversation { conversation: id }, None))
        }
        Mutation::SetBookmark {
            session,
            bookmarked,
        } => {
            let now_bookmarked = set_bookmark_in(conn, user, *session, *bookmarked, now).await?;
            Ok((
                Applied::Bookmark {
                    session: *session,
                    bookmarked: now_bookmarked,
                },
                None,
            ))
        }
    }
}
