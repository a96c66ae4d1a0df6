use crate::support::TestApp;
use axum::http::StatusCode;

#[tokio::test]
async fn bookmarks_belong_to_their_user() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let day1 = app.get("/api/schedule?day=1", Some(&ada)).await.json();
    let session = day1["sessions"][3]["id"].to_string();

    let saved = app
        .post(
            "/api/set_bookmark",
            &[("session", &session), ("bookmarked", "true")],
            Some(&ada),
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.text);

    let mine = app.get("/api/my_schedule", Some(&ada)).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"].to_string(), session);
    let theirs = app.get("/api/my_schedule", Some(&bob)).await.json();
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    let bobs_view = app.get("/api/schedule?day=1", Some(&bob)).await.json();
    assert_eq!(bobs_view["sessions"][3]["bookmarked"], false);

    let anonymous = app.get("/api/my_schedule", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let anonymous_write = app
        .post(
            "/api/set_bookmark",
            &[("session", &session), ("bookmarked", "false")],
            None,
        )
        .await;
    assert_eq!(anonymous_write.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/my_schedule", Some(&ada))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_foreign_conversation_is_not_found() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let sent = app
        .send_message(
            &ada,
            &conversation,
            "0b4c1b5a-1b1e-4d54-9f7d-3b1c7b7d9a01",
            "for bob only",
        )
        .await;
    assert!(sent.status.is_success(), "{}", sent.text);

    let peek = app
        .get(&format!("/api/thread?id={conversation}"), Some(&eve))
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert!(!peek.text.contains("for bob only"));
    let page = app
        .get(&format!("/messages/{conversation}"), Some(&eve))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.text.contains("for bob only"));

    let intrude = app
        .send_message(
            &eve,
            &conversation,
            "0b4c1b5a-1b1e-4d54-9f7d-3b1c7b7d9a02",
            "hi",
        )
        .await;
    assert_eq!(intrude.status, StatusCode::NOT_FOUND);
    let read = app
        .post(
            "/api/mark_read",
            &[("conversation", &conversation)],
            Some(&eve),
        )
        .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let listed = app.conversations(&eve).await;
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let thread = app
        .get(&format!("/api/thread?id={conversation}"), Some(&ada))
        .await
        .json();
    assert_eq!(thread["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unread_counts_follow_reading() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    for (id, body) in [
        ("5d0c7a58-0000-4000-8000-000000000001", "one"),
        ("5d0c7a58-0000-4000-8000-000000000002", "two"),
    ] {
        let sent = app.send_message(&ada, &conversation, id, body).await;
        assert!(sent.status.is_success(), "{}", sent.text);
    }
    let bobs = app.conversations(&bob).await;
    assert_eq!(bobs[0]["unread"], 2);
    assert_eq!(bobs[0]["last_message"]["body"], "two");
    assert_eq!(bobs[0]["title"], "ADA");
    let adas = app.conversations(&ada).await;
    assert_eq!(adas[0]["unread"], 0);

    let read = app
        .post(
            "/api/mark_read",
            &[("conversation", &conversation)],
            Some(&bob),
        )
        .await;
    assert!(read.status.is_success(), "{}", read.text);
    let bobs = app.conversations(&bob).await;
    assert_eq!(bobs[0]["unread"], 0);
}
