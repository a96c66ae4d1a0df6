//! The page's side of the service worker: registering it after load, the
//! connectivity it reports (for the "Offline" indicator), the running
//! version, and the update prompt.
//!
//! Updates: the browser checks for a new worker on load, and the page asks
//! again when the tab becomes visible and every hour while it is open
//! (never while offline). A new worker installed while an older one
//! controls the page waits; every open tab then shows "New version
//! available". "Reload" tells the newest waiting worker to take over, and
//! each tab reloads exactly once when it does. The tap holds until a worker
//! has: one that finishes installing after it (a newer one, which makes the
//! worker told before redundant) is told too. A first install (no
//! controller yet) shows nothing and reloads nothing.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct WorkerStatus {
    /// `Some(saved_at_ms)` while what the page shows came from the device's
    /// copy because the network failed; `None` when online.
    pub offline_since: RwSignal<Option<f64>>,
    /// The browser says it has no network at all.
    pub network_gone: RwSignal<bool>,
    /// A newer version is installed and waiting.
    pub update_waiting: RwSignal<bool>,
    /// The version of the worker controlling this page.
    pub version: RwSignal<Option<String>>,
}

pub fn use_worker_status() -> WorkerStatus {
    expect_context::<WorkerStatus>()
}

pub fn provide_pwa() -> WorkerStatus {
    let status = WorkerStatus {
        offline_since: RwSignal::new(None),
        network_gone: RwSignal::new(false),
        update_waiting: RwSignal::new(false),
        version: RwSignal::new(None),
    };
    provide_context(status);
    status
}

/// Registers the worker and follows it: run in the browser, once the page
/// is interactive (`crate::background`).
#[cfg(feature = "hydrate")]
pub fn start(status: WorkerStatus) {
    browser::start(status);
}

/// Asks the waiting worker to take over; the tabs reload when it has.
pub fn apply_update() {
    #[cfg(feature = "hydrate")]
    browser::apply_update();
}

/// Whether this document is a copy the worker saved earlier (it answered
/// from its cache because the network failed), not the server's answer now.
#[cfg(feature = "hydrate")]
pub fn page_is_saved_copy() -> bool {
    browser::page_is_saved_copy()
}

/// Asks the worker to delete its runtime caches (`CLEAR_USER_DATA`). It
/// does so by itself when a sign-out passes through it, but not one it
/// never saw: sent by a page it did not control yet (the first visit).
#[cfg(feature = "hydrate")]
pub fn clear_worker_caches() {
    browser::clear_worker_caches();
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::WorkerStatus;
    use leptos::prelude::*;
    use mozi_core::{PageToWorker, WorkerToPage};
    use std::cell::Cell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{MessageEvent, ServiceWorker, ServiceWorkerRegistration, ServiceWorkerState};

    /// The worker marks a page it served from its cache with this meta tag.
    const OFFLINE_MARKER: &str = "meta[name=mozi-offline]";
    const WORKER_URL: &str = "/sw.js";
    const HOURLY_CHECK_MS: i32 = 60 * 60 * 1000;
    /// After a tap on "Reload", how often and for how long the page asks
    /// the waiting worker to take over.
    const TAKE_OVER_ASKS: u32 = 15;
    const TAKE_OVER_ASKED_AGAIN_MS: i32 = 2_000;

    thread_local! {
        /// Set once the page starts reloading into a new version.
        static RELOADING: Cell<bool> = const { Cell::new(false) };
        /// Set once "Reload" is tapped in this tab.
        static UPDATE_ASKED: Cell<bool> = const { Cell::new(false) };
    }

    /// Keeps a closure for the page's lifetime, as its listener must.
    fn listen(target: &web_sys::EventTarget, event: &str, handler: impl FnMut() + 'static) {
        let closure = Closure::<dyn FnMut()>::new(handler);
        // Adding a listener to a live target cannot fail.
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        closure.forget();
    }

    fn offline_marker() -> Option<web_sys::Element> {
        document().query_selector(OFFLINE_MARKER).ok().flatten()
    }

    pub fn page_is_saved_copy() -> bool {
        offline_marker().is_some()
    }

    pub fn start(status: WorkerStatus) {
        if let Some(saved_at) = offline_marker()
            .and_then(|meta| meta.get_attribute("content"))
            // Whole milliseconds, as the worker writes them: read as an
            // integer, so float parsing stays out of the page's first module.
            .and_then(|content| content.parse::<i64>().ok())
        {
            status.offline_since.set(Some(saved_at as f64));
        }
        let container = window().navigator().service_worker();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            match WorkerToPage::from_js(&event.data()) {
                Some(WorkerToPage::Connectivity { online, saved_at }) => {
                    status
                        .offline_since
                        .set(if online { None } else { saved_at });
                }
                Some(WorkerToPage::Version { version }) => status.version.set(Some(version)),
                None => {}
            }
        });
        container.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let network = move || status.network_gone.set(!window().navigator().on_line());
        network();
        listen(&window(), "online", network);
        listen(&window(), "offline", network);

        // Only a page that already had a worker reloads when a new one takes
        // over: a first install must not reload anything.
        let had_controller = container.controller().is_some();
        ask_version(container.controller());
        listen(&container, "controllerchange", move || {
            if had_controller && !RELOADING.with(|reloading| reloading.replace(true)) {
                let _ = window().location().reload();
            }
        });

        // Registering after load keeps the worker's install from competing
        // with the page's own first downloads.
        if document().ready_state() == "complete" {
            register(status);
        } else {
            let mut once = Some(move || register(status));
            listen(&window(), "load", move || {
                if let Some(register) = once.take() {
                    register();
                }
            });
        }
    }

    fn ask_version(controller: Option<ServiceWorker>) {
        if let Some(controller) = controller {
            let _ = controller.post_message(&PageToWorker::GetVersion.to_js());
        }
    }

    fn register(status: WorkerStatus) {
        let registration = window().navigator().service_worker().register(WORKER_URL);
        leptos::task::spawn_local(async move {
            match JsFuture::from(registration).await {
                // A browser that keeps service workers from this site may
                // settle the registration with no registration at all.
                Ok(registration) => match registration.dyn_into::<ServiceWorkerRegistration>() {
                    Ok(registration) => watch_updates(registration, status),
                    Err(_) => leptos::logging::warn!("no service worker: the browser refused it"),
                },
                Err(error) => {
                    leptos::logging::warn!("the service worker could not be registered: {error:?}")
                }
            }
        });
    }

    fn watch_updates(registration: ServiceWorkerRegistration, status: WorkerStatus) {
        let has_controller = || window().navigator().service_worker().controller().is_some();
        if registration.waiting().is_some() && has_controller() {
            status.update_waiting.set(true);
        }
        let watched = registration.clone();
        listen(&registration, "updatefound", move || {
            let Some(installing) = watched.installing() else {
                return;
            };
            let worker = installing.clone();
            listen(&installing, "statechange", move || {
                if worker.state() == ServiceWorkerState::Installed && has_controller() {
                    status.update_waiting.set(true);
                    if UPDATE_ASKED.get() {
                        take_over(&worker);
                    }
                }
            });
        });

        let check = registration.clone();
        let check_for_update = move || {
            // Offline, a check can only fail.
            if window().navigator().on_line() {
                let _ = check.update();
            }
        };
        let on_visible = check_for_update.clone();
        listen(&document(), "visibilitychange", move || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                on_visible();
            }
        });
        let hourly = Closure::<dyn FnMut()>::new(check_for_update);
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
            hourly.as_ref().unchecked_ref(),
            HOURLY_CHECK_MS,
        );
        hourly.forget();
    }

    pub fn clear_worker_caches() {
        leptos::task::spawn_local(async {
            // The registration rather than the controller: a page the
            // worker does not control yet still reaches it.
            let Ok(registration) =
                JsFuture::from(window().navigator().service_worker().get_registration()).await
            else {
                return;
            };
            let Some(worker) = registration
                .dyn_into::<ServiceWorkerRegistration>()
                .ok()
                .and_then(|registration| registration.active())
            else {
                // No active worker: it stores nothing in runtime caches.
                return;
            };
            // Fails only for a message that cannot be cloned; this one is
            // a plain object.
            let _ = worker.post_message(&PageToWorker::ClearUserData.to_js());
        });
    }

    pub fn apply_update() {
        UPDATE_ASKED.set(true);
        leptos::task::spawn_local(async {
            let container = window().navigator().service_worker();
            let Ok(ready) = container.ready() else {
                return;
            };
            let Ok(registration) = JsFuture::from(ready).await else {
                return;
            };
            let registration: ServiceWorkerRegistration = registration.unchecked_into();
            // The newest waiting worker, even if another update arrived
            // while the prompt was shown; asked again until one takes over
            // and the page reloads. Clean-clone runs saw a told worker stay
            // waiting, with no activation, now and then: the message may
            // reach a worker that does not act on it.
            for _ in 0..TAKE_OVER_ASKS {
                if let Some(waiting) = registration.waiting() {
                    take_over(&waiting);
                }
                pause(TAKE_OVER_ASKED_AGAIN_MS).await;
            }
        });
    }

    /// Resolves after `ms` milliseconds.
    async fn pause(ms: i32) {
        let wait = js_sys::Promise::new(&mut |resolve, _| {
            // Cannot fail in a window; if it did, the next ask comes at once.
            if window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .is_err()
            {
                let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
            }
        });
        let _ = JsFuture::from(wait).await;
    }

    /// Tells a waiting worker to take over.
    fn take_over(worker: &ServiceWorker) {
        // Fails only for a message that cannot be cloned; this one is a
        // plain object.
        let _ = worker.post_message(&PageToWorker::SkipWaiting.to_js());
    }
}
