//! `POST /api/mutations`: a batch of queued mutations from a device, applied
//! in order, each exactly once under its idempotency key, answered per item.
//!
//! The whole batch is refused (and nothing applied) when it cannot be read,
//! is too large, or the signed-in user is not the one who made it (nobody,
//! or someone else on the same device), or the user already has
//! as many batches in flight as `app::backend::Limits` allows (429): then every item
//! stays queued. Otherwise each item gets its own status: 200 applied (now
//! or earlier), or the 4xx saying why not.

use app::backend::{signed_in_user, writes, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use mozi_core::{AppError, BatchResponse, MutationBatch};
use tower_sessions::Session;

/// 100 messages of 4,000 four-byte characters, JSON-escaped, with room to spare.
pub const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;

pub async fn apply_batch(
    State(state): State<AppState>,
    session: Session,
    batch: Result<Json<MutationBatch>, JsonRejection>,
) -> Result<Json<BatchResponse>, AppError> {
    let user = signed_in_user(&session)
        .await?
        .ok_or_else(AppError::sign_in_required)?;
    let Json(batch) = batch.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The batch could not be read: {}",
            rejection.body_text()
        ))
    })?;
    if batch.user != user {
        return Err(AppError::Unauthorized(
            "These changes were made by another account. Sign in as that person to send them."
                .into(),
        ));
    }
    if batch.items.is_empty() || batch.items.len() > MutationBatch::MAX_ITEMS {
        return Err(AppError::invalid(format!(
            "A batch has 1 to {} mutations; this one has {}.",
            MutationBatch::MAX_ITEMS,
            batch.items.len()
        )));
    }
    // A few batches per user at a time: more would only queue behind the
    // database's one writer and hold everyone else's connections.
    let _turn = state.limits.batch_turn(&state.db, user).await?;
    let results = writes::apply_batch(&state, user, batch.items).await?;
    Ok(Json(BatchResponse { results }))
}
