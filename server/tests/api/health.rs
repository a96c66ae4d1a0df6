use crate::support::TestApp;
use axum::http::StatusCode;

#[tokio::test]
async fn a_running_server_is_alive_and_ready() {
    let app = TestApp::new().await;
    let alive = app.get("/healthz", None).await;
    assert_eq!(
        (alive.status, alive.text.as_str()),
        (StatusCode::OK, "alive")
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.text.as_str()),
        (StatusCode::OK, "ready")
    );
    assert_eq!(ready.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn a_server_shutting_down_is_alive_but_not_ready() {
    let app = TestApp::new().await;
    app.draining.start();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text, "shutting down");
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_database_missing_a_migration_is_not_ready() {
    let app = TestApp::new().await;
    // As if an older build had made the database and this one had not
    // migrated it.
    let forget = "DELETE FROM _sqlx_migrations
        WHERE version = (SELECT max(version) FROM _sqlx_migrations)";
    app.execute_sql(forget).await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text, "database migrations are not all applied");
}
