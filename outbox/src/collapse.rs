//! Mutations that cancel out: adding a bookmark and removing it again
//! before either was sent leaves nothing to send.

use crate::record::{ItemState, OutboxRecord};
use mozi_core::{IdempotencyKey, Mutation, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collapse {
    /// Queue the new mutation.
    Append,
    /// The new mutation undoes this queued one: remove it, queue nothing.
    Cancel(IdempotencyKey),
    /// The same change is already queued: queue nothing.
    AlreadyQueued,
}

/// Whether `new` may cancel or repeat a queued mutation (of its own scope):
/// only then is anything read to queue it.
pub fn may_collapse(new: &Mutation) -> bool {
    matches!(new, Mutation::SetBookmark { .. })
}

/// What to do with `new`, given `user`'s queue (its scope is enough). Only records never sent
/// take part: one that was sent may have been applied even though no answer
/// came, and then the undoing mutation must still go.
pub fn collapse(queue: &[OutboxRecord], user: UserId, new: &Mutation) -> Collapse {
    let Mutation::SetBookmark {
        session,
        bookmarked,
    } = new
    else {
        return Collapse::Append;
    };
    let latest = queue
        .iter()
        .filter(|record| record.user == user)
        .filter(|record| {
            matches!(&record.mutation, Mutation::SetBookmark { session: queued, .. } if queued == session)
        })
        .max_by_key(|record| (record.created_at, record.key));
    match latest {
        Some(record) if record.attempts == 0 && matches!(record.state, ItemState::Pending) => {
            match record.mutation {
                Mutation::SetBookmark {
                    bookmarked: queued, ..
                } if queued == *bookmarked => Collapse::AlreadyQueued,
                _ => Collapse::Cancel(record.key),
            }
        }
        _ => Collapse::Append,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mozi_core::SessionId;
    use uuid::Uuid;

    fn bookmark(n: u128, bookmarked: bool) -> OutboxRecord {
        OutboxRecord::new(
            IdempotencyKey(Uuid::from_u128(n)),
            UserId(1),
            Mutation::SetBookmark {
                session: SessionId(7),
                bookmarked,
            },
            n as i64,
        )
    }

    fn set(bookmarked: bool) -> Mutation {
        Mutation::SetBookmark {
            session: SessionId(7),
            bookmarked,
        }
    }

    #[test]
    fn add_then_remove_before_sending_cancels_out() {
        let queue = [bookmark(1, true)];
        assert_eq!(
            collapse(&queue, UserId(1), &set(false)),
            Collapse::Cancel(queue[0].key)
        );
        assert_eq!(
            collapse(&queue, UserId(1), &set(true)),
            Collapse::AlreadyQueued
        );
    }

    #[test]
    fn a_record_that_may_have_been_applied_is_not_cancelled() {
        let mut sent = bookmark(1, true);
        sent.attempts = 1;
        assert_eq!(collapse(&[sent], UserId(1), &set(false)), Collapse::Append);
        let mut sending = bookmark(2, true);
        sending.state = ItemState::Sending;
        assert_eq!(
            collapse(&[sending], UserId(1), &set(false)),
            Collapse::Append
        );
    }

    #[test]
    fn other_users_and_other_mutations_are_untouched() {
        let queue = [bookmark(1, true)];
        assert!(may_collapse(&set(false)));
        assert_eq!(collapse(&queue, UserId(2), &set(false)), Collapse::Append);
        let other_session = Mutation::SetBookmark {
            session: SessionId(8),
            bookmarked: false,
        };
        assert_eq!(
            collapse(&queue, UserId(1), &other_session),
            Collapse::Append
        );
    }
}
