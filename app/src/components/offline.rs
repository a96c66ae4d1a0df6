use crate::pwa::use_connectivity;
use leptos::prelude::*;

/// Says so while the page shows the device's copy instead of the network's.
#[component]
pub fn OfflineIndicator() -> impl IntoView {
    let connectivity = use_connectivity();
    move || {
        connectivity.offline_since.get().map(|saved_at| {
            view! {
                <p class="offline-indicator" role="status">
                    "Offline · showing what was saved at " {local_clock(saved_at)}
                </p>
            }
        })
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
