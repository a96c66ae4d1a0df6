//! Black-box tests of the HTTP API through the axum router (`oneshot`),
//! each on its own temporary SQLite database.

mod accounts;
mod health;
mod live;
mod outbox;
mod pages;
mod privacy;
mod security;
mod static_files;
mod support;
mod validation;
