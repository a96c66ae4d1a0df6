//! The one write path. Every change (a message, a conversation, a bookmark)
//! from any door (a device's outbox batch, a server function, a plain form
//! post before the app has loaded) is applied here: limits first, then the
//! database applies it once under its idempotency key, with its live events,
//! in one transaction, then the recipients' open streams are woken. A batch
//! is applied in one transaction.

use super::{now_millis, AppState};
use mozi_core::{AppError, Applied, ItemResult, Mutation, Outcome, QueuedMutation, UserId};

/// Applies a batch of changes for `user`, in order. An item-level refusal
/// (a 4xx, a rate limit) is in its result; only a server failure is an
/// `Err`, and then nothing of the batch was applied.
pub async fn apply_batch(
    state: &AppState,
    user: UserId,
    items: Vec<QueuedMutation>,
) -> Result<Vec<ItemResult>, AppError> {
    // Limits first: a limited item goes no further, the others go on.
    let mut results: Vec<Option<ItemResult>> = Vec::with_capacity(items.len());
    let mut admitted = Vec::with_capacity(items.len());
    for item in items {
        let limited = match item.mutation {
            Mutation::StartConversation { .. } => {
                state.limits.conversation_starts.check(&user).err()
            }
            _ => None,
        };
        match limited {
            Some(limited) => results.push(Some(ItemResult::failed(item.key, limited))),
            None => {
                results.push(None);
                admitted.push(item);
            }
        }
    }
    let applications = state.db.apply_batch(user, &admitted, now_millis()).await?;
    let mut applied = applications.into_iter();
    Ok(results
        .into_iter()
        .filter_map(|limited| {
            limited.or_else(|| {
                let application = applied.next()?;
                if let Some(posted) = application.new_message {
                    // The events are stored; their streams read them now.
                    state.live.wake(&posted.members);
                }
                Some(application.result)
            })
        })
        .collect())
}

/// [`apply_batch`] for a single change made on the server's own pages, under
/// a fresh key: its result, or its refusal as the error.
pub async fn apply_one(
    state: &AppState,
    user: UserId,
    mutation: Mutation,
) -> Result<Applied, AppError> {
    let item = QueuedMutation {
        key: mozi_core::IdempotencyKey::new_random(),
        mutation,
    };
    let result = apply_batch(state, user, vec![item])
        .await?
        .pop()
        .ok_or(AppError::Internal)?;
    match result.outcome {
        Outcome::Applied(applied) => Ok(applied),
        Outcome::Failed(error) => Err(error),
    }
}
