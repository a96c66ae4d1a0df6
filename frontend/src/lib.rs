//! Hydrates the page the server rendered; everything else lives in `app`.

use app::executor::{self, spawn_in_own_task};

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    executor::install();
    // Three browser tasks, each short enough not to hold up input: the
    // wasm's instantiation (this call), loading the page's own code (a
    // download on a first visit, the service worker's cache after), and
    // hydration.
    spawn_in_own_task(Box::pin(async {
        app::load_current_page().await;
        spawn_in_own_task(Box::pin(async {
            leptos::mount::hydrate_body(app::App);
        }));
    }));
}
