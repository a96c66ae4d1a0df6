//! Durable message writes per second through the whole server: mutation
//! batches of 100 posted to `/api/mutations` (each message in its own
//! transaction with its idempotency record, WAL, synchronous=NORMAL), and
//! single messages through the `send_message` server function, on a
//! temporary SQLite file. Prints figures; run with `cargo bench -p server`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use serde_json::json;
use std::time::Instant;
use tower::ServiceExt;

const BATCHES: usize = 20;
const SINGLE_MESSAGES: usize = 500;

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), cookie)
}

fn form(path: &str, fields: &[(&str, &str)], cookie: Option<&str>) -> Request<Body> {
    let body = serde_urlencoded::to_string(fields).expect("form encodes");
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).expect("request builds")
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).expect("site folder");
    let config = server::Config {
        leptos_options: LeptosOptions::builder()
            .output_name("mozi")
            .site_root(site.display().to_string())
            .build(),
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        secure_cookies: false,
    };
    let router = server::build(&config).await.expect("app builds");

    let mut cookies = Vec::new();
    for name in ["ada", "bob"] {
        let (status, body, cookie) = send(
            &router,
            form(
                "/api/sign_up",
                &[
                    ("username", name),
                    ("display_name", name),
                    ("password", "correct horse"),
                ],
                None,
            ),
        )
        .await;
        assert!(status.is_success(), "{body}");
        cookies.push(cookie.expect("session cookie"));
    }
    let ada = cookies[0].clone();
    let (_, conversation, _) = send(
        &router,
        form(
            "/api/start_conversation",
            &[("usernames", "bob")],
            Some(&ada),
        ),
    )
    .await;
    let conversation: String = serde_json::from_str(&conversation).expect("an id");

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
        let body = json!({ "items": items }).to_string();
        let request = Request::post("/api/mutations")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &ada)
            .body(Body::from(body))
            .expect("request builds");
        let (status, body, _) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let batched = started.elapsed();

    let started = Instant::now();
    for serial in 0..SINGLE_MESSAGES {
        let id = format!("20000000-0000-4000-8000-{serial:012}");
        let (status, body, _) = send(
            &router,
            form(
                "/api/send_message",
                &[
                    ("conversation", &conversation),
                    ("id", &id),
                    ("body", "single"),
                ],
                Some(&ada),
            ),
        )
        .await;
        assert!(status.is_success(), "{body}");
    }
    let single = started.elapsed();

    let batched_count = BATCHES * 100;
    println!("durable message writes, one SQLite file (WAL, synchronous=NORMAL)");
    println!(
        "  batches of 100 via /api/mutations: {batched_count} messages in {:.2} s = {:.0} writes/s ({} round trips)",
        batched.as_secs_f64(),
        batched_count as f64 / batched.as_secs_f64(),
        BATCHES
    );
    println!(
        "  one per request via send_message:  {SINGLE_MESSAGES} messages in {:.2} s = {:.0} writes/s",
        single.as_secs_f64(),
        SINGLE_MESSAGES as f64 / single.as_secs_f64()
    );
}
