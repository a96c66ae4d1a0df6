//! MOZI's user interface: one component tree rendered on the server and
//! hydrated in the browser.

mod any_view;
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "hydrate")]
mod background;
mod components;
mod deferred;
#[cfg(feature = "hydrate")]
mod device_data;
mod drafts;
#[cfg(feature = "hydrate")]
pub mod executor;
mod live;
mod outbox;
mod pwa;
mod routes;
#[cfg(feature = "hydrate")]
mod split;
mod view_wrapper;

use components::{OfflineIndicator, SiteHeader, UpdateToast, VersionFooter};
use leptos::prelude::*;
use leptos_meta::MetaTags;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};
#[cfg(feature = "hydrate")]
pub use routes::load_current_page;
pub use routes::{requires_sign_in, sign_in_url};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The same on every page: plain tags of the shell, which the
                // browser's wasm never renders (leptos_meta's components for
                // them were code in every first load).
                <link rel="stylesheet" href="/pkg/mozi.css"/>
                <meta name="description" content="MOZI: the conference schedule and messages that keep working offline."/>
                <meta name="theme-color" content="#1d3557"/>
                <link rel="icon" href="/favicon.ico"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                // Before anything else can be typed into.
                <script nonce=use_nonce()>{drafts::early_script(components::MESSAGE_BOX_ID)}</script>
                <AutoReload options=options.clone()/>
                // Every action works before hydration, through its plain form.
                <Hydration options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Fetches the app's code and hydrates once the page is idle, after its
/// first paint; `timeout` keeps a busy page from waiting for ever. It takes
/// the place of leptos's `HydrationScripts`, whose preload links start the
/// downloads of the wasm and of the page's modules alongside the HTML: even
/// at low priority they shared a slow connection with what the page shows
/// first. A page no service worker controls (a first visit) fetches the
/// main module at its first-visit URL, where the server serves it as the
/// compression dictionary of the page's other modules; under the worker,
/// at the URL the worker precaches. Sent in every page, so kept short.
const HYDRATION_SCRIPT: &str = "((js,wasm,first)=>{const go=()=>import(js).then(app=>app.default({module_or_path:navigator.serviceWorker?.controller?wasm:first}).then(()=>app.hydrate()));\
    \"requestIdleCallback\" in window?requestIdleCallback(go,{timeout:2000}):setTimeout(go,0)})";

/// The main wasm module's URL with its version (`?v=`), which the server
/// serves as a compression dictionary (`server/src/static_files.rs`); set
/// once at start-up, and not at all where files change under the server.
#[cfg(feature = "ssr")]
static FIRST_VISIT_WASM_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the main module's first-visit URL (the first call wins: one site
/// per server).
#[cfg(feature = "ssr")]
pub fn set_first_visit_wasm_url(url: String) {
    let _ = FIRST_VISIT_WASM_URL.set(url);
}

/// The [`HYDRATION_SCRIPT`], called with the app's files.
#[component]
fn Hydration(options: LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    // Without cargo-leptos, wasm-bindgen names the wasm with this suffix.
    let wasm_suffix = option_env!("LEPTOS_OUTPUT_NAME").map_or("_bg", |_| "");
    let wasm = format!("{pkg}{wasm_suffix}.wasm");
    #[cfg(feature = "ssr")]
    let first_visit = FIRST_VISIT_WASM_URL.get().unwrap_or(&wasm);
    #[cfg(not(feature = "ssr"))]
    let first_visit = &wasm;
    // One text: the script must not be cut by hydration markers.
    let script = format!(
        "{HYDRATION_SCRIPT}({:?},{:?},{:?});",
        format!("{pkg}.js"),
        wasm,
        first_visit
    );
    view! { <script type="module" nonce=use_nonce()>{script}</script> }
}

#[component]
pub fn App() -> impl IntoView {
    // The server's `<head>`; in the browser titles are set without it (`PageTitle`).
    #[cfg(feature = "ssr")]
    leptos_meta::provide_meta_context();
    let auth = components::provide_auth();
    let live = live::provide_live_updates();
    outbox::provide_outbox(auth);
    let worker = pwa::provide_pwa();
    #[cfg(feature = "hydrate")]
    background::start_after_hydration(worker, live, auth);
    #[cfg(not(feature = "hydrate"))]
    let _ = (worker, live);
    // Effects run only in the browser, after hydration: the marker tells
    // tests (and curious people) that the page is interactive.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Router>
            <outbox::PageViews/>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <OfflineIndicator/>
            <UpdateToast/>
            <main id="main" tabindex="-1">
                // Async rendering waits for a page's data before sending it, so an
                // error (404 for an unknown session) sets the response status and
                // the service worker can cache complete pages.
                <Routes fallback=routes::NotFoundPage>
                    <Route path=path!("/") view={Lazy::<routes::ScheduleRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/sessions/:id") view={Lazy::<routes::SessionRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/my-schedule") view={Lazy::<routes::MyScheduleRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/messages") view={Lazy::<routes::ConversationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/messages/:id") view={Lazy::<routes::ThreadRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view={Lazy::<routes::SignInRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view={Lazy::<routes::SignUpRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <VersionFooter/>
        </Router>
    }
}
