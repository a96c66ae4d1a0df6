//! MOZI's database, on one of two backends chosen by the URL at start-up:
//! SQLite (`sqlite://…`, the embedded default, one server process) or
//! PostgreSQL (`postgres://…`, any number of servers).
//!
//! [`Db`] is the repository: every read and write of the app goes through
//! its methods, which take already-validated domain types and answer with
//! views or an [`AppError`]. Each backend implements [`Repository`] with
//! its own migrations and queries; the write path above them
//! (`write`) is written once.

mod postgres;
mod repository;
mod rows;
mod seed;
mod sqlite;
mod write;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

use futures::Stream;
use mozi_core::{
    AppError, ConferenceDay, ConversationId, ConversationList, DisplayName, MessageView,
    PageCursor, QueuedMutation, Schedule, SessionDetail, SessionId, SessionSummary, Thread,
    UnixMillis, UserId, UserView, Username,
};
use std::pin::Pin;
use uuid::Uuid;

pub use postgres::Postgres;
pub use repository::Repository;
pub use sqlite::Sqlite;
pub use write::Application;

/// The database, on whichever backend the URL named.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Runs the same repository method on whichever backend this is.
macro_rules! on_backend {
    ($db:expr, $method:ident($($arg:expr),*)) => {
        match $db {
            Db::Sqlite(db) => db.$method($($arg),*).await,
            Db::Postgres(db) => db.$method($($arg),*).await,
        }
    };
}

/// Whose events are new, as the database tells this server of other
/// servers' writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wakeup {
    /// These users have new events.
    Users(Vec<UserId>),
    /// Anyone may have: a notice may have been missed.
    Everyone,
}

impl Db {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`), runs
    /// pending migrations and loads the demo conference when the schedule
    /// is empty.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if postgres::handles(url) {
            Ok(Self::Postgres(postgres::Postgres::connect(url).await?))
        } else {
            Ok(Self::Sqlite(sqlite::Sqlite::connect(url).await?))
        }
    }

    /// A name for logs and benchmarks: "SQLite" or "PostgreSQL".
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// Applies each of `items` for `user`, in order, once per key, in one
    /// transaction (see `write`).
    pub async fn apply_batch(
        &self,
        user: UserId,
        items: &[QueuedMutation],
        now: UnixMillis,
    ) -> Result<Vec<Application>, AppError> {
        match self {
            Db::Sqlite(db) => {
                write::apply_batch(db.begin_batch(user).await?, user, items, now).await
            }
            Db::Postgres(db) => {
                write::apply_batch(db.begin_batch(user).await?, user, items, now).await
            }
        }
    }

    /// Wake-ups for the open event streams of this server, when other
    /// servers write: `None` on SQLite, whose one server already knows.
    pub async fn follow_other_servers(&self) -> Option<Pin<Box<dyn Stream<Item = Wakeup> + Send>>> {
        match self {
            Db::Sqlite(_) => None,
            Db::Postgres(db) => Some(Box::pin(db.follow_events())),
        }
    }

    /// Why this database should not serve yet, if it should not: it does
    /// not answer, or a migration of this build is not applied (another
    /// instance of an older build may have started on it).
    pub async fn readiness(&self) -> Result<(), &'static str> {
        on_backend!(self, readiness())
    }

    /// One page of the user's conversations, most recently active first,
    /// with unread counts and last messages.
    pub async fn conversations(
        &self,
        user: UserId,
        before: Option<PageCursor>,
    ) -> Result<ConversationList, AppError> {
        on_backend!(self, conversations(user, before))
    }

    /// A conversation's members and one page of its messages, oldest first:
    /// the latest ones, or those before `before`. `id` may be an alias the
    /// user's device gave it.
    pub async fn thread(
        &self,
        user: UserId,
        id: ConversationId,
        before: Option<PageCursor>,
    ) -> Result<Thread, AppError> {
        on_backend!(self, thread(user, id, before))
    }

    /// Marks everything received so far in the conversation as read by `user`.
    pub async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        on_backend!(self, mark_read(user, conversation, now))
    }

    pub async fn conference_days(&self) -> Result<Vec<ConferenceDay>, AppError> {
        on_backend!(self, conference_days())
    }

    /// One day of the programme; `viewer` decides the bookmark flags.
    pub async fn schedule(&self, day: u8, viewer: Option<UserId>) -> Result<Schedule, AppError> {
        on_backend!(self, schedule(day, viewer))
    }

    pub async fn session(
        &self,
        id: SessionId,
        viewer: Option<UserId>,
    ) -> Result<SessionDetail, AppError> {
        on_backend!(self, session(id, viewer))
    }

    /// The user's bookmarked sessions in time order.
    pub async fn my_schedule(&self, user: UserId) -> Result<Vec<SessionSummary>, AppError> {
        on_backend!(self, my_schedule(user))
    }

    /// Creates an account; a taken username is a conflict.
    pub async fn create_user(
        &self,
        username: &Username,
        display_name: &DisplayName,
        password_hash: &str,
        now: UnixMillis,
    ) -> Result<UserView, AppError> {
        on_backend!(
            self,
            create_user(username, display_name, password_hash, now)
        )
    }

    pub async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, AppError> {
        on_backend!(self, credentials(username))
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserView>, AppError> {
        on_backend!(self, user(id))
    }

    /// Whether an account has this username: sign-up asks before it spends
    /// time hashing a password.
    pub async fn username_taken(&self, username: &Username) -> Result<bool, AppError> {
        on_backend!(self, username_taken(username))
    }

    /// `user`'s events after `after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, AppError> {
        on_backend!(self, events_after(user, after, limit))
    }

    /// Where `user`'s events stand now.
    pub async fn event_position(&self, user: UserId) -> Result<EventPosition, AppError> {
        on_backend!(self, event_position(user))
    }

    /// Forgets the events made before `before`; how many there were.
    pub async fn prune_events(&self, before: UnixMillis) -> Result<u64, AppError> {
        on_backend!(self, prune_events(before))
    }

    /// Counts one attempt for `key` at `now`, or refuses it: `Err` holds
    /// the milliseconds until the next one is allowed. (GCRA: each attempt
    /// moves the key's due time one interval on; an attempt is allowed while
    /// that stays within `burst` intervals of now.)
    pub async fn take_attempt(
        &self,
        key: &str,
        rate: Rate,
        now: UnixMillis,
    ) -> Result<Result<(), i64>, AppError> {
        on_backend!(self, take_attempt(key, rate, now))
    }

    /// Forgets keys whose attempts are all available again: the table holds
    /// recent keys only, however many names are tried.
    pub async fn forget_spent_attempts(&self, now: UnixMillis) -> Result<u64, AppError> {
        on_backend!(self, forget_spent_attempts(now))
    }

    /// A lease on one of `user`'s `most` batches in flight, valid until
    /// `expires_at`; `None` when they are all taken.
    pub async fn lease_batch(
        &self,
        user: UserId,
        most: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<Option<Uuid>, AppError> {
        on_backend!(self, lease_batch(user, most, now, expires_at))
    }

    /// Moves a batch lease's expiry to `expires_at`, while its batch runs.
    pub async fn renew_batch(&self, lease: Uuid, expires_at: UnixMillis) -> Result<(), AppError> {
        on_backend!(self, renew_batch(lease, expires_at))
    }

    /// Gives a batch lease back.
    pub async fn release_batch(&self, lease: Uuid) -> Result<(), AppError> {
        on_backend!(self, release_batch(lease))
    }
}

/// What sign-in needs to check a password.
pub struct Credentials {
    pub user: UserView,
    pub password_hash: String,
}

impl From<(i64, String, String, String)> for Credentials {
    fn from((id, username, display_name, password_hash): (i64, String, String, String)) -> Self {
        Credentials {
            user: UserView {
                id: UserId(id),
                username,
                display_name,
            },
            password_hash,
        }
    }
}

/// The answer to a sign-up under a name someone already has.
pub fn taken(username: &Username) -> AppError {
    AppError::Conflict(format!(
        "The username \"{}\" is taken. Choose another one.",
        username.as_str()
    ))
}

/// A stored message with the members to tell about it.
#[derive(Debug)]
pub struct PostedMessage {
    pub message: MessageView,
    pub members: Vec<UserId>,
    /// False when this id was already stored: a resend, answered with the first result.
    pub newly_stored: bool,
}

/// One stored event: its per-user id and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub json: String,
}

impl From<(i64, String)> for StoredEvent {
    fn from((id, json): (i64, String)) -> Self {
        StoredEvent { id, json }
    }
}

/// Where a user's events stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPosition {
    /// The id of the user's latest event (0: none yet).
    pub last: i64,
    /// The oldest id still kept; `None` when none is.
    pub oldest_kept: Option<i64>,
}

impl From<Option<(i64, Option<i64>)>> for EventPosition {
    /// From the user's counter and smallest kept id (no row: no such user).
    fn from(row: Option<(i64, Option<i64>)>) -> Self {
        let (last, oldest_kept) = row.unwrap_or((0, None));
        EventPosition { last, oldest_kept }
    }
}

/// How many attempts a key gets at once, and how often one more.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub burst: u32,
    pub every_ms: i64,
}

impl Rate {
    /// How far ahead of now a key's due time may run.
    fn tolerance(self) -> i64 {
        self.every_ms * i64::from(self.burst.max(1))
    }

    /// The wait before the next attempt of a key due at `due_at`.
    fn wait_ms(self, due_at: UnixMillis, now: UnixMillis) -> i64 {
        (due_at.max(now) + self.every_ms - now - self.tolerance()).max(1)
    }
}

/// Logs a database failure and turns it into the opaque internal error.
fn internal(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "database error");
    AppError::Internal
}

/// A result or event that does not encode or decode: a bug, logged.
fn internal_json(error: serde_json::Error) -> AppError {
    tracing::error!(%error, "a stored value does not encode or decode");
    AppError::Internal
}

/// Why a database should not serve yet, from the rows of its
/// `_sqlx_migrations` (or the error reading them): it does not answer, or
/// one of this build's migrations is not applied. The same on both backends.
fn readiness(
    applied: Result<Vec<(i64, bool)>, sqlx::Error>,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), &'static str> {
    let applied = applied.map_err(|error| {
        tracing::warn!(%error, "the database does not answer");
        "the database does not answer"
    })?;
    let all_applied = migrator.iter().all(|migration| {
        applied
            .iter()
            .any(|(version, success)| *version == migration.version && *success)
    });
    if all_applied {
        Ok(())
    } else {
        Err("database migrations are not all applied")
    }
}

/// The migrations applied, as `readiness` reads them.
const APPLIED_MIGRATIONS: &str = "SELECT version, success FROM _sqlx_migrations";

/// The one savepoint of a batch's item, the same SQL on both backends.
mod savepoint {
    pub(crate) const OPEN: &str = "SAVEPOINT item";
    pub(crate) const RELEASE: &str = "RELEASE SAVEPOINT item";
    /// Followed by `RELEASE`: a savepoint rolled back to stays open.
    pub(crate) const ROLL_BACK: &str = "ROLLBACK TO SAVEPOINT item";
}
