use crate::components::PageTitle;
use leptos::prelude::*;

/// Any URL no route matches; answered with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Page not found"/>
        <section class="error-page" role="alert">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Back to the schedule"</a></p>
        </section>
    }
}
