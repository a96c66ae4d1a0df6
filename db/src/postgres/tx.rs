//! The write path's statements on PostgreSQL, inside one transaction that
//! holds the batch's user's advisory lock: the same key sent to two servers
//! at once is applied by one, and found recorded by the other.

use crate::repository::{NewMessage, WriteTx};
use crate::rows::{self, MessageRow, UserRow};
use crate::{internal, savepoint};
use mozi_core::{
    AppError, ConversationId, IdempotencyKey, MessageId, MessageView, SessionId, UnixMillis,
    UserId, UserView, Username,
};
use sqlx::{PgPool, Postgres, Transaction};

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl PgTx {
    pub(super) async fn begin(pool: &PgPool, user: UserId) -> Result<Self, AppError> {
        let mut tx = pool.begin().await.map_err(internal)?;
        // One batch of a user's at a time, on every server: keys are the
        // user's own, so this is all two requests with one key can share.
        // (Batches of different users run side by side.)
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        Ok(Self { tx })
    }
}

impl PgTx {
    async fn run(&mut self, sql: &'static str) -> Result<(), AppError> {
        sqlx::query(sql)
            .execute(&mut *self.tx)
            .await
            .map(drop)
            .map_err(internal)
    }
}

impl WriteTx for PgTx {
    async fn recorded_results(
        &mut self,
        user: UserId,
        keys: &[IdempotencyKey],
    ) -> Result<Vec<String>, AppError> {
        let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let recorded: Vec<(String,)> = sqlx::query_as(
            "SELECT result FROM idempotency_keys WHERE user_id = $1 AND key = ANY($2)",
        )
        .bind(user.0)
        .bind(keys)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(recorded.into_iter().map(|(json,)| json).collect())
    }

    async fn record_results(
        &mut self,
        user: UserId,
        results: &[(IdempotencyKey, String)],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let keys: Vec<String> = results.iter().map(|(key, _)| key.to_string()).collect();
        let jsons: Vec<&str> = results.iter().map(|(_, json)| json.as_str()).collect();
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, result, created_at)
             SELECT $1, key, result, $4 FROM UNNEST($2::text[], $3::text[]) AS r (key, result)",
        )
        .bind(user.0)
        .bind(keys)
        .bind(jsons)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn savepoint(&mut self) -> Result<(), AppError> {
        self.run(savepoint::OPEN).await
    }

    async fn release_savepoint(&mut self) -> Result<(), AppError> {
        self.run(savepoint::RELEASE).await
    }

    async fn rollback_savepoint(&mut self) -> Result<(), AppError> {
        self.run(savepoint::ROLL_BACK).await?;
        self.run(savepoint::RELEASE).await
    }

    async fn alias_target(
        &mut self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<ConversationId>, AppError> {
        let target = super::Postgres::alias_target(&mut self.tx, user, id).await?;
        Ok((target != id).then_some(target))
    }

    async fn members(&mut self, conversation: ConversationId) -> Result<Vec<UserView>, AppError> {
        super::Postgres::members(&mut self.tx, conversation).await
    }

    async fn one_to_one(
        &mut self,
        a: UserId,
        b: UserId,
    ) -> Result<Option<ConversationId>, AppError> {
        // Two people starting a conversation with each other at the same
        // moment (each holding only their own lock) must find one another's:
        // the pair's lock makes the second wait for the first's commit.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("1:1 {} {}", a.0.min(b.0), a.0.max(b.0)))
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT c.id FROM conversations c
             JOIN conversation_members a ON a.conversation_id = c.id AND a.user_id = $1
             JOIN conversation_members b ON b.conversation_id = c.id AND b.user_id = $2
             WHERE (SELECT COUNT(*) FROM conversation_members m
                    WHERE m.conversation_id = c.id) = 2
             ORDER BY c.created_at, c.id
             LIMIT 1",
        )
        .bind(a.0)
        .bind(b.0)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(internal)?;
        existing
            .map(|(id,)| rows::parse_id(&id, "conversation"))
            .transpose()
    }

    async fn conversation_creator(
        &mut self,
        id: ConversationId,
    ) -> Result<Option<UserId>, AppError> {
        let creator: Option<(i64,)> =
            sqlx::query_as("SELECT created_by FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(internal)?;
        Ok(creator.map(|(id,)| UserId(id)))
    }

    async fn insert_alias(
        &mut self,
        alias: ConversationId,
        user: UserId,
        target: ConversationId,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO conversation_aliases (id, user_id, conversation_id) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(alias.to_string())
        .bind(user.0)
        .bind(target.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn insert_conversation(
        &mut self,
        id: ConversationId,
        creator: UserId,
        others: &[UserId],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO conversations (id, created_by, created_at, last_activity_at)
             VALUES ($1, $2, $3, $3)",
        )
        .bind(id.to_string())
        .bind(creator.0)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        let members: Vec<i64> = std::iter::once(creator)
            .chain(others.iter().copied())
            .map(|member| member.0)
            .collect();
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, last_read_at)
             SELECT $1, member, $3 FROM UNNEST($2::bigint[]) AS member",
        )
        .bind(id.to_string())
        .bind(members)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn touch_conversation(
        &mut self,
        id: ConversationId,
        author: UserId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE conversations SET last_activity_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        sqlx::query(
            "UPDATE conversation_members SET last_read_at = $1
             WHERE conversation_id = $2 AND user_id = $3",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(author.0)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn insert_message(&mut self, message: &NewMessage<'_>) -> Result<bool, AppError> {
        let inserted = sqlx::query(
            "INSERT INTO messages (id, conversation_id, author_id, body, created_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(message.id.to_string())
        .bind(message.conversation.to_string())
        .bind(message.author.0)
        .bind(message.body)
        .bind(message.created_at)
        .bind(message.received_at)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn stored_message(&mut self, id: MessageId) -> Result<MessageView, AppError> {
        let stored: MessageRow = sqlx::query_as(&format!(
            "SELECT {} FROM messages m JOIN users u ON u.id = m.author_id WHERE m.id = $1",
            super::MESSAGE_COLUMNS
        ))
        .bind(id.to_string())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(internal)?;
        MessageView::try_from(stored)
    }

    async fn session_exists(&mut self, id: SessionId) -> Result<bool, AppError> {
        let (exists,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM conference_sessions WHERE id = $1)")
                .bind(id.0)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(internal)?;
        Ok(exists)
    }

    async fn set_bookmark(
        &mut self,
        user: UserId,
        session: SessionId,
        bookmarked: bool,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let query = if bookmarked {
            sqlx::query(
                "INSERT INTO bookmarks (user_id, session_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(user.0)
            .bind(session.0)
            .bind(now)
        } else {
            sqlx::query("DELETE FROM bookmarks WHERE user_id = $1 AND session_id = $2")
                .bind(user.0)
                .bind(session.0)
        };
        query.execute(&mut *self.tx).await.map_err(internal)?;
        Ok(())
    }

    async fn user_named(&mut self, name: &Username) -> Result<Option<UserView>, AppError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, display_name FROM users WHERE username = $1")
                .bind(name.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(internal)?;
        Ok(row.map(UserView::from))
    }

    async fn take_event_ids(&mut self, user: UserId, count: i64) -> Result<i64, AppError> {
        let (last,): (i64,) = sqlx::query_as(
            "UPDATE users SET last_event_id = last_event_id + $1 WHERE id = $2
             RETURNING last_event_id",
        )
        .bind(count)
        .bind(user.0)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(internal)?;
        Ok(last - count + 1)
    }

    async fn insert_events(
        &mut self,
        rows: &[(UserId, i64, &str)],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let users: Vec<i64> = rows.iter().map(|row| row.0 .0).collect();
        let ids: Vec<i64> = rows.iter().map(|row| row.1).collect();
        let events: Vec<&str> = rows.iter().map(|row| row.2).collect();
        sqlx::query(
            "INSERT INTO events (user_id, id, event, created_at)
             SELECT user_id, id, event, $4
             FROM UNNEST($1::bigint[], $2::bigint[], $3::text[]) AS e (user_id, id, event)",
        )
        .bind(&users)
        .bind(ids)
        .bind(events)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        // Every server listening learns whose events are new when this
        // commits (a notice is sent only then). The payload names users,
        // never the events: notices are small and may be lost.
        let mut recipients = users;
        recipients.sort_unstable();
        recipients.dedup();
        for chunk in recipients.chunks(USERS_PER_NOTICE) {
            let payload = chunk
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::EVENTS_CHANNEL)
                .bind(payload)
                .execute(&mut *self.tx)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await.map_err(internal)
    }
}

/// User ids per notice: well under PostgreSQL's 8,000-byte payload limit.
const USERS_PER_NOTICE: usize = 400;
