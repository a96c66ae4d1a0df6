//! Which records go into the next request.

use crate::record::{OutboxRecord, Scope};
use mozi_core::{IdempotencyKey, MutationBatch, UnixMillis, UserId};
use std::collections::HashSet;

/// Up to [`MutationBatch::MAX_ITEMS`] of `user`'s due records, oldest first.
/// A record whose scope has an earlier record that is not going (failed,
/// backing off, being sent) waits too: nothing overtakes within a scope.
pub fn next_batch(records: &[OutboxRecord], user: UserId, now: UnixMillis) -> Vec<IdempotencyKey> {
    let mut ordered: Vec<&OutboxRecord> = records.iter().filter(|r| r.user == user).collect();
    ordered.sort_unstable_by_key(|record| record.queue_order());
    let mut blocked: HashSet<Scope> = HashSet::new();
    let mut batch = Vec::new();
    for record in ordered {
        if blocked.contains(&record.scope) {
            continue;
        }
        if record.is_due(now) {
            batch.push(record.key);
            if batch.len() == MutationBatch::MAX_ITEMS {
                break;
            }
        } else {
            blocked.insert(record.scope);
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FailReason, ItemState};
    use mozi_core::{ConversationId, MessageId, Mutation, SessionId};
    use uuid::Uuid;

    fn key(n: u128) -> IdempotencyKey {
        IdempotencyKey(Uuid::from_u128(n))
    }

    fn message(n: u128, conversation: u128, at: i64) -> OutboxRecord {
        OutboxRecord::new(
            key(n),
            UserId(1),
            Mutation::SendMessage {
                conversation: ConversationId(Uuid::from_u128(conversation)),
                id: MessageId(Uuid::from_u128(1000 + n)),
                body: format!("message {n}"),
                created_at: at,
            },
            at,
        )
    }

    #[test]
    fn records_go_oldest_first_and_never_overtake_in_their_scope() {
        let mut first = message(1, 10, 100);
        first.not_before = 500; // backing off
        let second = message(2, 10, 200); // same conversation: must wait
        let other = message(3, 20, 300); // another conversation: may go
        let batch = next_batch(&[second, other, first], UserId(1), 400);
        assert_eq!(batch, [key(3)]);
    }

    #[test]
    fn a_failed_record_holds_back_its_scope_only() {
        let mut failed = message(1, 10, 100);
        failed.state = ItemState::Failed {
            reason: FailReason::Expired,
        };
        let later = message(2, 10, 200);
        let bookmark = OutboxRecord::new(
            key(3),
            UserId(1),
            Mutation::SetBookmark {
                session: SessionId(4),
                bookmarked: true,
            },
            150,
        );
        assert_eq!(
            next_batch(&[failed, later, bookmark], UserId(1), 1_000),
            [key(3)]
        );
    }

    #[test]
    fn only_the_users_own_records_and_at_most_a_full_batch() {
        let mut records: Vec<OutboxRecord> = (0..150).map(|n| message(n, n, n as i64)).collect();
        records[0].user = UserId(2);
        let batch = next_batch(&records, UserId(1), 1_000);
        assert_eq!(batch.len(), MutationBatch::MAX_ITEMS);
        assert_eq!(batch[0], key(1));
        assert!(!batch.contains(&key(0)));
    }
}
