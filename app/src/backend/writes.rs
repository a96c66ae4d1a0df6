//! The one write path. Every change (a message, a conversation, a bookmark)
//! from any door (a device's outbox batch, a server function, a plain form
//! post before the app has loaded) is applied here: limits first, then the
//! database applies it once under its idempotency key in one transaction,
//! then its live event goes out.

use super::{now_millis, AppState};
use mozi_core::{AppError, ItemResult, LiveEvent, Mutation, QueuedMutation, UserId};

/// Applies one change for `user`. An item-level refusal (a 4xx, a rate
/// limit) is in the returned result; only a server failure is an `Err`.
pub async fn apply(
    state: &AppState,
    user: UserId,
    item: QueuedMutation,
) -> Result<ItemResult, AppError> {
    if matches!(item.mutation, Mutation::StartConversation { .. }) {
        if let Err(limited) = state.limits.conversation_starts.check(&user) {
            return Ok(ItemResult::failed(item.key, limited));
        }
    }
    let application = state
        .db
        .apply(user, item.key, &item.mutation, now_millis())
        .await?;
    if let Some(posted) = application.new_message {
        state.live.publish(
            posted.members,
            LiveEvent::Message {
                message: posted.message,
            },
        );
    }
    Ok(application.result)
}

/// [`apply`] for a single change made on the server's own pages, under a
/// fresh key: its result, or its refusal as the error.
pub async fn apply_one(
    state: &AppState,
    user: UserId,
    mutation: Mutation,
) -> Result<mozi_core::Applied, AppError> {
    let item = QueuedMutation {
        key: mozi_core::IdempotencyKey::new_random(),
        mutation,
    };
    match apply(state, user, item).await?.outcome {
        mozi_core::Outcome::Applied(applied) => Ok(applied),
        mozi_core::Outcome::Failed(error) => Err(error),
    }
}
