//! MOZI's database: one SQLite file in WAL mode behind a connection pool.
//!
//! [`Db`] is the repository: every read and write of the app goes through
//! its methods, which take already-validated domain types and answer with
//! views or an [`AppError`].

mod events;
mod limits;
mod messaging;
mod mutations;
mod schedule;
mod seed;
mod users;

use mozi_core::AppError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use events::{EventPosition, StoredEvent};
pub use limits::Rate;
pub use messaging::PostedMessage;
pub use mutations::Application;
pub use users::{taken, Credentials};

/// This build's migrations, embedded once.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    /// Held by the one change being written; see `Db::apply`.
    write_turn: Arc<tokio::sync::Mutex<()>>,
}

impl Db {
    /// Opens (creating if missing) the database at `url`, runs pending
    /// migrations and loads the demo conference when the schedule is empty.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
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
        seed::load_conference_if_empty(&pool).await?;
        Ok(Self {
            pool,
            write_turn: Arc::default(),
        })
    }

    /// Why this database should not serve yet, if it should not: it does
    /// not answer, or a migration of this build is not applied (another
    /// instance of an older build may have started on it).
    pub async fn readiness(&self) -> Result<(), &'static str> {
        let applied: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
                .fetch_all(&self.pool)
                .await
                .map_err(|error| {
                    tracing::warn!(%error, "the database does not answer");
                    "the database does not answer"
                })?;
        let all_applied = MIGRATOR.iter().all(|migration| {
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

    /// The pool, for the session store that shares this database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Logs a database failure and turns it into the opaque internal error.
fn internal(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "database error");
    AppError::Internal
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Db;
    use mozi_core::{
        AppError, Applied, DisplayName, IdempotencyKey, Mutation, Outcome, QueuedMutation, UserId,
        UserView, Username,
    };

    /// Applies one change under a fresh key, as the server's write path does.
    pub async fn change(
        db: &Db,
        user: UserId,
        mutation: Mutation,
        now: i64,
    ) -> Result<Applied, AppError> {
        let item = QueuedMutation {
            key: IdempotencyKey::new_random(),
            mutation,
        };
        let mut applications = db.apply_batch(user, &[item], now).await?;
        let application = applications.pop().ok_or(AppError::Internal)?;
        match application.result.outcome {
            Outcome::Applied(applied) => Ok(applied),
            Outcome::Failed(error) => Err(error),
        }
    }

    /// A new account named `name`, displayed as `NAME`.
    pub async fn user(db: &Db, name: &str) -> UserView {
        db.create_user(
            &Username::parse(name).expect("a valid username"),
            &DisplayName::parse(&name.to_uppercase()).expect("a valid display name"),
            "hash",
            0,
        )
        .await
        .expect("the account is created")
    }

    /// A fresh database in a temporary directory that lives as long as the guard.
    pub async fn temp_db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url).await.expect("database opens");
        (db, dir)
    }
}
