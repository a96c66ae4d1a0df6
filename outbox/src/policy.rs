//! What an answer means for a record. Nothing is removed before the server
//! acknowledged it: a refusal keeps the record as failed, anything unclear
//! keeps it for another try.

use crate::record::{FailReason, ItemState, OutboxRecord};
use mozi_core::{AppError, ItemResult, Outcome, UnixMillis};

/// Records older than this become failed as "expired" (7 days).
pub const DEFAULT_TTL_MS: i64 = mozi_core::OUTBOX_TTL_MS;
const FIRST_RETRY_MS: u64 = 2_000;
const MAX_RETRY_MS: u64 = 5 * 60 * 1000;

/// What came back for a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The batch was read: this record's own result.
    Item(ItemResult),
    /// The whole batch was answered with `status` (401, 429, 5xx, …).
    Batch {
        status: u16,
        retry_after_ms: Option<u64>,
        error: Option<AppError>,
    },
    /// No answer at all: offline, connection dropped, server down.
    Network,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Acknowledged: remove the record.
    Remove,
    /// Refused: keep it, failed, with the server's reason.
    Fail(FailReason),
    /// Keep it and send it again after `not_before`.
    Retry { not_before: UnixMillis },
    /// Keep it until the user has signed in again.
    AwaitSignIn,
}

/// Exponential backoff for the `attempts`-th failure: 2 s, 4 s, … 5 min.
pub fn backoff_ms(attempts: u32) -> u64 {
    FIRST_RETRY_MS
        .saturating_mul(1_u64 << attempts.min(20))
        .min(MAX_RETRY_MS)
}

fn retry(record: &OutboxRecord, now: UnixMillis, retry_after_ms: Option<u64>) -> Decision {
    let wait = backoff_ms(record.attempts).max(retry_after_ms.unwrap_or(0));
    Decision::Retry {
        not_before: now.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX)),
    }
}

fn by_status(
    record: &OutboxRecord,
    status: u16,
    retry_after_ms: Option<u64>,
    error: Option<AppError>,
    now: UnixMillis,
) -> Decision {
    match status {
        200..=299 => Decision::Remove,
        401 => Decision::AwaitSignIn,
        429 | 500..=599 => retry(record, now, retry_after_ms),
        _ => Decision::Fail(FailReason::Refused {
            error: error.unwrap_or_else(|| {
                AppError::BadRequest(format!("The server refused this change ({status})."))
            }),
        }),
    }
}

pub fn decide(record: &OutboxRecord, answer: &Answer, now: UnixMillis) -> Decision {
    match answer {
        Answer::Item(result) => {
            let error = match &result.outcome {
                Outcome::Failed(error) => Some(error.clone()),
                Outcome::Applied(_) => None,
            };
            // An item turned away for now (429) says when to come back.
            let retry_after_ms = error
                .as_ref()
                .and_then(AppError::retry_after_secs)
                .map(|secs| secs.saturating_mul(1_000));
            by_status(record, result.status, retry_after_ms, error, now)
        }
        Answer::Batch {
            status,
            retry_after_ms,
            error,
        } => by_status(record, *status, *retry_after_ms, error.clone(), now),
        Answer::Network => retry(record, now, None),
    }
}

/// A record still waiting past the time-to-live fails as expired rather
/// than being dropped; a record being sent is left to its answer.
pub fn expire(record: &OutboxRecord, now: UnixMillis, ttl_ms: i64) -> Option<Decision> {
    let waiting = matches!(record.state, ItemState::Pending | ItemState::NeedsSignIn);
    let since = record.retried_at.unwrap_or(record.created_at);
    (waiting && now.saturating_sub(since) > ttl_ms).then_some(Decision::Fail(FailReason::Expired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mozi_core::{Applied, IdempotencyKey, Mutation, SessionId, UserId};

    fn record() -> OutboxRecord {
        OutboxRecord::new(
            "7c9e6679-7425-40de-944b-e07fc1f90ae7"
                .parse::<IdempotencyKey>()
                .unwrap(),
            UserId(1),
            Mutation::SetBookmark {
                session: SessionId(3),
                bookmarked: true,
            },
            1_000,
        )
    }

    fn item(status: u16) -> Answer {
        let key = record().key;
        Answer::Item(if status == 200 {
            ItemResult::applied(
                key,
                Applied::Bookmark {
                    session: SessionId(3),
                    bookmarked: true,
                },
            )
        } else {
            ItemResult {
                key,
                status,
                outcome: Outcome::Failed(AppError::Conflict("taken".into())),
            }
        })
    }

    #[test]
    fn only_an_acknowledgement_removes_a_record() {
        assert_eq!(decide(&record(), &item(200), 5), Decision::Remove);
        for answer in [
            item(500),
            item(429),
            Answer::Network,
            Answer::Batch {
                status: 503,
                retry_after_ms: None,
                error: None,
            },
        ] {
            assert!(matches!(
                decide(&record(), &answer, 5),
                Decision::Retry { .. }
            ));
        }
    }

    #[test]
    fn refusals_fail_with_the_servers_reason() {
        assert_eq!(
            decide(&record(), &item(409), 5),
            Decision::Fail(FailReason::Refused {
                error: AppError::Conflict("taken".into())
            })
        );
        let batch = Answer::Batch {
            status: 422,
            retry_after_ms: None,
            error: None,
        };
        assert!(matches!(decide(&record(), &batch, 5), Decision::Fail(_)));
    }

    #[test]
    fn an_expired_session_keeps_the_record_for_after_sign_in() {
        let batch = Answer::Batch {
            status: 401,
            retry_after_ms: None,
            error: None,
        };
        assert_eq!(decide(&record(), &batch, 5), Decision::AwaitSignIn);
        assert_eq!(decide(&record(), &item(401), 5), Decision::AwaitSignIn);
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(3), 16_000);
        assert_eq!(backoff_ms(40), 300_000);
        let mut tried = record();
        tried.attempts = 1;
        let busy = Answer::Batch {
            status: 429,
            retry_after_ms: Some(60_000),
            error: None,
        };
        assert_eq!(
            decide(&tried, &busy, 10_000),
            Decision::Retry { not_before: 70_000 }
        );
        assert_eq!(
            decide(&tried, &Answer::Network, 10_000),
            Decision::Retry { not_before: 14_000 }
        );
        // One item turned away for now (too many conversations started).
        let limited = Answer::Item(ItemResult::failed(
            record().key,
            AppError::RateLimited {
                retry_after_secs: 30,
            },
        ));
        assert_eq!(
            decide(&tried, &limited, 10_000),
            Decision::Retry { not_before: 40_000 }
        );
    }

    #[test]
    fn old_waiting_records_expire_instead_of_vanishing() {
        let old = record();
        assert_eq!(expire(&old, 1_000 + DEFAULT_TTL_MS, DEFAULT_TTL_MS), None);
        assert_eq!(
            expire(&old, 1_001 + DEFAULT_TTL_MS, DEFAULT_TTL_MS),
            Some(Decision::Fail(FailReason::Expired))
        );
        let mut retried = old.clone();
        retried.retried_at = Some(5_000);
        assert_eq!(
            expire(&retried, 1_001 + DEFAULT_TTL_MS, DEFAULT_TTL_MS),
            None
        );
        let mut sending = old;
        sending.state = ItemState::Sending;
        assert_eq!(expire(&sending, i64::MAX, DEFAULT_TTL_MS), None);
    }
}
