use super::{temp_db, user};
use crate::Rate;

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
async fn a_renewed_lease_holds_its_slot_past_its_first_expiry() {
    let (db, _dir) = temp_db().await;
    let ada = user(&db, "ada").await.id;
    let running = db.lease_batch(ada, 1, 0, 5_000).await.unwrap().unwrap();
    db.renew_batch(running, 9_000).await.unwrap();
    assert_eq!(db.lease_batch(ada, 1, 6_000, 11_000).await.unwrap(), None);
    assert!(db
        .lease_batch(ada, 1, 9_000, 14_000)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_restarted_sqlite_server_voids_the_leases_of_its_previous_run() {
    let (db, scratch) = temp_db().await;
    let ada = user(&db, "ada").await.id;
    for _ in 0..2 {
        db.lease_batch(ada, 2, 0, 60_000).await.unwrap().unwrap();
    }
    drop(db);
    let restarted = crate::Db::connect(&scratch.url).await.unwrap();
    let leased = restarted.lease_batch(ada, 2, 0, 60_000).await.unwrap();
    // A SQLite file has one server: what its last run leased is void. On
    // PostgreSQL the leases may be another running server's: they hold
    // until they expire.
    assert_eq!(leased.is_some(), !scratch.is_postgres());
}
