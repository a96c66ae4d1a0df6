//! MOZI's server: configuration, the axum router around the Leptos app,
//! sessions, live updates and graceful shutdown.

mod compression;
mod config;
mod csp_reports;
mod error_status;
mod events;
mod health;
mod mutations;
mod page_cache;
mod release_rewrites;
mod security;
mod service_worker;
mod sign_in_gate;
mod site;
mod speaker_photos;
mod static_files;
mod views;

use app::backend::{AppState, Limits, LiveHub};
use app::{shell, App};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use mozi_db::Db;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};
use tracing::Level;

pub use config::Config;
pub use health::Draining;

/// The largest request body accepted, but for mutation batches. A
/// 4,000-character message is at most 16 KB of UTF-8, a little more once
/// form-encoded.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest CSP violation report read; a real one is well under 2 KB.
const MAX_CSP_REPORT_BYTES: usize = 8 * 1024;

/// How long a session lasts without being used (it also ends 30 days after
/// sign-in, however much it is used: `app::backend::SignedIn`).
const SESSION_IDLE_DAYS: i64 = 14;

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "mozi_session";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("session store: {0}")]
    Sessions(#[from] tower_sessions::session_store::Error),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// Logs go to stdout through a background thread: a request never waits
/// for a slow terminal or pipe. Under a flood the queue drops lines rather
/// than stalling requests, and says how many. Keep the guard for the
/// program's life; dropping it flushes what is queued.
pub fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let (writer, guard) = tracing_appender::non_blocking(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .init();
    guard
}

/// Builds the whole application: opens the database and session store and
/// returns the router, whose `/readyz` fails once `draining` is started.
/// Tests call this with a temporary database.
pub async fn build(config: &Config, draining: Draining) -> Result<Router, StartError> {
    let db = Db::connect(&config.database_url).await?;
    tracing::info!(backend = db.backend_name(), "database open");
    app::backend::prepare_password_checks().await;
    let limits = Arc::new(Limits::default());
    tokio::spawn(Arc::clone(&limits).forget_idle_keys(db.clone()));
    let live = LiveHub::new(db.clone());
    tokio::spawn(live.clone().prune_old_events());
    tokio::spawn(live.clone().follow_other_servers());
    let state = AppState {
        leptos_options: config.leptos_options.clone(),
        db: db.clone(),
        live,
        limits,
    };
    let transport = security::Transport {
        secure: config.secure_transport,
        // The reload script connects to the page's own host on this port.
        live_reload: config
            .watch_site
            .then(|| format!("ws://*:{}", config.leptos_options.reload_port).into()),
    };
    let site = site::Site::open(
        PathBuf::from(config.leptos_options.site_root.as_ref()),
        config.watch_site,
        config.precompressed_dir.clone(),
        format!(
            "/{}/{}.wasm",
            config.leptos_options.site_pkg_dir, config.leptos_options.output_name
        ),
    )
    .await?;
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::default(),
            page_cache::serve,
        ));
    let router = Router::new()
        .route("/healthz", axum::routing::get(health::healthz))
        .route(
            "/readyz",
            axum::routing::get({
                let db = state.db.clone();
                move || health::readyz(db.clone(), draining.clone())
            }),
        )
        .route("/api/events", axum::routing::get(events::stream))
        .route("/api/views", axum::routing::post(views::report))
        .route(
            "/api/csp-reports",
            axum::routing::post(csp_reports::report)
                .layer(RequestBodyLimitLayer::new(MAX_CSP_REPORT_BYTES)),
        )
        .route(
            "/images/speakers/{file}",
            axum::routing::get(speaker_photos::photo),
        )
        .merge(pages)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Added after the general limit, so only its own, larger one applies.
        .route(
            "/api/mutations",
            axum::routing::post(mutations::apply_batch)
                .layer(RequestBodyLimitLayer::new(mutations::MAX_BATCH_BYTES)),
        )
        // The site's files and /sw.js, else the app's not-found page.
        .fallback(move |state, request| site.clone().serve(state, request))
        .with_state(state)
        .layer(axum::middleware::from_fn(
            error_status::status_from_app_error,
        ))
        .layer(axum::middleware::from_fn(sign_in_gate::redirect_signed_out));
    // Sessions live in the app's database, whichever it is, so any server
    // can serve any request.
    let router = match &db {
        Db::Sqlite(sqlite) => {
            let store = SqliteStore::new(sqlite.pool().clone());
            store.migrate().await?;
            with_sessions(router, store, config)
        }
        Db::Postgres(postgres) => {
            let store = PostgresStore::new(postgres.pool().clone());
            store.migrate().await?;
            with_sessions(router, store, config)
        }
    };
    let router = router
        // Before sessions: a refused cross-site request touches nothing.
        .layer(axum::middleware::from_fn(security::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            transport,
            security::security_headers,
        ))
        // Dynamic answers only: static files come compressed at the best
        // levels already (`static_files`), and are told apart by their ETag.
        // The fastest level: at the default one, brotli's hash tables (made
        // and zeroed per response) were a fifth of the CPU time of `GET /`,
        // for pages a few percent smaller.
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(
                    |_: axum::http::StatusCode,
                     _: axum::http::Version,
                     headers: &axum::http::HeaderMap,
                     _: &axum::http::Extensions| {
                        !headers.contains_key(axum::http::header::ETAG)
                    },
                )),
        )
        // One INFO line per request with its path and status: the request
        // log operators (and the update tests) read.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    Ok(router)
}

/// The session layer over `store`, and the task that deletes expired
/// sessions from it.
fn with_sessions<S>(router: Router, store: S, config: &Config) -> Router
where
    S: SessionStore + ExpiredDeletion + Clone,
{
    tokio::spawn(delete_expired_sessions(store.clone()));
    router.layer(
        SessionManagerLayer::new(store)
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(config.secure_transport)
            .with_expiry(Expiry::OnInactivity(time::Duration::days(
                SESSION_IDLE_DAYS,
            ))),
    )
}

async fn delete_expired_sessions<S: ExpiredDeletion>(store: S) {
    if let Err(error) = store
        .continuously_delete_expired(Duration::from_secs(3600))
        .await
    {
        tracing::error!(%error, "expired-session cleanup stopped");
    }
}

/// Reads the configuration from the environment, serves until SIGINT or
/// SIGTERM, then gives open requests a moment to finish.
pub async fn run() -> Result<(), StartError> {
    let config = Config::from_env().await?;
    let draining = Draining::default();
    let router = build(&config, draining.clone()).await?;
    let address = config.leptos_options.site_addr;
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("MOZI is running at http://{address}");
    println!("MOZI is running at http://{address}");
    // The peer address feeds the per-address rate limits.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Load balancers asking /readyz now take this server out.
        draining.start();
    });
    // Live-update streams never end by themselves, so the drain is capped.
    tokio::select! {
        result = server => result?,
        () = async {
            shutdown_signal().await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        } => tracing::info!("closed the remaining live-update streams"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
