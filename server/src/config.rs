use crate::StartError;
use leptos::prelude::LeptosOptions;
use std::path::PathBuf;

/// Where the database lives unless `DATABASE_URL` says otherwise.
const DEFAULT_DATA_DIR: &str = "mozi-data";

pub struct Config {
    /// Site root, output name and address, from cargo-leptos's `LEPTOS_*` settings.
    pub leptos_options: LeptosOptions,
    /// `DATABASE_URL`, default `sqlite://<MOZI_DATA_DIR>/mozi.db`.
    pub database_url: String,
    /// Served over HTTPS, as in production: session cookies are `Secure`
    /// and responses carry HSTS. `MOZI_INSECURE_HTTP=1` turns this off for
    /// plain-HTTP local development (`scripts/run` sets it).
    pub secure_transport: bool,
    /// Files under the site root change while the server runs (`cargo
    /// leptos watch`): read them per request, compress none, and let each
    /// new service worker take over at once. Debug builds only.
    pub watch_site: bool,
    /// `MOZI_PRECOMPRESSED_DIR`: where compressed copies of the static files
    /// are kept, by content hash; unset, beside the site folder.
    pub precompressed_dir: Option<PathBuf>,
}

impl Config {
    pub async fn from_env() -> Result<Self, StartError> {
        let leptos_options = leptos::config::get_configuration(None)
            .map_err(|error| StartError::Config(error.to_string()))?
            .leptos_options;
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                let dir = PathBuf::from(
                    std::env::var("MOZI_DATA_DIR").unwrap_or_else(|_| DEFAULT_DATA_DIR.into()),
                );
                tokio::fs::create_dir_all(&dir).await?;
                format!("sqlite://{}", dir.join("mozi.db").display())
            }
        };
        let secure_transport = !std::env::var("MOZI_INSECURE_HTTP").is_ok_and(|value| value == "1");
        Ok(Self {
            leptos_options,
            database_url,
            secure_transport,
            watch_site: cfg!(debug_assertions),
            precompressed_dir: std::env::var_os("MOZI_PRECOMPRESSED_DIR").map(PathBuf::from),
        })
    }
}
