//! Pages as signed-out and signed-in visitors get them: signed-out pages
//! are rendered once for everyone for a moment (`server::page_cache`), and
//! must still be safe, fresh and never anyone's own page.

use crate::support::TestApp;
use axum::http::{header, StatusCode};
use std::io::Read;
use std::time::{Duration, Instant};

#[tokio::test]
async fn every_signed_out_visitor_gets_the_page_under_a_nonce_of_its_own() {
    let app = TestApp::new().await;
    let first = app.get("/", None).await;
    let second = app.get("/", None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK);
    let (first_nonce, second_nonce) = (first.policy_nonce(), second.policy_nonce());
    assert_ne!(first_nonce, second_nonce);
    for (reply, nonce, other) in [
        (&first, &first_nonce, &second_nonce),
        (&second, &second_nonce, &first_nonce),
    ] {
        // Every script runs under the policy's nonce; no other nonce shows.
        let scripts: Vec<&str> = reply.text.split("<script").skip(1).collect();
        assert!(scripts.len() >= 2, "{}", reply.text);
        for script in scripts {
            let tag = &script[..script.find('>').unwrap()];
            assert!(tag.contains(&format!(" nonce=\"{nonce}\"")), "{tag}");
        }
        assert!(!reply.text.contains(other.as_str()));
        assert!(reply.text.contains("Day 1 keynote: Offline is a feature"));
    }
    assert_eq!(
        first.text.replace(&first_nonce, "N"),
        second.text.replace(&second_nonce, "N")
    );
    assert!(first.session_cookie().is_none());
}

#[tokio::test]
async fn a_browser_taking_gzip_gets_the_same_page_compressed() {
    let app = TestApp::new().await;
    let plain = app.get("/", None).await;
    let gzipped = app
        .get_with("/", &[(header::ACCEPT_ENCODING, "gzip, deflate, br")])
        .await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.headers[header::CONTENT_ENCODING], "gzip");
    assert!(gzipped.bytes.len() * 3 < plain.bytes.len());
    let mut page = String::new();
    flate2::read::GzDecoder::new(&gzipped.bytes[..])
        .read_to_string(&mut page)
        .unwrap();
    let nonce = gzipped.policy_nonce();
    assert!(page.contains(&format!("<script nonce=\"{nonce}\"")));
    assert_eq!(
        page.replace(&nonce, "N"),
        plain.text.replace(&plain.policy_nonce(), "N")
    );
}

#[tokio::test]
async fn a_signed_in_visitor_never_gets_the_signed_out_page() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let saved = app
        .post(
            "/api/set_bookmark",
            &[("session", "1"), ("bookmarked", "true")],
            Some(&ada),
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.text);
    let bookmarked = r#"\"bookmarked\":true"#;
    let signed_out = app.get("/", None).await;
    assert!(!signed_out.text.contains(bookmarked));
    let adas = app.get("/", Some(&ada)).await;
    assert_eq!(adas.status, StatusCode::OK);
    assert!(adas.text.contains(bookmarked), "{}", adas.text);
    assert!(!app.get("/", None).await.text.contains(bookmarked));
}

#[tokio::test]
async fn a_changed_schedule_reaches_signed_out_visitors_within_seconds() {
    let app = TestApp::new().await;
    assert!(app
        .get("/", None)
        .await
        .text
        .contains("Day 1 keynote: Offline is a feature"));
    app.execute_sql(
        "UPDATE conference_sessions SET title = 'Day 1 keynote: Moved online' WHERE id = 1",
    )
    .await;
    let changed_by = Instant::now() + Duration::from_secs(5);
    while !app
        .get("/", None)
        .await
        .text
        .contains("Day 1 keynote: Moved online")
    {
        assert!(
            Instant::now() < changed_by,
            "the old schedule is still served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_missing_page_stays_missing_for_every_signed_out_visitor() {
    let app = TestApp::new().await;
    for _ in 0..2 {
        let missing = app.get("/sessions/99999", None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(!missing.policy_nonce().is_empty());
    }
}
