//! The site's files and `/sw.js`, served by the router's fallback.

use crate::compression::{CompressionCache, Dictionary};
use crate::release_rewrites::{compact_split_loader, strip_wasm_custom_sections};
use crate::service_worker::{assemble, script_file, WorkerFiles};
use crate::static_files::{content_type, read_site, Asset, Assets, Caching, SiteFile};
use crate::StartError;
use app::backend::AppState;
use app::shell;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use mozi_core::AppError;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone)]
pub enum Site {
    /// A release: every file read, compressed and fingerprinted once, at
    /// start-up.
    Fixed(Arc<Assets>),
    /// `cargo leptos watch`: files change under the running server, so they
    /// are read per request, and each new worker takes over at once. The
    /// worker's files are the ones built into this server.
    Watched {
        site_root: Arc<PathBuf>,
        worker: Arc<WorkerFiles>,
    },
}

impl Site {
    /// `main_module`: the URL path of the app's main wasm module, the other
    /// modules' compression dictionary.
    pub async fn open(
        site_root: PathBuf,
        watched: bool,
        precompressed_dir: Option<PathBuf>,
        main_module: String,
    ) -> Result<Self, StartError> {
        if !site_root.is_dir() {
            return Err(StartError::Config(format!(
                "the site folder {} is missing: build the app first (cargo leptos build)",
                site_root.display()
            )));
        }
        if watched {
            return Ok(Self::Watched {
                site_root: Arc::new(site_root),
                worker: Arc::new(WorkerFiles::built()),
            });
        }
        let assets = tokio::task::spawn_blocking(move || {
            // Only here: a watched site serves its files from disk as they
            // are, and its manifest must hash those bytes.
            let site: Vec<_> = read_site(&site_root)?
                .into_iter()
                .map(compact_split_loader)
                .map(strip_wasm_custom_sections)
                .collect();
            let dictionary = site
                .iter()
                .find(|file| file.url == main_module)
                .map(Dictionary::new);
            if let Some(dictionary) = &dictionary {
                app::set_first_visit_wasm_url(dictionary.first_visit_url());
            }
            let worker = WorkerFiles::built();
            let script = assemble(&site, &worker, false);
            tracing::info!(version = script.version, "service worker assembled");
            let WorkerFiles { wasm, outbox_wasm } = worker;
            let files: Vec<_> = site
                .into_iter()
                .map(|file| (file, Caching::Revalidate))
                .chain([
                    (wasm, Caching::Immutable),
                    (outbox_wasm, Caching::Immutable),
                    (script_file(&script), Caching::Revalidate),
                ])
                .collect();
            let cache = precompressed_dir.map_or_else(
                || CompressionCache::beside(&site_root),
                CompressionCache::in_folder,
            );
            Ok::<_, std::io::Error>(Assets::compress_all(&files, &cache, dictionary.as_ref()))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Self::Fixed(Arc::new(assets)))
    }

    /// A site file, or the app's own answer (its not-found page) for any
    /// other path.
    pub async fn serve(self, State(state): State<AppState>, request: Request) -> Response {
        let readable = matches!(*request.method(), Method::GET | Method::HEAD);
        let path = request.uri().path().to_owned();
        match self {
            Self::Fixed(assets) => {
                if let Some(asset) = assets.get(&path).filter(|_| readable) {
                    return asset.respond(request.headers(), request.uri().query());
                }
            }
            Self::Watched { site_root, worker } if readable => {
                if let Some(file) = worker.all().into_iter().find(|file| file.url == path) {
                    return watched_file(file, Caching::Immutable, &request);
                }
                if path == "/sw.js" {
                    let site = tokio::task::spawn_blocking(move || read_site(&site_root)).await;
                    return match site.map_err(std::io::Error::other).and_then(|read| read) {
                        Ok(site) => {
                            let script = assemble(&site, &worker, true);
                            watched_file(&script_file(&script), Caching::Revalidate, &request)
                        }
                        Err(error) => {
                            tracing::error!(%error, "could not read the site for the service worker");
                            AppError::Internal.into_response()
                        }
                    };
                }
            }
            Self::Watched { .. } => {}
        }
        let uri = request.uri().clone();
        leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, State(state), request).await
    }
}

fn watched_file(file: &SiteFile, caching: Caching, request: &Request) -> Response {
    Asset::uncompressed(file, &content_type(&file.url), caching)
        .respond(request.headers(), request.uri().query())
}
