//! MOZI's service worker, in Rust.
//!
//! `bootstrap.js` adds every listener at the script's first evaluation (as
//! browsers require) and hands each event to the functions exported here
//! once the wasm (a precached file named by its hash) is instantiated.
//!
//! Modules by concern, as Workbox splits its packages: `precache`,
//! `routing`, `strategies`, `expiration`, `navigation_preload`, `messages`,
//! `refresh` (saved copies made again by a new version); `url` and
//! `offline_page` hold pure logic that `cargo test` reaches. Replaying the
//! device outbox is a module of its own (`outbox/`, a second wasm), loaded
//! by the bootstrap only when there may be something to send.

mod caches;
mod error;
mod expiration;
mod messages;
mod navigation_preload;
mod offline_page;
mod precache;
mod refresh;
mod respond;
mod routing;
mod scope;
mod state;
mod store;
mod strategies;
mod url;

use mozi_core::{PageToWorker, WorkerToPage};
use scope::{resolve, scope};
use state::WorkerState;
use wasm_bindgen::prelude::*;
use web_sys::{Client, ExtendableMessageEvent, FetchEvent, Request, Response};

/// Called once per worker instance with the generated configuration.
#[wasm_bindgen]
pub fn start(config: JsValue) -> Result<(), JsValue> {
    WorkerState::set(WorkerState::parse(&config)?);
    Ok(())
}

#[wasm_bindgen]
pub async fn install() -> Result<(), JsValue> {
    let state = WorkerState::get()?;
    let report = precache::install(&state.version, &state.entries()).await?;
    web_sys::console::info_1(
        &format!(
            "MOZI {}: precache ready, {} downloaded, {} reused",
            state.version, report.downloaded, report.reused
        )
        .into(),
    );
    if state.dev {
        resolve(scope().skip_waiting()?, error::code::NOT_STARTED).await?;
    }
    Ok(())
}

#[wasm_bindgen]
pub async fn activate() -> Result<(), JsValue> {
    let state = WorkerState::get()?;
    precache::remove_other_versions(&state.version).await?;
    navigation_preload::enable().await;
    if state.dev {
        resolve(scope().clients().claim(), error::code::NOT_STARTED).await?;
    }
    // Not awaited: the pages reloading into this version wait for
    // activation to finish before their own requests are answered.
    wasm_bindgen_futures::spawn_local(async move {
        match refresh::saved_copies().await {
            Ok(report) => web_sys::console::info_1(
                &format!(
                    "MOZI {}: saved copies refreshed {}, kept {}",
                    state.version, report.refreshed, report.kept
                )
                .into(),
            ),
            Err(error) => web_sys::console::warn_1(&JsValue::from(error)),
        }
    });
    Ok(())
}

/// Synchronous routing decision: `false` leaves the request to the browser.
#[wasm_bindgen]
pub fn handles(request: Request) -> bool {
    WorkerState::get().is_ok_and(|state| respond::handles(&request, &state))
}

#[wasm_bindgen]
pub async fn respond(event: FetchEvent) -> Result<Response, JsValue> {
    let state = WorkerState::get()?;
    Ok(respond::respond(event, &state).await)
}

/// The bootstrap answered `event`, a navigation, with its preload response
/// while this module was not running yet; `copy` is a clone of it.
#[wasm_bindgen]
pub fn navigation_answered(event: FetchEvent, copy: Response) {
    respond::navigation_answered(&event, copy);
}

#[wasm_bindgen]
pub async fn on_message(event: ExtendableMessageEvent) -> Result<(), JsValue> {
    let state = WorkerState::get()?;
    match PageToWorker::from_js(&event.data()) {
        Some(PageToWorker::SkipWaiting) => {
            // In the log a test keeps: a page asked this version to take over.
            web_sys::console::info_1(&format!("MOZI {}: asked to take over", state.version).into());
            resolve(scope().skip_waiting()?, error::code::NOT_STARTED).await?;
        }
        Some(PageToWorker::ClearUserData) => respond::clear_user_data().await,
        Some(PageToWorker::GetVersion) => {
            if let Some(client) = event
                .source()
                .and_then(|source| source.dyn_into::<Client>().ok())
            {
                let reply = WorkerToPage::Version {
                    version: state.version.clone(),
                };
                client.post_message(&reply.to_js())?;
            }
        }
        None => {}
    }
    Ok(())
}
