//! One step of a replay: the answers to the batch that was in flight are
//! applied to the queue as it is stored now, then the next batch is taken,
//! all in one transaction, so the replayer can send the next batch as soon
//! as that transaction is written and announce the previous one meanwhile.
//!
//! Why pipelining this way never reorders a scope: the next batch is chosen
//! from records that already carry every answer of the previous batch. A
//! record the server did not acknowledge is then backing off (not due for
//! at least [`crate::backoff_ms`]`(0)`), failed or waiting for sign-in, so
//! [`next_batch`] holds back every later record of its scope; an
//! acknowledged one is gone and its scope goes on in order. And one batch
//! is in flight at a time: the server never applies two batches of a scope
//! at once.

use crate::batch::next_batch;
use crate::policy::{decide, expire, Answer, Decision, DEFAULT_TTL_MS};
use crate::record::{FailReason, ItemState, OutboxRecord};
use mozi_core::{Applied, IdempotencyKey, Outcome, UnixMillis, UserId};

/// A change to one stored record, written in the transaction that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put(OutboxRecord),
    Delete(IdempotencyKey),
}

/// Records marked as being sent, all of one user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub user: UserId,
    pub records: Vec<OutboxRecord>,
}

/// What one step decided.
#[derive(Debug, Default)]
pub struct Step {
    /// To write in the transaction that read the records.
    pub changes: Vec<Change>,
    /// What the server applied, from the answers: for the pages to show.
    pub applied: Vec<Applied>,
    /// The next batch to send, already marked as being sent.
    pub batch: Option<Batch>,
    /// The earliest time a waiting record is due again.
    pub next_due: Option<UnixMillis>,
}

/// Applies `answers` (to the batch that was in flight, if any), recovers
/// records left "sending" by a context that died (the caller holds the
/// replay lock and has nothing else in flight), expires old ones, and, with
/// `take`, marks the next batch as being sent.
pub fn replay_step(
    mut records: Vec<OutboxRecord>,
    answers: &[(IdempotencyKey, Answer)],
    now: UnixMillis,
    take: bool,
) -> Step {
    let mut step = Step::default();
    settle(&mut records, answers, now, &mut step);
    for record in &mut records {
        if matches!(record.state, ItemState::Sending) {
            record.state = ItemState::Pending;
            step.changes.push(Change::Put(record.clone()));
        }
        if let Some(Decision::Fail(reason)) = expire(record, now, DEFAULT_TTL_MS) {
            record.last_error = Some(describe(&reason));
            record.state = ItemState::Failed { reason };
            step.changes.push(Change::Put(record.clone()));
        }
    }
    if take {
        step.batch = take_batch(&mut records, now, &mut step.changes);
    }
    step.next_due = records
        .iter()
        .filter(|record| matches!(record.state, ItemState::Pending))
        .map(|record| record.not_before)
        .min();
    step
}

/// What a failed record says to the user.
fn describe(reason: &FailReason) -> String {
    match reason {
        FailReason::Refused { error } => error.to_string(),
        FailReason::Expired => "Not sent within 7 days, so it was stopped.".to_owned(),
    }
}

/// Applies each answer to its record; a record no longer stored is skipped.
fn settle(
    records: &mut Vec<OutboxRecord>,
    answers: &[(IdempotencyKey, Answer)],
    now: UnixMillis,
    step: &mut Step,
) {
    for (key, answer) in answers {
        let Some(index) = records.iter().position(|record| record.key == *key) else {
            continue;
        };
        let record = &mut records[index];
        match decide(record, answer, now) {
            Decision::Remove => {
                if let Answer::Item(item) = answer {
                    if let Outcome::Applied(result) = &item.outcome {
                        step.applied.push(result.clone());
                    }
                }
                step.changes.push(Change::Delete(*key));
                records.swap_remove(index);
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
        step.changes.push(Change::Put(record.clone()));
    }
}

/// The next batch: the oldest due record's user's. A due record can still
/// wait, behind an older record of its scope that is backing off; then the
/// next user's is taken, and if nobody has one nothing is sent (an empty
/// batch would only be refused, again and again until the backoff ends).
fn take_batch(
    records: &mut [OutboxRecord],
    now: UnixMillis,
    changes: &mut Vec<Change>,
) -> Option<Batch> {
    let mut due: Vec<&OutboxRecord> = records.iter().filter(|record| record.is_due(now)).collect();
    due.sort_unstable_by_key(|record| record.queue_order());
    let mut users: Vec<UserId> = Vec::new();
    for record in due {
        if !users.contains(&record.user) {
            users.push(record.user);
        }
    }
    let (user, keys) = users
        .into_iter()
        .map(|user| (user, next_batch(records, user, now)))
        .find(|(_, keys)| !keys.is_empty())?;
    let mut batch = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(record) = records.iter_mut().find(|record| record.key == key) {
            record.state = ItemState::Sending;
            record.attempts += 1;
            changes.push(Change::Put(record.clone()));
            batch.push(record.clone());
        }
    }
    Some(Batch {
        user,
        records: batch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mozi_core::{AppError, ConversationId, ItemResult, MessageId, Mutation, MutationBatch};
    use uuid::Uuid;

    fn key(n: u128) -> IdempotencyKey {
        IdempotencyKey(Uuid::from_u128(n))
    }

    fn message(n: u128, user: i64, conversation: u128, at: i64) -> OutboxRecord {
        let mutation = Mutation::SendMessage {
            conversation: ConversationId(Uuid::from_u128(conversation)),
            id: MessageId(Uuid::from_u128(n)),
            body: format!("message {n}"),
            created_at: at,
        };
        OutboxRecord::new(key(n), UserId(user), mutation, at)
    }

    /// `count` messages of one conversation, written one millisecond apart.
    fn thread(count: u128) -> Vec<OutboxRecord> {
        (1..=count).map(|n| message(n, 7, 1, n as i64)).collect()
    }

    /// The server's acknowledgement (what it applied does not matter here).
    fn applied(record: &OutboxRecord) -> Answer {
        let conversation = ConversationId(Uuid::from_u128(1));
        Answer::Item(ItemResult::applied(
            record.key,
            Applied::Conversation { conversation },
        ))
    }

    fn keys(batch: &Option<Batch>) -> Vec<IdempotencyKey> {
        batch
            .iter()
            .flat_map(|batch| batch.records.iter().map(|record| record.key))
            .collect()
    }

    /// The stored records after `step`'s changes.
    fn written(mut records: Vec<OutboxRecord>, step: &Step) -> Vec<OutboxRecord> {
        for change in &step.changes {
            match change {
                Change::Put(record) => match records.iter_mut().find(|r| r.key == record.key) {
                    Some(stored) => *stored = record.clone(),
                    None => records.push(record.clone()),
                },
                Change::Delete(key) => records.retain(|record| record.key != *key),
            }
        }
        records
    }

    #[test]
    fn acknowledged_batches_are_removed_and_the_scope_goes_on_in_order() {
        let queue = thread(250);
        let first = replay_step(queue.clone(), &[], 1_000, true);
        assert_eq!(keys(&first.batch), (1..=100).map(key).collect::<Vec<_>>());
        let stored = written(queue, &first);
        let answers: Vec<_> = first
            .batch
            .iter()
            .flat_map(|batch| &batch.records)
            .map(|record| (record.key, applied(record)))
            .collect();
        let second = replay_step(stored.clone(), &answers, 1_100, true);
        assert_eq!(second.applied.len(), MutationBatch::MAX_ITEMS);
        assert_eq!(
            keys(&second.batch),
            (101..=200).map(key).collect::<Vec<_>>()
        );
        let stored = written(stored, &second);
        assert_eq!(stored.len(), 150);
        assert!(stored.iter().all(|record| record.key > key(100)));
    }

    #[test]
    fn an_item_turned_away_holds_back_its_scope_in_the_next_batch() {
        let mut queue = thread(4);
        queue.push(message(9, 7, 2, 5)); // another conversation
        let first = replay_step(queue.clone(), &[], 1_000, true);
        let stored = written(queue, &first);
        // The second message is turned away for now; the others applied.
        let answers: Vec<_> = first
            .batch
            .iter()
            .flat_map(|batch| &batch.records)
            .map(|record| {
                let answer = if record.key == key(2) {
                    Answer::Item(ItemResult::failed(
                        record.key,
                        AppError::RateLimited {
                            retry_after_secs: 1,
                        },
                    ))
                } else {
                    applied(record)
                };
                (record.key, answer)
            })
            .collect();
        // Nothing of conversation 1 goes ahead of message 2, even once more
        // is queued behind it; conversation 2 goes on.
        let mut stored = stored;
        stored.push(message(5, 7, 1, 6));
        stored.push(message(10, 7, 2, 7));
        let second = replay_step(stored.clone(), &answers, 1_100, true);
        assert_eq!(keys(&second.batch), [key(10)]);
        let stored = written(stored, &second);
        let waiting = stored.iter().find(|record| record.key == key(2)).unwrap();
        assert_eq!(waiting.state, ItemState::Pending);
        let due = waiting.not_before;
        assert!(due >= 1_100 + 1_000);
        // Once it is due, it goes first, and its scope after it in order.
        let delivered = [(key(10), applied(&message(10, 7, 2, 7)))];
        let third = replay_step(stored, &delivered, due, true);
        assert_eq!(keys(&third.batch), [key(2), key(5)]);
    }

    #[test]
    fn an_unanswered_batch_is_settled_and_nothing_more_is_taken() {
        let queue = thread(150);
        let first = replay_step(queue.clone(), &[], 1_000, true);
        let stored = written(queue, &first);
        let answers: Vec<_> = keys(&first.batch)
            .into_iter()
            .map(|key| (key, Answer::Network))
            .collect();
        let last = replay_step(stored.clone(), &answers, 1_100, false);
        assert!(last.batch.is_none());
        assert!(last.applied.is_empty());
        let stored = written(stored, &last);
        assert!(stored
            .iter()
            .all(|record| record.state == ItemState::Pending));
        assert_eq!(
            stored.iter().filter(|record| record.attempts == 1).count(),
            100
        );
        // The 50 never sent are due now.
        assert_eq!(last.next_due, Some(101));
    }

    #[test]
    fn records_left_sending_by_a_context_that_died_go_again() {
        let mut queue = thread(2);
        queue[0].state = ItemState::Sending;
        queue[0].attempts = 1;
        let step = replay_step(queue, &[], 1_000, true);
        let batch = step.batch.expect("a batch");
        assert_eq!(batch.records.len(), 2);
        assert_eq!(batch.records[0].attempts, 2);
    }

    #[test]
    fn a_record_waiting_behind_a_backing_off_one_sends_nothing() {
        let mut older = message(1, 7, 1, 10);
        older.not_before = 1_000;
        let newer = message(2, 7, 1, 20);
        let step = replay_step(vec![older.clone(), newer.clone()], &[], 100, true);
        assert!(step.batch.is_none(), "no empty batch: {:?}", step.batch);
        assert_eq!(step.next_due, Some(20));
        // Another user's due record still goes, though it is newer.
        let theirs = message(3, 8, 2, 30);
        let step = replay_step(vec![older, newer, theirs], &[], 100, true);
        let batch = step.batch.expect("the other user's batch");
        assert_eq!(batch.user, UserId(8));
        assert_eq!(batch.records.len(), 1);
    }
}
