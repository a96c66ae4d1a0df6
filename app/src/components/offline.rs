use crate::pwa::{apply_update, use_worker_status};
use leptos::prelude::*;

/// Says so, once, while the network is gone: the browser has none, or the
/// page shows the device's copy because the network failed (and then since
/// when that copy is).
#[component]
pub fn OfflineIndicator() -> impl IntoView {
    let status = use_worker_status();
    move || {
        let saved_at = status.offline_since.get();
        (saved_at.is_some() || status.network_gone.get()).then(|| {
            let saved = saved_at.map_or(String::new(), |saved_at| {
                format!(" Showing what was saved at {}.", local_clock(saved_at))
            });
            view! {
                <p class="offline-indicator" role="status">
                    "Offline — your changes are kept and sent when you are back." {saved}
                </p>
            }
        })
    }
}

/// "New version available" with a button that moves every tab to it.
#[component]
pub fn UpdateToast() -> impl IntoView {
    let status = use_worker_status();
    let pending = RwSignal::new(false);
    move || {
        status.update_waiting.get().then(|| {
            view! {
                <div class="update-toast" role="status">
                    <span>"New version available"</span>
                    <button
                        type="button"
                        aria-busy=move || pending.get().to_string()
                        on:click=move |_| {
                            pending.set(true);
                            apply_update();
                        }
                    >
                        "Reload"
                    </button>
                </div>
            }
        })
    }
}

/// The running version, for people and tests to tell which one this is.
#[component]
pub fn VersionFooter() -> impl IntoView {
    let status = use_worker_status();
    view! {
        <footer class="site-footer">
            "MOZI, the offline-first conference app"
            {move || status.version.get().map(|version| view! { " · version " <code class="version">{version}</code> })}
        </footer>
    }
}

/// "14:05" in the reader's time zone. Only ever rendered in the browser.
fn local_clock(at_ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&at_ms.into());
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // Truncation to whole milliseconds is intended.
        mozi_core::format_clock(at_ms as i64)
    }
}
