use crate::support::TestApp;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

/// Reads the event stream until `needle` shows up, or fails after a while.
async fn read_until(body: &mut Body, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in the stream; saw {seen:?}"))
            .expect("stream open")
            .expect("frame reads");
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    seen
}

/// Opens `/api/events` as `cookie`, resuming after `last_event_id` if given.
async fn open_stream(
    server: &axum::Router,
    cookie: &str,
    last_event_id: Option<&str>,
) -> axum::response::Response {
    open_stream_at(server, "/api/events", cookie, last_event_id).await
}

/// Opens the stream at `uri` (with a query of its own, say) as `cookie`,
/// with `last_event_id` as the browser's reconnecting header if given.
async fn open_stream_at(
    server: &axum::Router,
    uri: &str,
    cookie: &str,
    last_event_id: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(uri).header(header::COOKIE, cookie);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    server
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// Ada and Bob, signed up, in a conversation Ada started.
struct AdaAndBob {
    app: TestApp,
    ada: String,
    bob: String,
    conversation: String,
}

impl AdaAndBob {
    async fn new() -> Self {
        let app = TestApp::new().await;
        let ada = app.sign_up("ada").await;
        let bob = app.sign_up("bob").await;
        let conversation = app.start_conversation(&ada, "bob").await;
        Self {
            app,
            ada,
            bob,
            conversation,
        }
    }

    /// Ada sends `body` as the message `id`.
    async fn send(&self, id: &str, body: &str) {
        let reply = self
            .app
            .send_message(&self.ada, &self.conversation, id, body)
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
}

/// The `id:` of the event whose data holds `needle`.
fn id_of(stream: &str, needle: &str) -> String {
    stream
        .split("\n\n")
        .find(|event| event.contains(needle))
        .and_then(|event| event.lines().find_map(|line| line.strip_prefix("id: ")))
        .unwrap_or_else(|| panic!("no id for {needle:?} in {stream:?}"))
        .to_owned()
}

#[tokio::test]
async fn a_stream_that_reconnects_resumes_after_its_last_event_with_no_gap_or_repeat() {
    let chat = AdaAndBob::new().await;
    let (app, bob) = (&chat.app, &chat.bob);
    let send = |id: &'static str, body: &'static str| chat.send(id, body);

    let mut first = open_stream(&app.router, bob, None).await.into_body();
    send("9a1b2c3d-0000-4000-8000-000000000001", "one").await;
    let seen = read_until(&mut first, "one").await;
    let last = id_of(&seen, "one");
    drop(first);

    // Sent while bob's stream was away; it comes back through another
    // server, as after a load balancer's switch.
    send("9a1b2c3d-0000-4000-8000-000000000002", "two").await;
    send("9a1b2c3d-0000-4000-8000-000000000003", "three").await;
    let other = app.another_server().await;
    let mut resumed = open_stream(&other, bob, Some(&last)).await.into_body();
    let seen = read_until(&mut resumed, "three").await;
    assert!(seen.contains("two"), "{seen}");
    assert!(!seen.contains("\"one\""), "nothing twice: {seen}");
    let (two, three) = (id_of(&seen, "two"), id_of(&seen, "three"));
    let as_number = |id: &str| id.parse::<i64>().expect("numeric ids");
    assert_eq!(as_number(&two), as_number(&last) + 1);
    assert_eq!(as_number(&three), as_number(&two) + 1);

    // An id the server never sent: the page is told to refetch, and the
    // stream goes on.
    let mut unknown = open_stream(&app.router, bob, Some("not-an-id"))
        .await
        .into_body();
    read_until(&mut unknown, "event: refetch").await;
    send("9a1b2c3d-0000-4000-8000-000000000004", "four").await;
    read_until(&mut unknown, "four").await;
}

#[tokio::test]
async fn a_new_stream_opened_by_the_page_resumes_after_the_event_it_names() {
    let chat = AdaAndBob::new().await;
    let (app, bob) = (&chat.app, &chat.bob);
    let send = |id: &'static str, body: &'static str| chat.send(id, body);

    let mut silent = open_stream(&app.router, bob, None).await.into_body();
    send("9a1b2c3d-0000-4000-8000-0000000000b1", "one").await;
    let last = id_of(&read_until(&mut silent, "one").await, "one");
    drop(silent);
    send("9a1b2c3d-0000-4000-8000-0000000000b2", "two").await;

    // The page's own new stream names the last event in its query.
    let uri = format!("/api/events?last_event_id={last}");
    let mut resumed = open_stream_at(&app.router, &uri, bob, None)
        .await
        .into_body();
    let seen = read_until(&mut resumed, "two").await;
    assert!(!seen.contains("\"one\""), "nothing twice: {seen}");

    // When that stream reconnects by itself, the browser's header is the
    // newer word and wins over the query it was opened with.
    let two = id_of(&seen, "two");
    drop(resumed);
    send("9a1b2c3d-0000-4000-8000-0000000000b3", "three").await;
    let mut reconnected = open_stream_at(&app.router, &uri, bob, Some(&two))
        .await
        .into_body();
    let seen = read_until(&mut reconnected, "three").await;
    assert!(!seen.contains("\"two\""), "nothing twice: {seen}");
}

#[tokio::test]
async fn members_receive_new_messages_live_and_outsiders_do_not() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    let conversation = app.start_conversation(&ada, "bob").await;

    let bobs_stream = open_stream(&app.router, &bob, None).await;
    assert_eq!(bobs_stream.status(), StatusCode::OK);
    assert_eq!(
        bobs_stream.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut bobs_body = bobs_stream.into_body();
    let mut eves_body = open_stream(&app.router, &eve, None).await.into_body();

    let eves_message_conversation = app.start_conversation(&eve, "ada").await;
    app.send_message(
        &eve,
        &eves_message_conversation,
        "9a1b2c3d-0000-4000-8000-0000000000e1",
        "not for bob",
    )
    .await;
    app.send_message(
        &ada,
        &conversation,
        "9a1b2c3d-0000-4000-8000-0000000000a1",
        "live hello",
    )
    .await;

    let seen = read_until(&mut bobs_body, "live hello").await;
    assert!(seen.contains("event: live"), "{seen}");
    assert!(!seen.contains("not for bob"), "{seen}");
    let eves = read_until(&mut eves_body, "not for bob").await;
    assert!(!eves.contains("live hello"), "{eves}");

    let anonymous = app.get("/api/events", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
