use crate::api::auth::SignIn;
use crate::components::{typed, use_auth, PageTitle};
use leptos::html::Input;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

lazy_page!(SignInRoute, SignInPage, sign_in_route_view);

/// `/login?next=…`.
#[component]
fn SignInPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || auth.sign_in.value().get().and_then(Result::err);
    let username = NodeRef::<Input>::new();
    let password = NodeRef::<Input>::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        auth.sign_in.dispatch(SignIn {
            username: typed(username),
            password: typed(password),
            next: Some(next()),
        });
    };

    view! {
        <PageTitle text="Sign in"/>
        <section class="auth-form">
            <h1>"Sign in"</h1>
            <form method="post" action=SignIn::url() on:submit=submit>
                <input type="hidden" name="next" value=next/>
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required autocapitalize="none" node_ref=username/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required node_ref=password/>
                {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <button type="submit" aria-busy=move || auth.sign_in.pending().get().to_string()>"Sign in"</button>
            </form>
            <p>"New here? "<a href=move || format!("/signup?next={}", next())>"Create an account"</a></p>
        </section>
    }
}
