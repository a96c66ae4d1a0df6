//! A black-box client for the whole router, on a throw-away database.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use mozi_db::testing::ScratchDatabase;
use serde_json::Value;
use server::{Config, SESSION_COOKIE};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tower::ServiceExt;

/// One test app at a time. Each test runs on its own runtime, and Leptos's
/// server rendering keeps process-wide state: two tests rendering pages at
/// once on two runtimes sometimes never finish (4 runs in 25 hung in
/// parallel, none in 25 one at a time). The server itself has one runtime.
static ONE_AT_A_TIME: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));

/// A request that gets no answer in this time fails its test instead of
/// stalling the run.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// The test site's one stylesheet, long enough to be worth compressing.
pub const STYLESHEET: &str = "body { margin: 0 }\n.card { padding: 1rem }\n\
    .card h2 { margin: 0 0 .5rem }\n.card p { color: #333 }\n\
    .card .meta { font-size: .875rem }\n";

pub struct TestApp {
    pub router: Router,
    /// Set to see the server as one that is shutting down.
    pub draining: server::Draining,
    /// The test's database, for what only another program would do to it.
    pub database: ScratchDatabase,
    site: PathBuf,
    _dir: tempfile::TempDir,
    _turn: OwnedMutexGuard<()>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    /// The session cookie this reply sets, as `name=value`.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|cookie| cookie.starts_with(&format!("{SESSION_COOKIE}=")))
            .and_then(|cookie| cookie.split(';').next())
            .map(str::to_owned)
    }

    /// The nonce this reply's Content-Security-Policy lets scripts run with.
    pub fn policy_nonce(&self) -> String {
        self.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_owned()
    }

    pub fn set_cookie_header(&self) -> String {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// The whole app on `database_url`, serving the site folder `site`.
async fn build(site: &Path, database_url: &str, draining: server::Draining) -> Router {
    let config = Config {
        leptos_options: LeptosOptions::builder()
            .output_name("mozi")
            .site_root(site.display().to_string())
            .build(),
        database_url: database_url.to_owned(),
        secure_transport: true,
        watch_site: false,
        // Shared by every test: each would otherwise compress the
        // worker's (debug, megabytes) wasm again at the best level.
        precompressed_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("precompressed")),
    };
    server::build(&config, draining).await.expect("app builds")
}

impl TestApp {
    /// On the backend `MOZI_TEST_POSTGRES_URL` chooses.
    pub async fn new() -> Self {
        Self::on(ScratchDatabase::new().await).await
    }

    pub async fn on(database: ScratchDatabase) -> Self {
        let turn = Arc::clone(&ONE_AT_A_TIME).lock_owned().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).expect("site folder");
        std::fs::write(site.join("pkg/mozi.css"), STYLESHEET).expect("a shell file");
        let draining = server::Draining::default();
        let router = build(&site, &database.url, draining.clone()).await;
        Self {
            router,
            draining,
            database,
            site,
            _dir: dir,
            _turn: turn,
        }
    }

    /// A second server of the same build on the same database, as behind
    /// a load balancer.
    pub async fn another_server(&self) -> Router {
        build(&self.site, &self.database.url, server::Draining::default()).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let uri = request.uri().clone();
        let answer = async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("router answers");
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("body reads")
                .to_bytes();
            Reply {
                status,
                headers,
                text: String::from_utf8_lossy(&bytes).into_owned(),
                bytes: bytes.to_vec(),
            }
        };
        tokio::time::timeout(ANSWER_WITHIN, answer)
            .await
            .unwrap_or_else(|_| panic!("{uri}: no answer within {ANSWER_WITHIN:?}"))
    }

    /// POSTs a form to a server function, as the Leptos client does.
    pub async fn post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let body = serde_urlencoded::to_string(form).expect("form encodes");
        self.post_raw(path, body, cookie).await
    }

    pub async fn post_raw(&self, path: &str, body: String, cookie: Option<&str>) -> Reply {
        let mut request = Request::post(path)
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).expect("request builds"))
            .await
    }

    /// POSTs a JSON mutation batch, as the device outbox does.
    pub async fn mutate(&self, cookie: Option<&str>, body: String) -> Reply {
        self.post_json("/api/mutations", cookie, body).await
    }

    /// POSTs a JSON body, as the device does for batches and view reports.
    pub async fn post_json(&self, path: &str, cookie: Option<&str>, body: String) -> Reply {
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).expect("request builds"))
            .await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request builds"))
            .await
    }

    /// A GET with the given request headers, as a browser sends them.
    pub async fn get_with(&self, path: &str, headers: &[(header::HeaderName, &str)]) -> Reply {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        self.send(request.body(Body::empty()).expect("request builds"))
            .await
    }

    /// Runs `sql` on the test's database behind the server's back, as an
    /// operator or another program would.
    pub async fn execute_sql(&self, sql: &str) {
        if self.database.is_postgres() {
            let pool = sqlx::PgPool::connect(&self.database.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::SqlitePool::connect(&self.database.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    }

    /// The first page of the conversations of `cookie`'s user.
    pub async fn conversations(&self, cookie: &str) -> Value {
        self.get("/api/conversations", Some(cookie)).await.json()["conversations"].clone()
    }

    /// The id of the user signed in with `cookie`.
    pub async fn user_id(&self, cookie: &str) -> i64 {
        self.get("/api/current_user", Some(cookie)).await.json()["id"]
            .as_i64()
            .expect("signed in")
    }

    /// Creates an account and returns its session cookie.
    pub async fn sign_up(&self, username: &str) -> String {
        let reply = self
            .post(
                "/api/sign_up",
                &[
                    ("username", username),
                    ("display_name", &username.to_uppercase()),
                    ("password", "correct horse"),
                ],
                None,
            )
            .await;
        assert!(
            reply.status.is_success(),
            "{}: {}",
            reply.status,
            reply.text
        );
        reply
            .session_cookie()
            .expect("sign-up sets the session cookie")
    }

    /// Starts a conversation from `cookie`'s user and returns its id.
    pub async fn start_conversation(&self, cookie: &str, usernames: &str) -> String {
        let reply = self
            .post(
                "/api/start_conversation",
                &[("usernames", usernames)],
                Some(cookie),
            )
            .await;
        assert!(
            reply.status.is_success(),
            "{}: {}",
            reply.status,
            reply.text
        );
        reply.json().as_str().expect("an id").to_owned()
    }

    pub async fn send_message(
        &self,
        cookie: &str,
        conversation: &str,
        id: &str,
        body: &str,
    ) -> Reply {
        self.post(
            "/api/send_message",
            &[("conversation", conversation), ("id", id), ("body", body)],
            Some(cookie),
        )
        .await
    }
}
