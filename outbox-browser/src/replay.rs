//! Sending the queue: batches of up to 100 records in order, each record's
//! fate decided by `mozi_outbox::decide` from the server's answer. A record
//! is marked "sending" (and its attempt counted) in one transaction before
//! the request, and only the answer removes it; if the context dies in
//! between, the next replay sends it again and the server's idempotency
//! record answers without applying it twice.

use crate::http::{post_json, Reply};
use crate::store::{self, Change};
use crate::{channel, delivered, lock, views, OutboxError};
use mozi_core::{
    AppError, Applied, BatchResponse, MutationBatch, Outcome, QueuedMutation, UnixMillis, UserId,
};
use mozi_outbox::{
    decide, expire, next_batch, Answer, Decision, FailReason, ItemState, OutboxRecord,
    DEFAULT_TTL_MS,
};

const LOCK: &str = "mozi-outbox-replay";
const ENDPOINT: &str = "/api/mutations";

/// What one replay did.
#[derive(Debug, Default)]
pub struct ReplayReport {
    /// The server could not be reached or asked to wait (network, 5xx,
    /// 429): what is left is tried again later.
    pub unreachable: bool,
    /// The earliest time a waiting record is due again.
    pub next_due: Option<UnixMillis>,
}

/// Sends every due record, batch after batch, holding the replay lock, then
/// the queued page views.
pub async fn replay() -> Result<ReplayReport, OutboxError> {
    lock::exclusive(LOCK, async {
        let report = replay_locked().await?;
        if !report.unreachable {
            views::send().await?;
        }
        Ok(report)
    })
    .await?
}

/// `navigator.onLine` is false only when the device surely has no network:
/// then nothing is sent, so no record counts an attempt that could not
/// have reached the server (and a queued bookmark can still cancel out).
fn surely_offline() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"onLine".into()))
        .is_ok_and(|online| online.as_bool() == Some(false))
}

async fn replay_locked() -> Result<ReplayReport, OutboxError> {
    let mut report = ReplayReport::default();
    if surely_offline() {
        // The `online` event (or Background Sync) starts the next replay.
        report.unreachable = true;
        return Ok(report);
    }
    loop {
        let now = crate::now();
        let Some((user, batch)) = store::modify(|records| take_batch(records, now)).await? else {
            break;
        };
        channel::notify(&[]);
        let answers = send(user, &batch).await;
        let now = crate::now();
        let unreachable = answers.iter().any(|(_, answer)| {
            matches!(answer, Answer::Network)
                || matches!(answer, Answer::Batch { status, .. } if *status == 429 || *status >= 500)
        });
        let applied = store::modify(|records| settle(records, &answers, now)).await?;
        if let Err(error) = delivered::remember(&applied).await {
            // Only a hint for pages opening right now; the records are settled.
            web_sys::console::warn_1(&format!("{error}").into());
        }
        channel::notify(&applied);
        if unreachable {
            report.unreachable = true;
            break;
        }
    }
    report.next_due = store::read_all()
        .await?
        .iter()
        .filter(|record| record.state == ItemState::Pending)
        .map(|record| record.not_before)
        .min();
    Ok(report)
}

/// Whose records are sent, and which.
type Batch = (UserId, Vec<OutboxRecord>);

/// Recovers records left "sending" by a context that died (the lock is
/// ours, so nobody else is sending), expires old ones, and marks the next
/// batch — the oldest due record's user's — as being sent.
fn take_batch(mut records: Vec<OutboxRecord>, now: UnixMillis) -> (Vec<Change>, Option<Batch>) {
    let mut changes = Vec::new();
    for record in &mut records {
        if record.state == ItemState::Sending {
            record.state = ItemState::Pending;
            changes.push(Change::Put(record.clone()));
        }
        if let Some(Decision::Fail(reason)) = expire(record, now, DEFAULT_TTL_MS) {
            record.last_error = Some(describe(&reason));
            record.state = ItemState::Failed { reason };
            changes.push(Change::Put(record.clone()));
        }
    }
    // The users with due records, oldest first; the first whose batch is
    // not empty. A due record can still wait: behind an older record of its
    // scope that is backing off. Then nothing is sent (an empty batch would
    // only be refused, again and again until the backoff ends).
    let mut due: Vec<&OutboxRecord> = records.iter().filter(|record| record.is_due(now)).collect();
    due.sort_by_key(|record| (record.created_at, record.key));
    let mut users: Vec<UserId> = Vec::new();
    for record in due {
        if !users.contains(&record.user) {
            users.push(record.user);
        }
    }
    let Some((user, keys)) = users
        .into_iter()
        .map(|user| (user, next_batch(&records, user, now)))
        .find(|(_, keys)| !keys.is_empty())
    else {
        return (changes, None);
    };
    let mut batch = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(record) = records.iter_mut().find(|record| record.key == key) {
            record.state = ItemState::Sending;
            record.attempts += 1;
            changes.push(Change::Put(record.clone()));
            batch.push(record.clone());
        }
    }
    (changes, Some((user, batch)))
}

/// One request for the batch; the answer for each record in it.
async fn send(user: UserId, batch: &[OutboxRecord]) -> Vec<(OutboxRecord, Answer)> {
    let body = MutationBatch {
        user,
        items: batch
            .iter()
            .map(|record| QueuedMutation {
                key: record.key,
                mutation: record.mutation.clone(),
            })
            .collect(),
    };
    let reply = match serde_json::to_string(&body) {
        Ok(json) => post_json(ENDPOINT, &json).await.ok(),
        Err(_) => None,
    };
    batch
        .iter()
        .map(|record| (record.clone(), answer_for(record, reply.as_ref())))
        .collect()
}

fn answer_for(record: &OutboxRecord, reply: Option<&Reply>) -> Answer {
    let Some(reply) = reply else {
        return Answer::Network;
    };
    if (200..300).contains(&reply.status) {
        // An unreadable or incomplete answer counts as none: sending again
        // is harmless, dropping is not.
        return serde_json::from_str::<BatchResponse>(&reply.body)
            .ok()
            .and_then(|response| {
                response
                    .results
                    .into_iter()
                    .find(|item| item.key == record.key)
            })
            .map_or(Answer::Network, Answer::Item);
    }
    Answer::Batch {
        status: reply.status,
        retry_after_ms: reply
            .retry_after
            .as_deref()
            .and_then(|seconds| seconds.trim().parse::<u64>().ok())
            .map(|seconds| seconds.saturating_mul(1_000)),
        error: serde_json::from_str::<AppError>(&reply.body).ok(),
    }
}

fn describe(reason: &FailReason) -> String {
    match reason {
        FailReason::Refused { error } => error.to_string(),
        FailReason::Expired => "Not sent within 7 days, so it was stopped.".to_owned(),
    }
}

/// Applies each answer to the record as it is stored now.
fn settle(
    records: Vec<OutboxRecord>,
    answers: &[(OutboxRecord, Answer)],
    now: UnixMillis,
) -> (Vec<Change>, Vec<Applied>) {
    let mut changes = Vec::new();
    let mut applied = Vec::new();
    for (sent, answer) in answers {
        let Some(mut record) = records
            .iter()
            .find(|record| record.key == sent.key)
            .cloned()
        else {
            continue;
        };
        match decide(&record, answer, now) {
            Decision::Remove => {
                if let Answer::Item(item) = answer {
                    if let Outcome::Applied(result) = &item.outcome {
                        applied.push(result.clone());
                    }
                }
                changes.push(Change::Delete(record.key));
                continue;
            }
            Decision::Fail(reason) => {
                record.last_error = Some(describe(&reason));
                record.state = ItemState::Failed { reason };
            }
            Decision::Retry { not_before } => {
                record.state = ItemState::Pending;
                record.not_before = not_before;
                record.last_error = Some(match answer {
                    Answer::Network => "The server could not be reached.".to_owned(),
                    _ => "The server is busy; trying again shortly.".to_owned(),
                });
            }
            Decision::AwaitSignIn => {
                record.state = ItemState::NeedsSignIn;
                record.last_error = Some("Sign in again to send this.".to_owned());
            }
        }
        changes.push(Change::Put(record));
    }
    (changes, applied)
}

#[cfg(test)]
mod tests {
    use super::take_batch;
    use mozi_core::{ConversationId, IdempotencyKey, MessageId, Mutation, UserId};
    use mozi_outbox::OutboxRecord;
    use uuid::Uuid;

    fn message(n: u128, user: i64, conversation: u128, at: i64) -> OutboxRecord {
        let mutation = Mutation::SendMessage {
            conversation: ConversationId(Uuid::from_u128(conversation)),
            id: MessageId(Uuid::from_u128(n)),
            body: "hi".into(),
            created_at: at,
        };
        OutboxRecord::new(
            IdempotencyKey(Uuid::from_u128(n)),
            UserId(user),
            mutation,
            at,
        )
    }

    #[test]
    fn a_record_waiting_behind_a_backing_off_one_sends_nothing() {
        let mut older = message(1, 7, 1, 10);
        older.not_before = 1_000;
        let newer = message(2, 7, 1, 20);
        let (_, batch) = take_batch(vec![older.clone(), newer.clone()], 100);
        assert!(batch.is_none(), "no empty batch: {batch:?}");
        // Another user's due record still goes, though it is newer.
        let theirs = message(3, 8, 2, 30);
        let (_, batch) = take_batch(vec![older, newer, theirs], 100);
        let (user, records) = batch.expect("the other user's batch");
        assert_eq!(user, UserId(8));
        assert_eq!(records.len(), 1);
    }
}
