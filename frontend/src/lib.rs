//! Hydrates the page the server rendered; everything else lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The page's own code first (a download on a first visit, the service
    // worker's cache after), then hydration in one go.
    wasm_bindgen_futures::spawn_local(async {
        app::load_current_page().await;
        leptos::mount::hydrate_body(app::App);
    });
}
