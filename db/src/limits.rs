//! Limits that must hold whichever server a request reaches, kept in the
//! database: attempts per key (GCRA, as the in-process limits) and leases
//! on the mutation batches a user has in flight.

use crate::{internal, Db};
use mozi_core::{AppError, UnixMillis, UserId};
use uuid::Uuid;

/// How many attempts a key gets at once, and how often one more.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub burst: u32,
    pub every_ms: i64,
}

impl Db {
    /// Counts one attempt for `key` at `now`, or refuses it: `Err` holds
    /// the milliseconds until the next one is allowed. (GCRA: each attempt
    /// moves the key's due time one interval on; an attempt is allowed while
    /// that stays within `burst` intervals of now.)
    pub async fn take_attempt(
        &self,
        key: &str,
        rate: Rate,
        now: UnixMillis,
    ) -> Result<Result<(), i64>, AppError> {
        let tolerance = rate.every_ms * i64::from(rate.burst.max(1));
        let _writer = self.write_turn.lock().await;
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO rate_limits (key, due_at) VALUES (?1, ?2 + ?3)
             ON CONFLICT (key) DO UPDATE SET due_at = max(due_at, ?2) + ?3
                 WHERE max(due_at, ?2) + ?3 - ?2 <= ?4
             RETURNING due_at",
        )
        .bind(key)
        .bind(now)
        .bind(rate.every_ms)
        .bind(tolerance)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        if taken.is_some() {
            return Ok(Ok(()));
        }
        let (due_at,): (i64,) = sqlx::query_as("SELECT due_at FROM rate_limits WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)?;
        Ok(Err(
            (due_at.max(now) + rate.every_ms - now - tolerance).max(1)
        ))
    }

    /// Forgets keys whose attempts are all available again: the table holds
    /// recent keys only, however many names are tried.
    pub async fn forget_spent_attempts(&self, now: UnixMillis) -> Result<u64, AppError> {
        let _writer = self.write_turn.lock().await;
        let deleted = sqlx::query("DELETE FROM rate_limits WHERE due_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }

    /// A lease on one of `user`'s `most` batches in flight, valid until
    /// `expires_at`; `None` when they are all taken.
    pub async fn lease_batch(
        &self,
        user: UserId,
        most: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<Option<Uuid>, AppError> {
        let id = Uuid::new_v4();
        let _writer = self.write_turn.lock().await;
        let mut tx = self.pool.begin().await.map_err(internal)?;
        sqlx::query("DELETE FROM batch_leases WHERE user_id = ? AND expires_at <= ?")
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let leased = sqlx::query(
            "INSERT INTO batch_leases (id, user_id, expires_at)
             SELECT ?1, ?2, ?3
             WHERE (SELECT count(*) FROM batch_leases WHERE user_id = ?2) < ?4",
        )
        .bind(id.to_string())
        .bind(user.0)
        .bind(expires_at)
        .bind(i64::from(most))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok((leased.rows_affected() == 1).then_some(id))
    }

    /// Gives a batch lease back.
    pub async fn release_batch(&self, lease: Uuid) -> Result<(), AppError> {
        let _writer = self.write_turn.lock().await;
        sqlx::query("DELETE FROM batch_leases WHERE id = ?")
            .bind(lease.to_string())
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Rate;
    use crate::testing::{temp_db, user};

    const RATE: Rate = Rate {
        burst: 2,
        every_ms: 10_000,
    };

    #[tokio::test]
    async fn attempts_past_the_burst_wait_one_interval_each() {
        let (db, _dir) = temp_db().await;
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 0).await.unwrap(),
            Err(10_000)
        );
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 4_000).await.unwrap(),
            Err(6_000)
        );
        assert_eq!(
            db.take_attempt("sign-in:bob", RATE, 0).await.unwrap(),
            Ok(())
        );
        // One interval on, one more attempt.
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 10_000).await.unwrap(),
            Ok(())
        );
        assert!(db
            .take_attempt("sign-in:ada", RATE, 10_000)
            .await
            .unwrap()
            .is_err());

        assert_eq!(db.forget_spent_attempts(10_000).await.unwrap(), 1, "bob's");
        assert_eq!(db.forget_spent_attempts(100_000).await.unwrap(), 1, "ada's");
        assert_eq!(
            db.take_attempt("sign-in:ada", RATE, 100_000).await.unwrap(),
            Ok(())
        );
    }

    #[tokio::test]
    async fn batches_in_flight_are_capped_per_user_and_leases_expire() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await.id, user(&db, "bob").await.id);
        let first = db.lease_batch(ada, 2, 0, 60_000).await.unwrap().unwrap();
        assert!(db.lease_batch(ada, 2, 0, 60_000).await.unwrap().is_some());
        assert_eq!(db.lease_batch(ada, 2, 0, 60_000).await.unwrap(), None);
        assert!(db.lease_batch(bob, 2, 0, 60_000).await.unwrap().is_some());
        db.release_batch(first).await.unwrap();
        assert!(db.lease_batch(ada, 2, 0, 60_000).await.unwrap().is_some());
        assert_eq!(db.lease_batch(ada, 2, 59_999, 120_000).await.unwrap(), None);
        // A server that stopped never gave its leases back: they expire.
        assert!(db
            .lease_batch(ada, 2, 60_000, 120_000)
            .await
            .unwrap()
            .is_some());
    }

    #[tokio::test]
    async fn a_restarted_server_voids_the_leases_of_its_previous_run() {
        let (db, dir) = temp_db().await;
        let ada = user(&db, "ada").await.id;
        for _ in 0..2 {
            db.lease_batch(ada, 2, 0, 60_000).await.unwrap().unwrap();
        }
        drop(db);
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let restarted = crate::Db::connect(&url).await.unwrap();
        assert!(restarted
            .lease_batch(ada, 2, 0, 60_000)
            .await
            .unwrap()
            .is_some());
    }
}
