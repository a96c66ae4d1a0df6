use crate::routes::sign_in_url;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use mozi_core::AppError;

/// Shown while a page's data loads for the first time.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// What a page shows instead of its content when loading it failed: a
/// signed-out visitor is sent to sign-in, anything else is explained.
#[component]
pub fn ErrorNotice(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let location = use_location();
    #[cfg(feature = "hydrate")]
    {
        let errors = errors.clone();
        Effect::new(move |_| {
            let unreachable = errors.with(|errors| {
                errors.iter().any(|(_, error)| {
                    error.downcast_ref::<AppError>() == Some(&AppError::Unreachable)
                })
            });
            if unreachable {
                load_whole_page();
            }
        });
    }
    move || {
        let errors = errors.get();
        let app_errors: Vec<AppError> = errors
            .iter()
            .map(|(_, error)| {
                error
                    .downcast_ref::<AppError>()
                    .cloned()
                    .unwrap_or(AppError::Internal)
            })
            .collect();
        if app_errors
            .iter()
            .any(|error| matches!(error, AppError::Unauthorized(_)))
        {
            let wanted = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            return Either::Left(view! { <Redirect path=sign_in_url(&wanted)/> });
        }
        let heading = match app_errors.first() {
            Some(AppError::NotFound(_)) => "Not found",
            Some(AppError::Unreachable) => "You seem to be offline",
            _ => "Something went wrong",
        };
        Either::Right(view! {
            <section class="error-page" role="alert">
                <h1>{heading}</h1>
                {app_errors
                    .into_iter()
                    .map(|error| view! { <p>{error.to_string()}</p> })
                    .collect_view()}
                <p><a href="/">"Back to the schedule"</a></p>
            </section>
        })
    }
}

/// A page reached inside the app whose data cannot be fetched (offline, and
/// never fetched that way) is loaded as a whole page instead: the worker
/// answers with the copy saved when the page was last seen, or with its
/// offline page listing what is saved. The page the document was loaded as
/// is never loaded again, so this cannot loop.
#[cfg(feature = "hydrate")]
fn load_whole_page() {
    use wasm_bindgen::JsCast;
    let without_fragment = |url: &str| url.split('#').next().unwrap_or_default().to_owned();
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(here) = window.location().href() else {
        return;
    };
    let loaded_as = window
        .performance()
        .and_then(|performance| {
            performance
                .get_entries_by_type("navigation")
                .get(0)
                .dyn_into::<web_sys::PerformanceEntry>()
                .ok()
        })
        .map(|entry| without_fragment(&entry.name()));
    if loaded_as.is_some_and(|loaded_as| loaded_as != without_fragment(&here)) {
        let _ = window.location().replace(&here);
    }
}
