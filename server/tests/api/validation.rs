use crate::support::TestApp;
use axum::http::StatusCode;
use server::MAX_BODY_BYTES;

const MESSAGE_ID: &str = "3f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";

#[tokio::test]
async fn bad_messages_are_refused_and_store_nothing() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;

    let empty = app
        .send_message(&ada, &conversation, MESSAGE_ID, "  \n ")
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json()["message"], "A message cannot be empty.");

    let long = "x".repeat(4_001);
    let oversize = app
        .send_message(&ada, &conversation, MESSAGE_ID, &long)
        .await;
    assert_eq!(oversize.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(oversize.json()["code"], "invalid");

    let malformed = app
        .post(
            "/api/send_message",
            &[("conversation", &conversation), ("body", "no id")],
            Some(&ada),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let not_a_uuid = app.send_message(&ada, &conversation, "123", "hello").await;
    assert_eq!(not_a_uuid.status, StatusCode::BAD_REQUEST);

    let thread = app
        .get(&format!("/api/thread?id={conversation}"), Some(&ada))
        .await
        .json();
    assert_eq!(thread["messages"].as_array().unwrap().len(), 0);

    let ok = app
        .send_message(&ada, &conversation, MESSAGE_ID, &"y".repeat(4_000))
        .await;
    assert!(ok.status.is_success(), "{}", ok.text);
}

#[tokio::test]
async fn the_same_message_id_is_stored_once() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let first = app
        .send_message(&ada, &conversation, MESSAGE_ID, "once")
        .await
        .json();
    let again = app
        .send_message(&ada, &conversation, MESSAGE_ID, "once")
        .await
        .json();
    assert_eq!(first, again);
    let thread = app
        .get(&format!("/api/thread?id={conversation}"), Some(&ada))
        .await
        .json();
    assert_eq!(thread["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_sign_up_input_is_explained() {
    let app = TestApp::new().await;
    let cases = [
        ("ab", "Ada", "correct horse", "3 to 32"),
        ("ada!", "Ada", "correct horse", "may only use"),
        ("ada", " ", "correct horse", "display name"),
        ("ada", "Ada", "short", "at least 8"),
    ];
    for (username, display_name, password, expected) in cases {
        let reply = app
            .post(
                "/api/sign_up",
                &[
                    ("username", username),
                    ("display_name", display_name),
                    ("password", password),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{username}");
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(expected), "{message}");
        assert_eq!(reply.session_cookie(), None);
    }
    let none_made = app
        .post(
            "/api/sign_in",
            &[("username", "ada"), ("password", "correct horse")],
            None,
        )
        .await;
    assert_eq!(none_made.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_people_sessions_and_days_are_reported() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let nobody = app
        .post(
            "/api/start_conversation",
            &[("usernames", "ghost")],
            Some(&ada),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(
        nobody.json()["message"],
        "There is no user named \"ghost\"."
    );
    let alone = app
        .post(
            "/api/start_conversation",
            &[("usernames", "ada")],
            Some(&ada),
        )
        .await;
    assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.conversations(&ada).await.as_array().unwrap().len(), 0);

    let session = app
        .post(
            "/api/set_bookmark",
            &[("session", "99999"), ("bookmarked", "true")],
            Some(&ada),
        )
        .await;
    assert_eq!(session.status, StatusCode::NOT_FOUND);
    let day = app.get("/api/schedule?day=9", None).await;
    assert_eq!(day.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn request_bodies_have_a_size_limit() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let huge = format!("body={}", "x".repeat(MAX_BODY_BYTES + 1));
    let reply = app.post_raw("/api/send_message", huge, Some(&ada)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}
