//! `POST /api/mutations`: idempotent, ordered, per-item answers.

use crate::support::TestApp;
use axum::http::StatusCode;
use serde_json::{json, Value};

fn batch(user: i64, items: Value) -> String {
    json!({ "user": user, "items": items }).to_string()
}

fn message(key: &str, conversation: &str, id: &str, body: &str, created_at: i64) -> Value {
    json!({
        "key": key,
        "mutation": {
            "kind": "send_message",
            "conversation": conversation,
            "id": id,
            "body": body,
            "created_at": created_at,
        }
    })
}

fn key(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

impl TestApp {
    pub async fn thread_bodies(&self, cookie: &str, conversation: &str) -> Vec<String> {
        let thread = self
            .get(&format!("/api/thread?id={conversation}"), Some(cookie))
            .await
            .json();
        thread["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|message| message["body"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn the_same_batch_twice_is_applied_once_with_the_same_answers() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    app.sign_up("bob").await;
    let conversation = "11111111-2222-4333-8444-555555555555";
    let items = json!([
        { "key": key(1), "mutation": { "kind": "start_conversation", "conversation": conversation, "usernames": "bob" } },
        message(&key(2), conversation, "aaaaaaaa-0000-4000-8000-000000000001", "first", 1_000),
        message(&key(3), conversation, "aaaaaaaa-0000-4000-8000-000000000002", "second", 2_000),
        { "key": key(4), "mutation": { "kind": "set_bookmark", "session": 3, "bookmarked": true } },
    ]);
    let first = app.mutate(Some(&ada), batch(ada_id, items.clone())).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = app.mutate(Some(&ada), batch(ada_id, items)).await;
    assert_eq!(first.json(), again.json());
    let statuses: Vec<_> = first.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200]);

    assert_eq!(
        app.thread_bodies(&ada, conversation).await,
        ["first", "second"]
    );
    let mine = app.get("/api/my_schedule", Some(&ada)).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let conversations = app.conversations(&ada).await;
    assert_eq!(conversations.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_key_sent_concurrently_is_applied_once() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    // Same idempotency key, different message ids: only the key can stop the double.
    let one = batch(
        ada_id,
        json!([message(
            &key(7),
            &conversation,
            "bbbbbbbb-0000-4000-8000-000000000001",
            "once",
            5
        )]),
    );
    let two = batch(
        ada_id,
        json!([message(
            &key(7),
            &conversation,
            "bbbbbbbb-0000-4000-8000-000000000002",
            "once",
            5
        )]),
    );
    let (a, b) = tokio::join!(app.mutate(Some(&ada), one), app.mutate(Some(&ada), two));
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(a.json()["results"][0], b.json()["results"][0]);
    assert_eq!(app.thread_bodies(&ada, &conversation).await, ["once"]);
}

/// Two servers behind a load balancer: a device whose batch timed out on
/// one sends it again to the other while the first is still applying it.
#[tokio::test]
async fn the_same_batch_sent_to_two_servers_at_once_is_applied_once() {
    let app = TestApp::new().await;
    let other = app.another_server().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let items: Vec<Value> = (0..40)
        .map(|n| {
            message(
                &key(100 + n),
                &conversation,
                &format!("cccccccc-0000-4000-8000-{n:012}"),
                &format!("m{n}"),
                10 + i64::from(n),
            )
        })
        .collect();
    let body = batch(ada_id, Value::Array(items));
    let request = |body: String| {
        axum::http::Request::post("/api/mutations")
            .header("content-type", "application/json")
            .header("cookie", &ada)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let (here, there) = tokio::join!(
        app.mutate(Some(&ada), body.clone()),
        tower::ServiceExt::oneshot(other, request(body)),
    );
    let there = there.unwrap();
    assert_eq!(here.status, StatusCode::OK, "{}", here.text);
    assert_eq!(there.status(), StatusCode::OK);
    let there: Value = serde_json::from_slice(
        &http_body_util::BodyExt::collect(there.into_body())
            .await
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    assert_eq!(
        here.json(),
        there,
        "both servers answer with the one result"
    );
    let expected: Vec<String> = (0..40).map(|n| format!("m{n}")).collect();
    assert_eq!(app.thread_bodies(&ada, &conversation).await, expected);
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    let bob = app.sign_up("bob").await;
    let bob_id = app.user_id(&bob).await;
    let bookmark = |user: i64, session: u32| {
        batch(
            user,
            json!([{ "key": key(9), "mutation": { "kind": "set_bookmark", "session": session, "bookmarked": true } }]),
        )
    };
    assert_eq!(
        app.mutate(Some(&ada), bookmark(ada_id, 5)).await.status,
        StatusCode::OK
    );
    let bobs = app.mutate(Some(&bob), bookmark(bob_id, 6)).await;
    assert_eq!(bobs.json()["results"][0]["applied"]["session"], 6);
    let ada_sessions = app.get("/api/my_schedule", Some(&ada)).await.json();
    let bob_sessions = app.get("/api/my_schedule", Some(&bob)).await.json();
    assert_eq!(ada_sessions[0]["id"], 5);
    assert_eq!(bob_sessions[0]["id"], 6);
}

#[tokio::test]
async fn a_queue_is_applied_only_under_its_own_users_session() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    let bob = app.sign_up("bob").await;
    // Ada's queue, sent while Bob is signed in on the same device.
    let adas_change = batch(
        ada_id,
        json!([{ "key": key(3), "mutation": { "kind": "set_bookmark", "session": 2, "bookmarked": true } }]),
    );
    let refused = app.mutate(Some(&bob), adas_change.clone()).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["code"], "unauthorized");
    let bob_sessions = app.get("/api/my_schedule", Some(&bob)).await.json();
    assert_eq!(bob_sessions.as_array().unwrap().len(), 0);
    // Once Ada is signed in, the same batch goes through.
    let accepted = app.mutate(Some(&ada), adas_change).await;
    assert_eq!(accepted.json()["results"][0]["status"], 200);
}

#[tokio::test]
async fn each_item_gets_its_own_answer_and_refusals_change_nothing() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    let eve_id = app.user_id(&eve).await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let items = json!([
        message(&key(1), &conversation, "cccccccc-0000-4000-8000-000000000001", "ok", 10),
        message(&key(2), &conversation, "cccccccc-0000-4000-8000-000000000002", "   ", 11),
        message(&key(3), "99999999-9999-4999-8999-999999999999", "cccccccc-0000-4000-8000-000000000003", "lost", 12),
        { "key": key(4), "mutation": { "kind": "set_bookmark", "session": 99999, "bookmarked": true } },
        { "key": key(5), "mutation": { "kind": "start_conversation", "conversation": "dddddddd-0000-4000-8000-000000000001", "usernames": "ghost" } },
    ]);
    let reply = app.mutate(Some(&ada), batch(ada_id, items)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let results = reply.json()["results"].clone();
    let statuses: Vec<_> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 422, 404, 404, 404]);
    assert_eq!(
        results[1]["failed"]["message"],
        "A message cannot be empty."
    );
    assert_eq!(app.thread_bodies(&ada, &conversation).await, ["ok"]);

    // A foreign conversation is "not found", as everywhere else.
    let intrusion = batch(
        eve_id,
        json!([message(
            &key(6),
            &conversation,
            "cccccccc-0000-4000-8000-000000000004",
            "hi",
            13
        )]),
    );
    let refused = app.mutate(Some(&eve), intrusion).await;
    assert_eq!(refused.json()["results"][0]["status"], 404);
    assert_eq!(app.thread_bodies(&ada, &conversation).await, ["ok"]);
}

#[tokio::test]
async fn a_late_message_keeps_its_device_time_and_place() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    let bob = app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let now = app
        .send_message(
            &bob,
            &conversation,
            "eeeeeeee-0000-4000-8000-000000000001",
            "from bob, online",
        )
        .await
        .json()["created_at"]
        .as_i64()
        .unwrap();
    let written_offline = now - 60_000;
    let future = now + 3_600_000;
    let items = json!([
        message(
            &key(1),
            &conversation,
            "eeeeeeee-0000-4000-8000-000000000002",
            "written offline",
            written_offline
        ),
        message(
            &key(2),
            &conversation,
            "eeeeeeee-0000-4000-8000-000000000003",
            "clock ahead",
            future
        ),
    ]);
    let reply = app.mutate(Some(&ada), batch(ada_id, items)).await.json();
    assert_eq!(
        reply["results"][0]["applied"]["message"]["created_at"],
        written_offline
    );
    assert!(
        reply["results"][1]["applied"]["message"]["created_at"]
            .as_i64()
            .unwrap()
            < future
    );
    assert_eq!(
        app.thread_bodies(&bob, &conversation).await,
        ["written offline", "from bob, online", "clock ahead"]
    );
}

#[tokio::test]
async fn unusable_batches_are_refused_whole() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let ada_id = app.user_id(&ada).await;
    let one = batch(
        ada_id,
        json!([{ "key": key(1), "mutation": { "kind": "set_bookmark", "session": 1, "bookmarked": true } }]),
    );
    assert_eq!(app.mutate(None, one).await.status, StatusCode::UNAUTHORIZED);
    let malformed = app
        .mutate(Some(&ada), "{\"items\": [{\"key\": 1}]}".into())
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["code"], "bad_request");
    let items: Vec<Value> = (0..101)
        .map(|n| json!({ "key": key(n), "mutation": { "kind": "set_bookmark", "session": 1, "bookmarked": true } }))
        .collect();
    let too_many = app
        .mutate(Some(&ada), batch(ada_id, Value::Array(items)))
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.mutate(Some(&ada), batch(ada_id, json!([])))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/my_schedule", Some(&ada))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
