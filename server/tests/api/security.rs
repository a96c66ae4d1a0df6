//! What a hostile visitor tries: forged cross-site changes, markup in names
//! and messages, guessing passwords, flooding, and streams that outlive
//! their session.

use crate::support::TestApp;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

const EVIL: &str = "https://evil.example";
const HOSTILE_NAME: &str = "</title><img src=x onerror=alert(document.domain)>";
const HOSTILE_BODY: &str = "<script>alert('body')</script><img src=x onerror=alert(2)>";

/// Every route that changes something: every server function that is not a
/// read, and the API routes.
fn state_changing_routes() -> Vec<String> {
    let mut routes: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method != Method::GET)
        .map(|(path, _)| path.to_owned())
        .collect();
    routes.extend(["/api/mutations".into(), "/api/views".into()]);
    routes.sort();
    routes
}

#[tokio::test]
async fn a_cross_site_post_is_refused_on_every_route_and_changes_nothing() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("bob").await;
    let conversation = app.start_conversation(&ada, "bob").await;
    let routes = state_changing_routes();
    for expected in [
        "/api/sign_in",
        "/api/sign_out",
        "/api/send_message",
        "/api/set_bookmark",
    ] {
        assert!(routes.iter().any(|route| route == expected), "{routes:?}");
    }
    let form = format!(
        "conversation={conversation}&id=5d0c7a58-0000-4000-8000-00000000e111&body=forged\
         &session=1&bookmarked=true&usernames=bob&username=eve&display_name=Eve\
         &password=correct+horse"
    );
    for route in &routes {
        // What a browser sends for a form on another site, and for a
        // fetch() with a "simple" content type from another site.
        for (site_header, content_type) in [
            (Some("cross-site"), "application/x-www-form-urlencoded"),
            (None, "text/plain"),
        ] {
            let mut request = Request::post(route.as_str())
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ORIGIN, EVIL)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::COOKIE, &ada);
            if let Some(site) = site_header {
                request = request.header("sec-fetch-site", site);
            }
            let reply = app
                .send(request.body(Body::from(form.clone())).unwrap())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{route}: {}",
                reply.text
            );
            assert_eq!(reply.json()["code"], "forbidden", "{route}");
        }
    }
    assert!(app.thread_bodies(&ada, &conversation).await.is_empty());
    assert_eq!(
        app.get("/api/my_schedule", Some(&ada)).await.json(),
        serde_json::json!([])
    );
    assert_eq!(app.conversations(&ada).await.as_array().unwrap().len(), 1);
    assert_eq!(app.user_id(&ada).await, 1, "still signed in");
    let eve = app
        .post(
            "/api/sign_in",
            &[("username", "eve"), ("password", "correct horse")],
            None,
        )
        .await;
    assert_eq!(eve.status, StatusCode::UNAUTHORIZED, "no account was made");
}

#[tokio::test]
async fn a_plain_form_from_our_own_page_still_works_and_returns_to_it() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let request = Request::post("/api/set_bookmark")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://127.0.0.1:3000/sessions/4")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &ada)
        .body(Body::from("session=4&bookmarked=true"))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    assert_eq!(reply.headers[header::LOCATION], "/sessions/4");
    let mine = app.get("/api/my_schedule", Some(&ada)).await.json();
    assert_eq!(mine[0]["id"], 4);

    // A Referer naming another server is not followed.
    let request = Request::post("/api/set_bookmark")
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "https://evil.example/phish")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &ada)
        .body(Body::from("session=4&bookmarked=false"))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.headers[header::LOCATION], "/phish");
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_personal_answers_are_not_stored() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let page = app.get("/", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = page.policy_nonce();
    assert!(
        page.text.contains(&format!("nonce=\"{nonce}\"")),
        "the inline scripts carry the policy's nonce"
    );
    let again = app.get("/", Some(&ada)).await;
    assert!(
        !again.text.contains(&format!("nonce=\"{nonce}\"")),
        "a nonce is used once"
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "private, no-store"),
    ] {
        assert_eq!(page.headers[name], value, "{name}");
    }
    assert!(page.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    assert!(
        page.set_cookie_header().is_empty(),
        "no cookie is set again on a plain read"
    );
    let read = app.get("/api/my_schedule", Some(&ada)).await;
    assert_eq!(read.headers[header::CACHE_CONTROL], "private, no-store");
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing
        .headers
        .contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn sign_up_cookies_are_secure_by_default() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            "/api/sign_up",
            &[
                ("username", "ada"),
                ("display_name", "Ada"),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    let cookie = reply.set_cookie_header();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
}

#[tokio::test]
async fn names_and_messages_people_typed_never_become_markup() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            "/api/sign_up",
            &[
                ("username", "mallory"),
                ("display_name", HOSTILE_NAME),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let mallory = reply.session_cookie().unwrap();
    let victim = app.sign_up("victim").await;
    let conversation = app.start_conversation(&mallory, "victim").await;
    let sent = app
        .send_message(
            &mallory,
            &conversation,
            "5d0c7a58-0000-4000-8000-0000000000b1",
            HOSTILE_BODY,
        )
        .await;
    assert!(sent.status.is_success(), "{}", sent.text);
    let hostile_next = "/login?next=%22%3E%3Cscript%3Ealert(3)%3C/script%3E";
    let pages = [
        "/".to_owned(),
        "/sessions/1".to_owned(),
        "/my-schedule".to_owned(),
        "/messages".to_owned(),
        format!("/messages/{conversation}"),
        hostile_next.to_owned(),
        "/signup?next=%22%3E%3Cimg%20src=x%3E".to_owned(),
    ];
    for cookie in [&victim, &mallory] {
        for path in &pages {
            let page = app.get(path, Some(cookie)).await;
            assert!(page.status.is_success(), "{path}: {}", page.status);
            for live in ["<img src=x", "<script>alert", "</title><img"] {
                assert!(!page.text.contains(live), "{path} has live markup {live:?}");
            }
        }
    }
    let thread = app
        .get(&format!("/messages/{conversation}"), Some(&victim))
        .await
        .text;
    assert!(
        thread.contains(
            "<title>&lt;/title&gt;&lt;img src=x onerror=alert(document.domain)&gt; · MOZI</title>"
        ),
        "the title shows the name as text"
    );
    assert!(
        thread.contains("&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;")
            || thread.contains("&lt;script&gt;alert('body')&lt;/script&gt;")
    );
}

#[tokio::test]
async fn guessing_passwords_is_slowed_per_account_with_a_time_to_come_back() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let app = &app;
    let guess = |username: &'static str, password: &'static str| async move {
        app.post(
            "/api/sign_in",
            &[("username", username), ("password", password)],
            None,
        )
        .await
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(guess("ada", "wrong guess").await.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let limited = guess("ada", "correct horse").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["code"], "rate_limited");
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
    // Unknown names are answered like wrong passwords.
    let unknown = guess("nobody_here", "wrong guess").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let known = app
        .post(
            "/api/sign_in",
            &[("username", "bob_is_new"), ("password", "x")],
            None,
        )
        .await;
    assert_eq!(unknown.text, known.text);
}

#[tokio::test]
async fn a_taken_name_is_refused_before_any_password_work() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let again = app
        .post(
            "/api/sign_up",
            &[
                ("username", "ada"),
                ("display_name", "Other"),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let long = "x".repeat(5_000);
    let invalid = app
        .post(
            "/api/sign_up",
            &[
                ("username", long.as_str()),
                ("display_name", "X"),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.text.len() < 200, "the name is not echoed back");
}

#[tokio::test]
async fn starting_conversations_is_limited_and_a_one_to_one_is_reused_on_every_path() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("bob").await;
    let user = app.user_id(&ada).await;
    let by_form = app.start_conversation(&ada, "bob").await;
    let item = |n: usize| {
        serde_json::json!({
            "key": format!("7c9e6679-7425-40de-944b-{n:012}"),
            "mutation": {
                "kind": "start_conversation",
                "conversation": format!("5d0c7a58-0000-4000-8000-{n:012}"),
                "usernames": "bob",
            }
        })
    };
    let batch =
        serde_json::json!({ "user": user, "items": (1..=25).map(item).collect::<Vec<_>>() });
    let reply = app.mutate(Some(&ada), batch.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let results = reply.json()["results"].as_array().unwrap().clone();
    let applied: Vec<_> = results.iter().filter(|r| r["status"] == 200).collect();
    let limited: Vec<_> = results.iter().filter(|r| r["status"] == 429).collect();
    // 20 a burst, one of them already spent by the form.
    assert_eq!(applied.len(), 19, "{results:?}");
    assert_eq!(limited.len(), 6);
    assert!(limited[0]["failed"]["retry_after_secs"].as_u64().unwrap() >= 1);
    for result in applied {
        assert_eq!(
            result["applied"]["conversation"].as_str().unwrap(),
            by_form,
            "the existing 1:1 conversation"
        );
    }
    assert_eq!(app.conversations(&ada).await.as_array().unwrap().len(), 1);
    let again = app
        .post(
            "/api/start_conversation",
            &[("usernames", "bob")],
            Some(&ada),
        )
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(again.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn lists_are_paged_and_a_bad_page_position_is_a_clear_error() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bad = app.get("/api/conversations?before=junk", Some(&ada)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let list = app.get("/api/conversations", Some(&ada)).await.json();
    assert_eq!(list["older"], serde_json::Value::Null);
}

#[tokio::test]
async fn view_reports_need_a_session_and_are_bounded() {
    let app = TestApp::new().await;
    let report = |views: usize, path: &str| {
        serde_json::json!({
            "views": (0..views).map(|_| serde_json::json!({"path": path, "ago_ms": 5})).collect::<Vec<_>>(),
            "dropped": 0
        })
        .to_string()
    };
    let anonymous = app.post_json("/api/views", None, report(1, "/")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let ada = app.sign_up("ada").await;
    let fine = app
        .post_json("/api/views", Some(&ada), report(2, "/\nforged log line"))
        .await;
    assert_eq!(fine.status, StatusCode::NO_CONTENT);
    let too_many = app
        .post_json("/api/views", Some(&ada), report(201, "/"))
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn signing_out_ends_the_live_stream_and_clears_the_browser_cache() {
    let app = TestApp::new().await;
    let bob = app.sign_up("bob").await;
    let stream = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/events")
                .header(header::COOKIE, &bob)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut body = stream.into_body();
    let out = app.post("/api/sign_out", &[], Some(&bob)).await;
    assert!(out.status.is_success(), "{}", out.text);
    assert_eq!(out.headers["clear-site-data"], "\"cache\"");
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match body.frame().await {
                None => break,
                Some(Ok(_keep_alive)) => continue,
                Some(Err(error)) => panic!("{error}"),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ended with the session");
    let anonymous = app.get("/api/events", Some(&bob)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
