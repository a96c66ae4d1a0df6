use crate::api::auth::SignUp;
use crate::components::{typed, use_auth, PageTitle};
use leptos::html::Input;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use mozi_core::{DisplayName, Password, Username};

lazy_page!(SignUpRoute, SignUpPage, sign_up_route_view);

/// `/signup?next=…`.
#[component]
fn SignUpPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || auth.sign_up.value().get().and_then(Result::err);
    let username = NodeRef::<Input>::new();
    let display_name = NodeRef::<Input>::new();
    let password = NodeRef::<Input>::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        auth.sign_up.dispatch(SignUp {
            username: typed(username),
            display_name: typed(display_name),
            password: typed(password),
            next: Some(next()),
        });
    };

    view! {
        <PageTitle text="Create account"/>
        <section class="auth-form">
            <h1>"Create account"</h1>
            <form method="post" action=SignUp::url() on:submit=submit>
                <input type="hidden" name="next" value=next/>
                <label for="username">"Username"</label>
                <input
                    id="username" name="username" autocomplete="username" required autocapitalize="none"
                    aria-describedby="username-hint" node_ref=username
                />
                <p class="hint" id="username-hint">
                    {format!("{}–{} characters: letters a–z, digits and _.", Username::MIN_LEN, Username::MAX_LEN)}
                </p>
                <label for="display-name">"Display name"</label>
                <input id="display-name" name="display_name" autocomplete="name" required maxlength=DisplayName::MAX_CHARS node_ref=display_name/>
                <label for="password">"Password"</label>
                <input
                    id="password" name="password" type="password" autocomplete="new-password" required
                    aria-describedby="password-hint" node_ref=password
                />
                <p class="hint" id="password-hint">{format!("At least {} characters.", Password::MIN_CHARS)}</p>
                {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <button type="submit" aria-busy=move || auth.sign_up.pending().get().to_string()>"Create account"</button>
            </form>
            <p>"Already have an account? "<a href=move || format!("/login?next={}", next())>"Sign in"</a></p>
        </section>
    }
}
