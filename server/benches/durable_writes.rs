//! Durable message writes per second through the whole server: mutation
//! batches of 100 posted to `/api/mutations` (a batch in one transaction,
//! a savepoint per message, with their idempotency records and live events),
//! and single messages through the `send_message` server function. On a
//! temporary SQLite file (WAL, synchronous=NORMAL), then on PostgreSQL when
//! `MOZI_TEST_POSTGRES_URL` names a server (`bench/with-postgres cargo bench -p
//! server` starts a throw-away one with the default, durable settings). Prints figures;
//! run with `cargo bench -p server`.

// The API tests' black-box client; the benchmark uses part of it.
#[allow(dead_code)]
#[path = "../tests/api/support.rs"]
mod support;

use axum::http::StatusCode;
use mozi_db::testing::{postgres_server, ScratchDatabase};
use serde_json::json;
use std::time::Instant;
use support::TestApp;

const BATCHES: usize = 20;
const SINGLE_MESSAGES: usize = 500;

#[tokio::main]
async fn main() {
    measure(
        "one SQLite file (WAL, synchronous=NORMAL)",
        ScratchDatabase::sqlite(),
    )
    .await;
    match postgres_server() {
        Some(server) => {
            let database = ScratchDatabase::postgres(&server).await;
            measure("PostgreSQL (one server, over TCP on 127.0.0.1)", database).await;
        }
        None => {
            println!("PostgreSQL: not measured; run `bench/with-postgres cargo bench -p server`")
        }
    }
}

async fn measure(backend: &str, database: ScratchDatabase) {
    let app = TestApp::on(database).await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;

    let started = Instant::now();
    for batch in 0..BATCHES {
        let items: Vec<_> = (0..100)
            .map(|n| {
                let serial = batch * 100 + n;
                json!({
                    "key": format!("00000000-0000-4000-8000-{serial:012}"),
                    "mutation": {
                        "kind": "send_message",
                        "conversation": conversation,
                        "id": format!("10000000-0000-4000-8000-{serial:012}"),
                        "body": format!("message {serial}"),
                        "created_at": serial,
                    }
                })
            })
            .collect();
        let reply = app
            .mutate(
                Some(&ada),
                json!({ "user": ada_id, "items": items }).to_string(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    let batched = started.elapsed();

    let started = Instant::now();
    for serial in 0..SINGLE_MESSAGES {
        let id = format!("20000000-0000-4000-8000-{serial:012}");
        let reply = app.send_message(&ada, &conversation, &id, "single").await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    let single = started.elapsed();

    let batched_count = BATCHES * 100;
    println!("durable message writes, {backend}");
    println!(
        "  batches of 100 via /api/mutations: {batched_count} messages in {:.2} s = {:.0} writes/s ({BATCHES} round trips)",
        batched.as_secs_f64(),
        batched_count as f64 / batched.as_secs_f64(),
    );
    println!(
        "  one per request via send_message:  {SINGLE_MESSAGES} messages in {:.2} s = {:.0} writes/s",
        single.as_secs_f64(),
        SINGLE_MESSAGES as f64 / single.as_secs_f64()
    );
}
