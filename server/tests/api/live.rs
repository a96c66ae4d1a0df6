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

#[tokio::test]
async fn members_receive_new_messages_live_and_outsiders_do_not() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    let conversation = app.start_conversation(&ada, "bob").await;

    let open = |cookie: String| {
        let router = app.router.clone();
        async move {
            router
                .oneshot(
                    Request::get("/api/events")
                        .header(header::COOKIE, cookie)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap()
        }
    };
    let bobs_stream = open(bob.clone()).await;
    assert_eq!(bobs_stream.status(), StatusCode::OK);
    assert_eq!(
        bobs_stream.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut bobs_body = bobs_stream.into_body();
    let mut eves_body = open(eve.clone()).await.into_body();

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
