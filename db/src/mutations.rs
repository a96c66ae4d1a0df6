//! The one way data changes: every mutation (from a device's outbox or a
//! plain form post) is applied inside a `BEGIN IMMEDIATE` transaction that
//! also records its result under the user's idempotency key: a repeated key
//! (a resend, a second tab, a replay after a crash) gets the first result
//! and changes nothing. A batch is one transaction with a savepoint per
//! item, so a refused item undoes only its own writes and the batch costs
//! one commit, not one per item. Every read a change needs goes through
//! that transaction's connection.

use crate::messaging::{post_message_in, start_conversation_in, PostedMessage};
use crate::schedule::set_bookmark_in;
use crate::users::users_named_in;
use crate::{internal, Db};
use mozi_core::{
    AppError, Applied, IdempotencyKey, ItemResult, MessageBody, Mutation, QueuedMutation,
    UnixMillis, UserId, UsernameList, OUTBOX_TTL_MS,
};
use sqlx::{Acquire, SqliteConnection};

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
        let mut applications = Vec::with_capacity(items.len());
        for item in items {
            applications.push(apply_item(&mut tx, user, item, now).await?);
        }
        tx.commit().await.map_err(internal)?;
        Ok(applications)
    }
}

/// One item of a batch, inside its own savepoint.
async fn apply_item(
    conn: &mut SqliteConnection,
    user: UserId,
    item: &QueuedMutation,
    now: UnixMillis,
) -> Result<Application, AppError> {
    if let Some(result) = recorded(conn, user, item.key).await? {
        return Ok(Application {
            result,
            new_message: None,
        });
    }
    let mut savepoint = conn.begin().await.map_err(internal)?;
    let (applied, new_message) = match effect(&mut savepoint, user, &item.mutation, now).await {
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
    let result = ItemResult::applied(item.key, applied);
    let json = serde_json::to_string(&result).map_err(|error| {
        tracing::error!(%error, "could not encode a mutation result");
        AppError::Internal
    })?;
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, result, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(user.0)
    .bind(item.key.to_string())
    .bind(json)
    .bind(now)
    .execute(&mut *savepoint)
    .await
    .map_err(internal)?;
    savepoint.commit().await.map_err(internal)?;
    Ok(Application {
        result,
        new_message,
    })
}

async fn recorded(
    conn: &mut SqliteConnection,
    user: UserId,
    key: IdempotencyKey,
) -> Result<Option<ItemResult>, AppError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT result FROM idempotency_keys WHERE user_id = ? AND key = ?")
            .bind(user.0)
            .bind(key.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    row.map(|(json,)| {
        serde_json::from_str(&json).map_err(|error| {
            tracing::error!(%error, "a recorded mutation result is unreadable");
            AppError::Internal
        })
    })
    .transpose()
}

async fn effect(
    conn: &mut SqliteConnection,
    user: UserId,
    mutation: &Mutation,
    now: UnixMillis,
) -> Result<(Applied, Option<PostedMessage>), AppError> {
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
            let posted =
                post_message_in(conn, user, *conversation, *id, &body, created_at, now).await?;
            let message = posted.message.clone();
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
