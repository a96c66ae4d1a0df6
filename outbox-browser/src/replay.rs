//! Sending the queue: batches of up to 100 records in order, each record's
//! fate decided by `mozi_outbox::decide` from the server's answer. A record
//! is marked "sending" (and its attempt counted) in one transaction before
//! the request, and only the answer removes it; if the context dies in
//! between, the next replay sends it again and the server's idempotency
//! record answers without applying it twice.
//!
//! Pipelined: one transaction applies a batch's answers and marks the next
//! batch (`mozi_outbox::replay_step`, which says why no scope is reordered),
//! the next request goes out at once, and the answered batch is announced
//! (kept as just delivered, told to every tab) while it is on the way. One
//! batch is in flight at a time.

use crate::http::{post_json, Reply};
use crate::store;
use crate::{channel, delivered, lock, views, OutboxError};
use mozi_core::{
    AppError, Applied, BatchResponse, IdempotencyKey, ItemResult, MutationBatch, QueuedMutation,
    UnixMillis,
};
use mozi_outbox::{replay_step, Answer, Batch};
use std::future::Future;

const LOCK: &str = "mozi-outbox-replay";
/// How often a replay that goes on tells the tabs what it applied.
const ANNOUNCE_EVERY_MS: UnixMillis = 1_000;
const ENDPOINT: &str = "/api/mutations";

/// What one replay did.
#[derive(Debug, Default)]
pub struct ReplayReport {
    /// The server could not be reached or asked to wait (network, 5xx,
    /// 429): what is left is tried again later.
    pub unreachable: bool,
    /// The earliest time a waiting record is due again.
    pub next_due: Option<UnixMillis>,
    /// Whether the queue changed.
    pub changed: bool,
    /// What the server applied. Other contexts were told as it happened;
    /// the context that replayed is not (see `channel`).
    pub applied: Vec<Applied>,
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
    // The answers to the batch in flight, applied by the next step.
    let mut answers = Vec::new();
    // Since the last announcement: whether anything changed, what the
    // server applied (`report.applied[announced..]`), and when it was.
    let mut unannounced = false;
    let mut announced = 0;
    let mut announced_at = crate::now();
    loop {
        let now = crate::now();
        // Unreachable: the last step only applies the answers.
        let take = !report.unreachable;
        let (mut step, changed) = store::modify(|records| {
            let mut step = replay_step(records, &answers, now, take);
            let changes = std::mem::take(&mut step.changes);
            let changed = !changes.is_empty();
            (changes, (step, changed))
        })
        .await?;
        report.changed |= changed;
        unannounced |= changed;
        report.applied.append(&mut step.applied);
        let in_flight = step.batch.take().map(send);
        // Announced at the end and, while batches follow each other, at
        // most every `ANNOUNCE_EVERY_MS` with what the server applied: every
        // tab reads the queue and renders for each announcement.
        let due = report.applied.len() > announced && now - announced_at >= ANNOUNCE_EVERY_MS;
        if unannounced && (in_flight.is_none() || due) {
            announce(&report.applied[announced..]).await;
            announced = report.applied.len();
            announced_at = now;
            unannounced = false;
        }
        let Some(in_flight) = in_flight else {
            report.next_due = step.next_due;
            return Ok(report);
        };
        answers = in_flight.await;
        report.unreachable = answers.iter().any(|(_, answer)| {
            matches!(answer, Answer::Network)
                || matches!(answer, Answer::Batch { status, .. } if *status == 429 || *status >= 500)
        });
    }
}

/// Keeps what was applied for pages opening now, and tells the other tabs.
async fn announce(applied: &[Applied]) {
    if let Err(error) = delivered::remember(applied).await {
        // Only a hint for pages opening right now; the records are settled.
        web_sys::console::warn_1(&format!("{error}").into());
    }
    channel::notify(applied);
}

/// Sends the batch now; the answer for each of its records once it came.
fn send(batch: Batch) -> impl Future<Output = Vec<(IdempotencyKey, Answer)>> {
    let body = MutationBatch {
        user: batch.user,
        items: batch
            .records
            .into_iter()
            .map(|record| QueuedMutation {
                key: record.key,
                mutation: record.mutation,
            })
            .collect(),
    };
    let keys: Vec<IdempotencyKey> = body.items.iter().map(|item| item.key).collect();
    let reply = post_json(ENDPOINT, &crate::json::stringify(&body));
    async move { answers(keys, reply.await.ok()) }
}

/// The answer for each of `keys` in one reply (`None`: no answer came).
fn answers(keys: Vec<IdempotencyKey>, reply: Option<Reply>) -> Vec<(IdempotencyKey, Answer)> {
    // An unreadable or incomplete answer counts as none for the records it
    // does not name: sending again is harmless, dropping is not.
    let mut items: Vec<ItemResult> = Vec::new();
    let batch_answer = match reply {
        None => Answer::Network,
        Some(reply) if (200..300).contains(&reply.status) => {
            if let Some(response) = crate::json::parse::<BatchResponse>(&reply.body) {
                items = response.results;
            }
            Answer::Network
        }
        Some(reply) => Answer::Batch {
            status: reply.status,
            retry_after_ms: reply
                .retry_after
                .as_deref()
                .and_then(|seconds| seconds.trim().parse::<u64>().ok())
                .map(|seconds| seconds.saturating_mul(1_000)),
            error: crate::json::parse::<AppError>(&reply.body),
        },
    };
    let mut answers = Vec::with_capacity(keys.len());
    for key in keys {
        let answer = match items.iter().position(|item| item.key == key) {
            Some(index) => Answer::Item(items.swap_remove(index)),
            None => batch_answer.clone(),
        };
        answers.push((key, answer));
    }
    answers
}
