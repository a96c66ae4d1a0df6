//! The one way data changes: every mutation (from a device's outbox or a
//! plain form post) runs in its own `BEGIN IMMEDIATE` transaction that also
//! records its result under the user's idempotency key: a repeated key (a
//! resend, a second tab, a replay after a crash) gets the first result and
//! changes nothing. Every read a change needs goes through that
//! transaction's connection.

use crate::messaging::{post_message_in, start_conversation_in, PostedMessage};
use crate::schedule::set_bookmark_in;
use crate::users::users_named_in;
use crate::{internal, Db};
use mozi_core::{
    AppError, Applied, IdempotencyKey, ItemResult, MessageBody, Mutation, UnixMillis, UserId,
    UsernameList, OUTBOX_TTL_MS,
};
use sqlx::SqliteConnection;

/// What applying one mutation did.
#[derive(Debug)]
pub struct Application {
    pub result: ItemResult,
    /// A message stored by this very call (not by an earlier one), to be
    /// pushed to the conversation's members.
    pub new_message: Option<PostedMessage>,
}

impl Db {
    /// Applies `mutation` for `user` once per `key`. Failures (4xx) are not
    /// recorded: they changed nothing, and a retry is judged afresh.
    pub async fn apply(
        &self,
        user: UserId,
        key: IdempotencyKey,
        mutation: &Mutation,
        now: UnixMillis,
    ) -> Result<Application, AppError> {
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
        if let Some(result) = recorded(&mut tx, user, key).await? {
            return Ok(Application {
                result,
                new_message: None,
            });
        }
        let (applied, new_message) = match effect(&mut tx, user, mutation, now).await {
            Ok(done) => done,
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(refusal) => {
                return Ok(Application {
                    result: ItemResult::failed(key, refusal),
                    new_message: None,
                })
            }
        };
        let result = ItemResult::applied(key, applied);
        let json = serde_json::to_string(&result).map_err(|error| {
            tracing::error!(%error, "could not encode a mutation result");
            AppError::Internal
        })?;
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, result, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(user.0)
        .bind(key.to_string())
        .bind(json)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(Application {
            result,
            new_message,
        })
    }
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
