//! What sign-out removes from the device database: what the server applied
//! from the queue lately (`delivered`: the user's messages and bookmarks)
//! and the page views not reported yet (`views`: where the user went).
//!
//! The `outbox` store is left alone: unsent changes are the user's to keep
//! or discard, and the app asks before signing out; they are never sent
//! under anyone else's session, so keeping them leaks nothing.

use crate::database::{self, DELIVERED, VIEWS};
use crate::OutboxError;

/// Empties `delivered` and `views` in one transaction, so a crash never
/// leaves one of them behind.
pub async fn forget_signed_out_user() -> Result<(), OutboxError> {
    let database = database::open().await?;
    let transaction = database.write(&[DELIVERED, VIEWS])?;
    for name in [DELIVERED, VIEWS] {
        transaction.object_store(name)?.clear().await?;
    }
    transaction.commit().await
}
