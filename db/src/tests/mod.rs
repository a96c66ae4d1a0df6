//! The repository's tests, run on whichever backend `testing` chooses.

mod events;
mod limits;
mod messaging;
mod schedule;
mod users;

use crate::testing::ScratchDatabase;
use crate::Db;
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

/// A fresh database that lives as long as the guard.
pub async fn temp_db() -> (Db, ScratchDatabase) {
    let scratch = ScratchDatabase::new().await;
    let db = Db::connect(&scratch.url).await.expect("database opens");
    (db, scratch)
}
