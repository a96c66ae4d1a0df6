//! What the app and the worker do with the outbox. Every operation is one
//! IndexedDB transaction, then tells the other tabs and asks the browser for
//! a Background Sync; sending is `replay`'s job.

use crate::store::{self, Select};
use crate::{channel, sync, OutboxError};
use mozi_core::{IdempotencyKey, Mutation, UserId};
use mozi_outbox::{collapse, may_collapse, Change, Collapse, ItemState, OutboxRecord};

/// Shown on records the browser's Background Sync gave up on.
pub const RETRIED_WHEN_OPEN: &str = "Will be retried when the app is next open.";

async fn changed() {
    channel::notify(&[]);
    sync::register().await;
}

/// Queues `mutation`, made by `user` now. A bookmark change that undoes a
/// queued, never-sent one removes both instead. Only a change that may
/// collapse reads the queue: queueing a message costs the same however long
/// the queue is. Returns the change made (none when the same change is
/// queued already), for the caller's view.
pub async fn enqueue(user: UserId, mutation: Mutation) -> Result<Option<Change>, OutboxError> {
    let key = IdempotencyKey(crate::random_uuid()?);
    let record = OutboxRecord::new(key, user, mutation, crate::now());
    let select = if may_collapse(&record.mutation) {
        Select::All
    } else {
        Select::Nothing
    };
    let change = store::modify_selected(select, |queue| {
        let change = match collapse(&queue, user, &record.mutation) {
            Collapse::Append => Some(Change::Put(record)),
            Collapse::Cancel(queued) => Some(Change::Delete(queued)),
            Collapse::AlreadyQueued => None,
        };
        let changes = match &change {
            Some(change) => vec![change.clone()],
            None => Vec::new(),
        };
        (changes, change)
    })
    .await?;
    changed().await;
    Ok(change)
}

/// `user`'s records, oldest first, for the UI.
pub async fn records_of(user: UserId) -> Result<Vec<OutboxRecord>, OutboxError> {
    let mut records: Vec<OutboxRecord> = store::read_all()
        .await?
        .into_iter()
        .filter(|record| record.user == user)
        .collect();
    records.sort_unstable_by_key(OutboxRecord::queue_order);
    Ok(records)
}

/// "Retry": a failed or waiting record of `user` is due again now.
pub async fn retry(user: UserId, key: IdempotencyKey) -> Result<(), OutboxError> {
    let now = crate::now();
    store::modify(|records| {
        let changes = records
            .into_iter()
            .filter(|record| record.user == user && record.key == key)
            .filter(|record| !matches!(record.state, ItemState::Sending))
            .map(|mut record| {
                record.state = ItemState::Pending;
                record.not_before = now;
                // A fresh time-to-live; the creation time keeps its place in
                // the scope's order.
                record.retried_at = Some(now);
                Change::Put(record)
            })
            .collect();
        (changes, ())
    })
    .await?;
    changed().await;
    Ok(())
}

/// "Retry now": every waiting record of `user` is due now.
pub async fn retry_all(user: UserId) -> Result<(), OutboxError> {
    due_now(Some(user)).await
}

/// The network is back (Background Sync fired, a page came online): every
/// waiting record is due now rather than at the end of its backoff.
pub async fn wake_all() -> Result<(), OutboxError> {
    due_now(None).await
}

async fn due_now(user: Option<UserId>) -> Result<(), OutboxError> {
    let now = crate::now();
    let woken = store::modify(|records| {
        let changes: Vec<Change> = records
            .into_iter()
            .filter(|record| user.is_none_or(|user| record.user == user))
            .filter(|record| matches!(record.state, ItemState::Pending) && record.not_before > now)
            .map(|mut record| {
                record.not_before = now;
                Change::Put(record)
            })
            .collect();
        let woken = !changes.is_empty();
        (changes, woken)
    })
    .await?;
    // No new sync: this runs inside one, and asking for another from there
    // would make it fire again and again.
    if woken {
        channel::notify(&[]);
    }
    Ok(())
}

/// "Discard": removes `user`'s record unless it is in a request right now
/// (then the server may apply it, and the UI must keep showing it).
pub async fn discard(user: UserId, key: IdempotencyKey) -> Result<(), OutboxError> {
    discard_where(move |record| record.user == user && record.key == key).await
}

/// Removes every record of `user` that is not being sent (signing out
/// with "Discard").
pub async fn discard_all(user: UserId) -> Result<(), OutboxError> {
    discard_where(move |record| record.user == user).await
}

async fn discard_where(chosen: impl Fn(&OutboxRecord) -> bool) -> Result<(), OutboxError> {
    store::modify(|records| {
        let changes = records
            .into_iter()
            .filter(|record| chosen(record) && !matches!(record.state, ItemState::Sending))
            .map(|record| Change::Delete(record.key))
            .collect();
        (changes, ())
    })
    .await?;
    changed().await;
    Ok(())
}

/// `user` is signed in: records that waited for that are due again.
pub async fn release(user: UserId) -> Result<(), OutboxError> {
    let now = crate::now();
    let released = store::modify(|records| {
        let changes: Vec<Change> = records
            .into_iter()
            .filter(|record| record.user == user && matches!(record.state, ItemState::NeedsSignIn))
            .map(|mut record| {
                record.state = ItemState::Pending;
                record.not_before = now;
                record.last_error = None;
                Change::Put(record)
            })
            .collect();
        let released = !changes.is_empty();
        (changes, released)
    })
    .await?;
    if released {
        changed().await;
    }
    Ok(())
}

/// Background Sync's last try failed: the records stay, and say when they
/// will be tried again.
pub async fn mark_retried_when_open() -> Result<(), OutboxError> {
    store::modify(|records| {
        let changes = records
            .into_iter()
            .filter(|record| matches!(record.state, ItemState::Pending))
            .map(|mut record| {
                record.last_error = Some(RETRIED_WHEN_OPEN.to_owned());
                Change::Put(record)
            })
            .collect();
        (changes, ())
    })
    .await?;
    channel::notify(&[]);
    Ok(())
}
