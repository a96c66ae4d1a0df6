//! The write path's statements on SQLite, inside one `BEGIN IMMEDIATE`
//! transaction, while this process's writer's turn is held.

use crate::repository::{NewMessage, WriteTx};
use crate::rows::{self, MessageRow, UserRow};
use crate::{internal, savepoint};
use mozi_core::{
    AppError, ConversationId, IdempotencyKey, MessageId, MessageView, SessionId, UnixMillis,
    UserId, UserView, Username,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

/// Rows per multi-row statement: a few values each, well under SQLite's
/// limit on bound values.
const ROWS_PER_STATEMENT: usize = 100;

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    _writer: OwnedMutexGuard<()>,
}

impl SqliteTx {
    pub(super) fn new(tx: Transaction<'static, Sqlite>, writer: OwnedMutexGuard<()>) -> Self {
        Self {
            tx,
            _writer: writer,
        }
    }
}

impl SqliteTx {
    async fn run(&mut self, sql: &'static str) -> Result<(), AppError> {
        sqlx::query(sql)
            .execute(&mut *self.tx)
            .await
            .map(drop)
            .map_err(internal)
    }
}

impl WriteTx for SqliteTx {
    async fn recorded_results(
        &mut self,
        user: UserId,
        keys: &[IdempotencyKey],
    ) -> Result<Vec<String>, AppError> {
        let mut recorded = Vec::new();
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT result FROM idempotency_keys WHERE user_id = ? AND key IN ({placeholders})"
            );
            let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(user.0);
            for key in chunk {
                query = query.bind(key.to_string());
            }
            let rows = query.fetch_all(&mut *self.tx).await.map_err(internal)?;
            recorded.extend(rows.into_iter().map(|(json,)| json));
        }
        Ok(recorded)
    }

    async fn record_results(
        &mut self,
        user: UserId,
        results: &[(IdempotencyKey, String)],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        for chunk in results.chunks(ROWS_PER_STATEMENT) {
            let rows = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO idempotency_keys (user_id, key, result, created_at) VALUES {rows}"
            );
            let mut query = sqlx::query(&sql);
            for (key, json) in chunk {
                query = query
                    .bind(user.0)
                    .bind(key.to_string())
                    .bind(json)
                    .bind(now);
            }
            query.execute(&mut *self.tx).await.map_err(internal)?;
        }
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
        let target = super::Sqlite::alias_target(&mut self.tx, user, id).await?;
        Ok((target != id).then_some(target))
    }

    async fn members(&mut self, conversation: ConversationId) -> Result<Vec<UserView>, AppError> {
        super::Sqlite::members(&mut self.tx, conversation).await
    }

    async fn one_to_one(
        &mut self,
        a: UserId,
        b: UserId,
    ) -> Result<Option<ConversationId>, AppError> {
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT c.id FROM conversations c
             JOIN conversation_members a ON a.conversation_id = c.id AND a.user_id = ?
             JOIN conversation_members b ON b.conversation_id = c.id AND b.user_id = ?
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
            sqlx::query_as("SELECT created_by FROM conversations WHERE id = ?")
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
            "INSERT INTO conversation_aliases (id, user_id, conversation_id) VALUES (?, ?, ?)
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
             VALUES (?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(creator.0)
        .bind(now)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(internal)?;
        for member in std::iter::once(creator).chain(others.iter().copied()) {
            sqlx::query(
                "INSERT INTO conversation_members (conversation_id, user_id, last_read_at)
                 VALUES (?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(member.0)
            .bind(now)
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }

    async fn touch_conversation(
        &mut self,
        id: ConversationId,
        author: UserId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE conversations SET last_activity_at = ? WHERE id = ?")
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(internal)?;
        sqlx::query(
            "UPDATE conversation_members SET last_read_at = ?
             WHERE conversation_id = ? AND user_id = ?",
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
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
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
            "SELECT {} FROM messages m JOIN users u ON u.id = m.author_id WHERE m.id = ?",
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
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM conference_sessions WHERE id = ?)")
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
                "INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )
            .bind(user.0)
            .bind(session.0)
            .bind(now)
        } else {
            sqlx::query("DELETE FROM bookmarks WHERE user_id = ? AND session_id = ?")
                .bind(user.0)
                .bind(session.0)
        };
        query.execute(&mut *self.tx).await.map_err(internal)?;
        Ok(())
    }

    async fn user_named(&mut self, name: &Username) -> Result<Option<UserView>, AppError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, display_name FROM users WHERE username = ?")
                .bind(name.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(internal)?;
        Ok(row.map(UserView::from))
    }

    async fn take_event_ids(&mut self, user: UserId, count: i64) -> Result<i64, AppError> {
        let (last,): (i64,) = sqlx::query_as(
            "UPDATE users SET last_event_id = last_event_id + ? WHERE id = ?
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
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql =
                format!("INSERT INTO events (user_id, id, event, created_at) VALUES {values}");
            let mut query = sqlx::query(&sql);
            for (recipient, id, json) in chunk {
                query = query.bind(recipient.0).bind(*id).bind(*json).bind(now);
            }
            query.execute(&mut *self.tx).await.map_err(internal)?;
        }
        Ok(())
    }

    async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await.map_err(internal)
    }
}
