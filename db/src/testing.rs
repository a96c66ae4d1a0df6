//! Scratch databases for tests, on SQLite by default or on PostgreSQL when
//! `MOZI_TEST_POSTGRES_URL` names a server (an account that may create
//! databases): the test command runs every database and API test on both.

use crate::Db;
use mozi_core::{
    AppError, Applied, DisplayName, IdempotencyKey, Mutation, Outcome, QueuedMutation, UserId,
    UserView, Username,
};
use uuid::Uuid;

/// The variable naming the PostgreSQL server tests run on.
pub const POSTGRES_VARIABLE: &str = "MOZI_TEST_POSTGRES_URL";

/// A database that exists for one test: a SQLite file in a temporary
/// folder (deleted with this), or a fresh PostgreSQL database (left for the
/// throw-away cluster of the test run).
pub struct ScratchDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl ScratchDatabase {
    /// On the backend `MOZI_TEST_POSTGRES_URL` chooses.
    pub async fn new() -> Self {
        match postgres_server() {
            Some(server) => Self::postgres(&server).await,
            None => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self {
            url: format!("sqlite://{}", dir.path().join("test.db").display()),
            _dir: Some(dir),
        }
    }

    /// A new database on the PostgreSQL `server` (a URL whose account may
    /// create databases).
    pub async fn postgres(server: &str) -> Self {
        use sqlx::Connection;
        let name = format!("mozi_test_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("the test PostgreSQL server answers");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("a scratch database is created");
        let (base, _) = server
            .rsplit_once('/')
            .expect("the server URL names a database");
        Self {
            url: format!("{base}/{name}"),
            _dir: None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// The PostgreSQL server tests are to use, if one is named.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty())
}

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
