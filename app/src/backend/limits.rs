//! What one client may make the server do: rate limits on sign-in, sign-up
//! and new conversations, a ceiling on password hashing, and a cap on
//! mutation batches in flight per user. Every refusal is a 429 that says
//! when to come back (`Retry-After`).
//!
//! The limits that must hold however many servers there are (sign-ins per
//! account, batches in flight per user) are kept in the database; those per
//! address or per process stay in memory.

use super::now_millis;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use mozi_core::{AppError, UnixMillis, UserId};
use mozi_db::{Db, Rate};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Sign-in attempts per address: generous, since a whole conference venue
/// may share one address behind its Wi-Fi.
const SIGN_INS_PER_IP: (u32, Duration) = (30, Duration::from_secs(2));
/// Sign-in attempts per username, whoever makes them, on any server.
/// Guessing a password gets five tries, then one every 12 s.
const SIGN_INS_PER_ACCOUNT: Rate = Rate {
    burst: 5,
    every_ms: 12_000,
};
/// New accounts per address.
const SIGN_UPS_PER_IP: (u32, Duration) = (30, Duration::from_secs(2));
/// New conversations per user.
const CONVERSATION_STARTS_PER_USER: (u32, Duration) = (20, Duration::from_secs(3));
/// Mutation batches one user may have in flight at once, on all servers.
const BATCHES_IN_FLIGHT_PER_USER: u32 = 2;
/// How long a batch's lease lasts unless renewed: a server that stops (is
/// killed) in the middle of a batch holds its user's slot this long at most.
const BATCH_LEASE_MS: UnixMillis = 5_000;
/// How often a running batch renews its lease.
const BATCH_LEASE_RENEWAL: Duration = Duration::from_secs(2);
/// Password checks waiting for a turn, per hashing slot; more are refused.
const PASSWORD_QUEUE_PER_SLOT: usize = 4;
/// How long a password check waits for its turn before it is refused.
const PASSWORD_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// A keyed limiter that answers "no" with how long to wait.
#[derive(Debug)]
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    fn new((burst, every): (u32, Duration)) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Counts one attempt for `key`, or refuses it with the wait.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        self.limiter.check_key(key).map_err(|not_until| {
            AppError::rate_limited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Forgets keys whose limit is fully replenished, so the limiter's
    /// memory is bounded by recent clients, not all clients ever.
    fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Every limit of the server, shared by all requests.
#[derive(Debug)]
pub struct Limits {
    pub sign_ins_per_ip: KeyedLimit<IpAddr>,
    pub sign_ups_per_ip: KeyedLimit<IpAddr>,
    pub conversation_starts: KeyedLimit<UserId>,
    password_slots: Arc<Semaphore>,
    password_queue: Arc<Semaphore>,
}

impl Default for Limits {
    fn default() -> Self {
        // Argon2 is all CPU: hashes take at most half the cores (at least
        // one), so a storm of sign-ins leaves the rest to everyone else's
        // requests; more at once would only add memory (19 MiB each).
        let slots = password_slots();
        Self {
            sign_ins_per_ip: KeyedLimit::new(SIGN_INS_PER_IP),
            sign_ups_per_ip: KeyedLimit::new(SIGN_UPS_PER_IP),
            conversation_starts: KeyedLimit::new(CONVERSATION_STARTS_PER_USER),
            password_slots: Arc::new(Semaphore::new(slots)),
            password_queue: Arc::new(Semaphore::new(slots * (1 + PASSWORD_QUEUE_PER_SLOT))),
        }
    }
}

/// How many password hashes may run at once: half the cores, at least one.
fn password_slots() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (cores / 2).max(1)
}

impl Limits {
    /// Waits for a turn at password hashing; refused when the queue is full
    /// or the wait would be long.
    pub async fn password_turn(&self) -> Result<OwnedSemaphorePermit, AppError> {
        let busy = || AppError::rate_limited(Duration::from_secs(1));
        let _in_queue = Arc::clone(&self.password_queue)
            .try_acquire_owned()
            .map_err(|_| busy())?;
        tokio::time::timeout(
            PASSWORD_QUEUE_WAIT,
            Arc::clone(&self.password_slots).acquire_owned(),
        )
        .await
        .map_err(|_| busy())?
        .map_err(|_| AppError::Internal)
    }

    /// Counts a sign-in attempt on `username`'s account, on any server.
    pub async fn sign_in_to_account(&self, db: &Db, username: &str) -> Result<(), AppError> {
        let key = format!("sign-in:{username}");
        match db
            .take_attempt(&key, SIGN_INS_PER_ACCOUNT, now_millis())
            .await?
        {
            Ok(()) => Ok(()),
            Err(wait_ms) => Err(AppError::rate_limited(Duration::from_millis(
                u64::try_from(wait_ms).unwrap_or(1),
            ))),
        }
    }

    /// Claims one of `user`'s batch slots until the guard is dropped.
    pub async fn batch_turn(&self, db: &Db, user: UserId) -> Result<BatchTurn, AppError> {
        let now = now_millis();
        let lease = db
            .lease_batch(user, BATCHES_IN_FLIGHT_PER_USER, now, now + BATCH_LEASE_MS)
            .await?
            .ok_or_else(|| AppError::rate_limited(Duration::from_secs(1)))?;
        // A slow batch keeps its slot for as long as it runs.
        let renewal = tokio::spawn({
            let db = db.clone();
            async move {
                loop {
                    tokio::time::sleep(BATCH_LEASE_RENEWAL).await;
                    let _ = db.renew_batch(lease, now_millis() + BATCH_LEASE_MS).await;
                }
            }
        });
        Ok(BatchTurn {
            db: db.clone(),
            lease,
            renewal: renewal.abort_handle(),
        })
    }

    /// Forgets idle keys every minute, for as long as the server runs.
    pub async fn forget_idle_keys(self: Arc<Self>, db: Db) {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            // A failure is logged by the database; the next minute tries again.
            let _ = db.forget_spent_attempts(now_millis()).await;
            self.sign_ins_per_ip.forget_idle();
            self.sign_ups_per_ip.forget_idle();
            self.conversation_starts.forget_idle();
        }
    }
}

/// One batch of a user in flight; its slot frees when it is dropped.
#[derive(Debug)]
pub struct BatchTurn {
    db: Db,
    lease: uuid::Uuid,
    renewal: tokio::task::AbortHandle,
}

impl Drop for BatchTurn {
    fn drop(&mut self) {
        self.renewal.abort();
        let (db, lease) = (self.db.clone(), self.lease);
        // Given back as soon as possible; if it never is (the server
        // stops), the lease expires.
        tokio::spawn(async move {
            let _ = db.release_batch(lease).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refuses_past_its_burst_with_the_wait() {
        let limit = KeyedLimit::new((2, Duration::from_secs(10)));
        assert!(limit.check(&"ada").is_ok());
        assert!(limit.check(&"ada").is_ok());
        let refused = limit.check(&"ada").unwrap_err();
        let wait = refused.retry_after_secs().unwrap();
        assert!((1..=10).contains(&wait), "{wait}");
        assert!(limit.check(&"bob").is_ok(), "other keys are not affected");
    }

    #[tokio::test]
    async fn password_work_waits_in_a_short_queue_then_is_refused() {
        let limits = Limits::default();
        let mut held = Vec::new();
        for _ in 0..password_slots() {
            held.push(limits.password_turn().await.unwrap());
        }
        let refused = limits.password_turn().await.unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
        drop(held.pop());
        assert!(limits.password_turn().await.is_ok());
    }
}
