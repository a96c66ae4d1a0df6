use crate::support::TestApp;
use axum::http::{header, StatusCode};

#[tokio::test]
async fn sign_up_signs_in_with_an_http_only_lax_cookie() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            "/api/sign_up",
            &[
                ("username", "Ada"),
                ("display_name", "Ada L."),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let set_cookie = reply.set_cookie_header();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age="), "{set_cookie}");
    let cookie = reply.session_cookie().unwrap();

    let me = app.get("/api/current_user", Some(&cookie)).await.json();
    assert_eq!(me["username"], "ada");
    assert_eq!(me["display_name"], "Ada L.");
    let nobody = app.get("/api/current_user", None).await;
    assert_eq!(nobody.json(), serde_json::Value::Null);
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_sign_out_ends_it() {
    let app = TestApp::new().await;
    let first = app.sign_up("ada").await;
    let reply = app
        .post(
            "/api/sign_in",
            &[
                ("username", "ada"),
                ("password", "correct horse"),
                ("next", "/messages"),
            ],
            Some(&first),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    assert_eq!(reply.headers[header::LOCATION], "/messages");
    let second = reply.session_cookie().expect("a new cookie");
    assert_ne!(first, second, "sign-in must not keep the old session id");

    let out = app.post("/api/sign_out", &[], Some(&second)).await;
    assert!(out.status.is_success(), "{}", out.text);
    let after = app.get("/api/current_user", Some(&second)).await;
    assert_eq!(after.json(), serde_json::Value::Null);
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_a_session() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    for (username, password) in [("ada", "wrong password"), ("nobody", "correct horse")] {
        let reply = app
            .post(
                "/api/sign_in",
                &[("username", username), ("password", password)],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["code"], "unauthorized");
        assert_eq!(reply.json()["message"], "Wrong username or password.");
        assert_eq!(reply.session_cookie(), None);
    }
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_and_keeps_the_first_account() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let reply = app
        .post(
            "/api/sign_up",
            &[
                ("username", "ADA"),
                ("display_name", "Impostor"),
                ("password", "another pass"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.json()["message"].as_str().unwrap().contains("taken"));
    let original = app
        .post(
            "/api/sign_in",
            &[("username", "ada"), ("password", "correct horse")],
            None,
        )
        .await;
    assert!(original.status.is_success());
}

#[tokio::test]
async fn personal_pages_send_signed_out_visitors_to_sign_in_and_back() {
    let app = TestApp::new().await;
    for path in [
        "/my-schedule",
        "/messages",
        "/messages/67e55044-10b1-426f-9247-bb680e5fe0c8",
    ] {
        let reply = app.get(path, None).await;
        assert!(reply.status.is_redirection(), "{path}: {}", reply.status);
        assert_eq!(
            reply.headers[header::LOCATION],
            format!("/login?next={path}")
        );
    }
    let cookie = app.sign_up("ada").await;
    let page = app.get("/my-schedule", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("My schedule"));
}

#[tokio::test]
async fn pages_render_on_the_server_with_their_data() {
    let app = TestApp::new().await;
    let home = app.get("/?day=2", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text.contains("Thursday 11 June"));
    assert!(home.text.contains("Day 2 keynote"));
    assert!(home.text.contains("/pkg/mozi.css"));

    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("Page not found"));

    let unknown_session = app.get("/sessions/99999", None).await;
    assert_eq!(unknown_session.status, StatusCode::NOT_FOUND);
    assert!(unknown_session.text.contains("There is no session 99999."));
}
