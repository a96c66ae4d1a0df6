//! The repository's tests, run on whichever backend `testing` chooses.

mod events;
mod limits;
mod messaging;
mod schedule;
mod users;

use crate::testing::ScratchDatabase;
use crate::Db;

pub use crate::testing::{change, user};

/// A fresh database that lives as long as the guard.
pub async fn temp_db() -> (Db, ScratchDatabase) {
    let scratch = ScratchDatabase::new().await;
    let db = Db::connect(&scratch.url).await.expect("database opens");
    (db, scratch)
}
