use crate::components::use_auth;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(SignInRoute, SignInPage);

/// `/login?next=…`.
#[component]
fn SignInPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || auth.sign_in.value().get().and_then(Result::err);

    view! {
        <Title text="Sign in"/>
        <section class="auth-form">
            <h1>"Sign in"</h1>
            <ActionForm action=auth.sign_in>
                <input type="hidden" name="next" value=next/>
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required autocapitalize="none"/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <button type="submit" aria-busy=move || auth.sign_in.pending().get().to_string()>"Sign in"</button>
            </ActionForm>
            <p>"New here? "<a href=move || format!("/signup?next={}", next())>"Create an account"</a></p>
        </section>
    }
}
