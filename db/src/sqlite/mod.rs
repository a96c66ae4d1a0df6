//! The embedded backend: one SQLite file in WAL mode behind a connection
//! pool, served by one server process.

mod tx;

use crate::repository::Repository;
use crate::rows::{self, ConversationRow, MessageRow, SessionRow, UserRow, CONFERENCE_NAME};
use crate::seed::Conference;
use crate::{internal, taken, Credentials, EventPosition, Rate, StoredEvent};
use mozi_core::{
    AppError, ConferenceDay, ConversationId, ConversationList, DisplayName, PageCursor, Schedule,
    SessionDetail, SessionId, SessionSummary, Thread, UnixMillis, UserId, UserView, Username,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub(crate) use tx::SqliteTx;

/// This build's SQLite migrations, embedded once.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone, Debug)]
pub struct Sqlite {
    pool: SqlitePool,
    /// Held by the one change being written. SQLite has one writer: writers
    /// queue here, in order, rather than each holding a pooled connection
    /// while SQLite makes it wait, so the pool stays free for reads,
    /// whatever one user sends.
    write_turn: Arc<tokio::sync::Mutex<()>>,
}

/// Columns of a `SessionRow`; `?` is the viewer's user id (or NULL).
const SESSION_COLUMNS: &str = "s.id, s.day, s.starts_at, s.ends_at, s.title, s.room, s.track,
    (SELECT group_concat(name, char(31)) FROM (
        SELECT sp.name FROM session_speakers ss JOIN speakers sp ON sp.id = ss.speaker_id
        WHERE ss.session_id = s.id ORDER BY ss.position)) AS speakers,
    EXISTS (SELECT 1 FROM bookmarks b WHERE b.session_id = s.id AND b.user_id = ?) AS bookmarked";

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.author_id, u.username, u.display_name,
    m.body, m.created_at";

impl Sqlite {
    /// The pool, for the session store that shares this database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Opens (creating if missing) the database at `url`, runs pending
    /// migrations and loads the demo conference when the schedule is empty.
    pub(crate) async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL still never corrupts the database; a power cut
            // can lose only the last transactions, which the outbox resends.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        // A SQLite file is served by one server process: batch leases left
        // by its previous run (stopped in the middle of a batch) are void,
        // and would otherwise hold the user's batches back until they
        // expire.
        sqlx::query("DELETE FROM batch_leases")
            .execute(&pool)
            .await?;
        load_conference_if_empty(&pool).await?;
        Ok(Self {
            pool,
            write_turn: Arc::default(),
        })
    }

    async fn members(
        conn: &mut SqliteConnection,
        conversation: ConversationId,
    ) -> Result<Vec<UserView>, AppError> {
        let members: Vec<UserRow> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name FROM conversation_members cm
             JOIN users u ON u.id = cm.user_id WHERE cm.conversation_id = ?
             ORDER BY u.display_name",
        )
        .bind(conversation.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        Ok(members.into_iter().map(UserView::from).collect())
    }

    async fn alias_target(
        conn: &mut SqliteConnection,
        user: UserId,
        id: ConversationId,
    ) -> Result<ConversationId, AppError> {
        let alias: Option<(String,)> = sqlx::query_as(
            "SELECT conversation_id FROM conversation_aliases WHERE id = ? AND user_id = ?",
        )
        .bind(id.to_string())
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        match alias {
            Some((target,)) => rows::parse_id(&target, "alias"),
            None => Ok(id),
        }
    }
}

async fn load_conference_if_empty(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (loaded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conference_days")
        .fetch_one(&mut *tx)
        .await?;
    if loaded > 0 {
        return Ok(());
    }
    let conference = Conference::demo()?;
    for (index, day) in conference.days.iter().enumerate() {
        sqlx::query("INSERT INTO conference_days (number, date, label) VALUES (?, ?, ?)")
            .bind(Conference::number(index))
            .bind(&day.date)
            .bind(&day.label)
            .execute(&mut *tx)
            .await?;
    }
    for (index, speaker) in conference.speakers.iter().enumerate() {
        sqlx::query("INSERT INTO speakers (id, name, affiliation) VALUES (?, ?, ?)")
            .bind(Conference::number(index))
            .bind(&speaker.name)
            .bind(&speaker.affiliation)
            .execute(&mut *tx)
            .await?;
    }
    for (index, session) in conference.sessions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO conference_sessions
                 (id, day, starts_at, ends_at, title, room, track, abstract)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(Conference::number(index))
        .bind(i64::from(session.day))
        .bind(&session.starts_at)
        .bind(&session.ends_at)
        .bind(&session.title)
        .bind(&session.room)
        .bind(&session.track)
        .bind(&session.abstract_text)
        .execute(&mut *tx)
        .await?;
    }
    for (session, speaker, position) in conference.session_speakers() {
        sqlx::query(
            "INSERT INTO session_speakers (session_id, speaker_id, position) VALUES (?, ?, ?)",
        )
        .bind(session)
        .bind(speaker)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        sessions = conference.sessions.len(),
        "loaded the demo conference"
    );
    Ok(())
}

impl Repository for Sqlite {
    type Tx = SqliteTx;

    async fn begin_batch(&self, _user: UserId) -> Result<SqliteTx, AppError> {
        let writer = Arc::clone(&self.write_turn).lock_owned().await;
        // IMMEDIATE takes the write lock first, so two requests with the same
        // key queue up instead of both applying.
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(internal)?;
        Ok(SqliteTx::new(tx, writer))
    }

    async fn readiness(&self) -> Result<(), &'static str> {
        let applied = sqlx::query_as(crate::APPLIED_MIGRATIONS)
            .fetch_all(&self.pool)
            .await;
        crate::readiness(applied, &MIGRATOR)
    }

    async fn conversations(
        &self,
        user: UserId,
        before: Option<PageCursor>,
    ) -> Result<ConversationList, AppError> {
        let (before_at, before_id) = rows::page_bounds(before);
        let rows: Vec<ConversationRow> = sqlx::query_as(
            "SELECT c.id, c.last_activity_at,
                (SELECT group_concat(display_name, ', ') FROM (
                    SELECT u.display_name FROM conversation_members om
                    JOIN users u ON u.id = om.user_id
                    WHERE om.conversation_id = c.id AND om.user_id != me.user_id
                    ORDER BY u.display_name)) AS title,
                (SELECT COUNT(*) FROM messages m
                 WHERE m.conversation_id = c.id AND m.author_id != me.user_id
                   AND m.received_at > me.last_read_at) AS unread,
                last.id AS last_id, last.author_id AS last_author_id,
                last_author.username AS last_username,
                last_author.display_name AS last_display_name,
                last.body AS last_body, last.created_at AS last_created_at
             FROM conversations c
             JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ?
             LEFT JOIN messages last ON last.id = (
                 SELECT m.id FROM messages m WHERE m.conversation_id = c.id
                 ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
             LEFT JOIN users last_author ON last_author.id = last.author_id
             WHERE (c.last_activity_at, c.id) < (?, ?) OR ? = ''
             ORDER BY c.last_activity_at DESC, c.id DESC
             LIMIT ?",
        )
        .bind(user.0)
        .bind(before_at)
        .bind(&before_id)
        .bind(&before_id)
        .bind(rows::CONVERSATIONS_PER_PAGE + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        rows::conversation_page(rows)
    }

    async fn thread(
        &self,
        user: UserId,
        id: ConversationId,
        before: Option<PageCursor>,
    ) -> Result<Thread, AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let id = Self::alias_target(&mut conn, user, id).await?;
        let members = crate::write::visible_members(Self::members(&mut conn, id).await?, user, id)?;
        let (before_at, before_id) = rows::page_bounds(before);
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id
             WHERE m.conversation_id = ? AND ((m.created_at, m.id) < (?, ?) OR ? = '')
             ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
        ))
        .bind(id.to_string())
        .bind(before_at)
        .bind(&before_id)
        .bind(&before_id)
        .bind(Thread::MESSAGES_PER_PAGE as i64 + 1)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        rows::thread(user, id, members, rows)
    }

    async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let conversation = Self::alias_target(&mut conn, user, conversation).await?;
        let updated = sqlx::query(
            "UPDATE conversation_members SET last_read_at = max(last_read_at, ?)
             WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(now)
        .bind(conversation.to_string())
        .bind(user.0)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
        if updated.rows_affected() == 0 {
            return Err(rows::no_such_conversation(conversation));
        }
        Ok(())
    }

    async fn conference_days(&self) -> Result<Vec<ConferenceDay>, AppError> {
        let days: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT number, date, label FROM conference_days ORDER BY number")
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
        Ok(days.into_iter().map(rows::conference_day).collect())
    }

    async fn schedule(&self, day: u8, viewer: Option<UserId>) -> Result<Schedule, AppError> {
        let days = self.conference_days().await?;
        if !days.iter().any(|d| d.number == day) {
            return Err(rows::no_such_day(day, &days));
        }
        let sessions: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} FROM conference_sessions s
             WHERE s.day = ? ORDER BY s.starts_at, s.room"
        ))
        .bind(viewer.map(|id| id.0))
        .bind(i64::from(day))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(Schedule {
            name: CONFERENCE_NAME.to_owned(),
            days,
            day,
            sessions: sessions.into_iter().map(SessionSummary::from).collect(),
        })
    }

    async fn session(
        &self,
        id: SessionId,
        viewer: Option<UserId>,
    ) -> Result<SessionDetail, AppError> {
        let summary: SessionRow = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} FROM conference_sessions s WHERE s.id = ?"
        ))
        .bind(viewer.map(|id| id.0))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?
        .ok_or_else(|| rows::no_such_session(id))?;
        let (abstract_text, date_label): (String, String) = sqlx::query_as(
            "SELECT s.abstract, d.label FROM conference_sessions s
             JOIN conference_days d ON d.number = s.day WHERE s.id = ?",
        )
        .bind(id.0)
        .fetch_one(&self.pool)
        .await
        .map_err(internal)?;
        let speakers: Vec<(String, String)> = sqlx::query_as(
            "SELECT sp.name, sp.affiliation FROM session_speakers ss
             JOIN speakers sp ON sp.id = ss.speaker_id
             WHERE ss.session_id = ? ORDER BY ss.position",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(SessionDetail {
            summary: summary.into(),
            date_label,
            abstract_text,
            speakers: speakers.into_iter().map(rows::speaker).collect(),
        })
    }

    async fn my_schedule(&self, user: UserId) -> Result<Vec<SessionSummary>, AppError> {
        let sessions: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} FROM conference_sessions s
             JOIN bookmarks mine ON mine.session_id = s.id AND mine.user_id = ?
             ORDER BY s.day, s.starts_at, s.room"
        ))
        .bind(user.0)
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(sessions.into_iter().map(SessionSummary::from).collect())
    }

    async fn create_user(
        &self,
        username: &Username,
        display_name: &DisplayName,
        password_hash: &str,
        now: UnixMillis,
    ) -> Result<UserView, AppError> {
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO users (username, display_name, password_hash, created_at)
             VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(username.as_str())
        .bind(display_name.as_str())
        .bind(password_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        let (id,) = inserted.ok_or_else(|| taken(username))?;
        Ok(UserView {
            id: UserId(id),
            username: username.as_str().to_owned(),
            display_name: display_name.as_str().to_owned(),
        })
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, AppError> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash FROM users WHERE username = ?",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        Ok(row.map(Credentials::from))
    }

    async fn user(&self, id: UserId) -> Result<Option<UserView>, AppError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, display_name FROM users WHERE id = ?")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
        Ok(row.map(UserView::from))
    }

    async fn username_taken(&self, username: &Username) -> Result<bool, AppError> {
        let (taken,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)")
                .bind(username.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(internal)?;
        Ok(taken)
    }

    async fn events_after(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, AppError> {
        let events: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, event FROM events WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(user.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(events.into_iter().map(StoredEvent::from).collect())
    }

    async fn event_position(&self, user: UserId) -> Result<EventPosition, AppError> {
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT last_event_id, (SELECT min(id) FROM events WHERE user_id = users.id)
             FROM users WHERE id = ?",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        Ok(EventPosition::from(row))
    }

    async fn prune_events(&self, before: UnixMillis) -> Result<u64, AppError> {
        let _writer = self.write_turn.lock().await;
        let deleted = sqlx::query("DELETE FROM events WHERE created_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }

    async fn take_attempt(
        &self,
        key: &str,
        rate: Rate,
        now: UnixMillis,
    ) -> Result<Result<(), i64>, AppError> {
        let _writer = self.write_turn.lock().await;
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO rate_limits (key, due_at) VALUES (?1, ?2 + ?3)
             ON CONFLICT (key) DO UPDATE SET due_at = max(due_at, ?2) + ?3
                 WHERE max(due_at, ?2) + ?3 - ?2 <= ?4
             RETURNING due_at",
        )
        .bind(key)
        .bind(now)
        .bind(rate.every_ms)
        .bind(rate.tolerance())
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        if taken.is_some() {
            return Ok(Ok(()));
        }
        let (due_at,): (i64,) = sqlx::query_as("SELECT due_at FROM rate_limits WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)?;
        Ok(Err(rate.wait_ms(due_at, now)))
    }

    async fn forget_spent_attempts(&self, now: UnixMillis) -> Result<u64, AppError> {
        let _writer = self.write_turn.lock().await;
        let deleted = sqlx::query("DELETE FROM rate_limits WHERE due_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }

    async fn lease_batch(
        &self,
        user: UserId,
        most: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<Option<Uuid>, AppError> {
        let id = Uuid::new_v4();
        let _writer = self.write_turn.lock().await;
        let mut tx = self.pool.begin().await.map_err(internal)?;
        sqlx::query("DELETE FROM batch_leases WHERE user_id = ? AND expires_at <= ?")
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let leased = sqlx::query(
            "INSERT INTO batch_leases (id, user_id, expires_at)
             SELECT ?1, ?2, ?3
             WHERE (SELECT count(*) FROM batch_leases WHERE user_id = ?2) < ?4",
        )
        .bind(id.to_string())
        .bind(user.0)
        .bind(expires_at)
        .bind(i64::from(most))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok((leased.rows_affected() == 1).then_some(id))
    }

    async fn renew_batch(&self, lease: Uuid, expires_at: UnixMillis) -> Result<(), AppError> {
        let _writer = self.write_turn.lock().await;
        sqlx::query("UPDATE batch_leases SET expires_at = ? WHERE id = ?")
            .bind(expires_at)
            .bind(lease.to_string())
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn release_batch(&self, lease: Uuid) -> Result<(), AppError> {
        let _writer = self.write_turn.lock().await;
        sqlx::query("DELETE FROM batch_leases WHERE id = ?")
            .bind(lease.to_string())
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(())
    }
}
