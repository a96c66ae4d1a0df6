//! What a page runs in the background once it is interactive, and which no
//! page needs to render or hydrate: the service worker's registration,
//! messages and updates (`pwa`), the server's live updates (`live`), and
//! forgetting a signed-out user's data on the device (`device_data`).
//! Their code is a module of the split wasm, loaded right after hydration
//! (README, "Split wasm"): every page's first load is that much smaller.
//! The worker precaches the module like every other, so it loads offline;
//! before that, a download that fails is tried again once online.

use crate::components::Auth;
use crate::live::LiveUpdates;
use crate::pwa::WorkerStatus;
use crate::split::SplitLoaderError;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Loads the background's module once the page is hydrated (effects run
/// only then), and starts it under the app's owner, as if the app had
/// started it itself.
pub fn start_after_hydration(worker: WorkerStatus, live: LiveUpdates, auth: Auth) {
    let owner = Owner::current();
    Effect::new(move |_| {
        let owner = owner.clone();
        spawn_local(async move {
            let start = crate::split::until_loaded(|| Box::pin(load_background())).await;
            match owner {
                Some(owner) => owner.with(|| start(worker, live, auth)),
                None => start(worker, live, auth),
            }
        });
    });
}

/// The split point: everything only [`start`] reaches is in the module
/// this loads.
#[leptos::wasm_split::wasm_split(background, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load_background() -> Result<fn(WorkerStatus, LiveUpdates, Auth), SplitLoaderError> {
    Ok(start)
}

fn start(worker: WorkerStatus, live: LiveUpdates, auth: Auth) {
    crate::pwa::start(worker);
    crate::live::follow_signed_in_user(live, auth);
    crate::device_data::forget_on_sign_out(auth);
}
