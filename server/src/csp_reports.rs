//! `POST /api/csp-reports`: where browsers report what the
//! Content-Security-Policy blocked. Each report is one log line (fields
//! escaped, cut short), so a page that breaks under the policy shows in the
//! log; the end-to-end tests fail on any.

use axum::body::Bytes;
use axum::http::StatusCode;

/// How much of each reported field is logged.
const MAX_FIELD_CHARS: usize = 200;

pub async fn report(body: Bytes) -> StatusCode {
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let field = |name: &str| -> String {
        report["csp-report"][name]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(MAX_FIELD_CHARS)
            .collect()
    };
    tracing::warn!(
        directive = ?field("violated-directive"),
        blocked = ?field("blocked-uri"),
        page = ?field("document-uri"),
        "CSP violation"
    );
    StatusCode::NO_CONTENT
}
