use super::use_auth;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="site-header">
            <a class="brand" href="/">"MOZI"</a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Schedule"</A>
                <A href="/my-schedule">"My schedule"</A>
                <A href="/messages">"Messages"</A>
            </nav>
            <div class="account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => {
                                view! {
                                    <span class="who">{user.display_name}</span>
                                    <ActionForm action=auth.sign_out>
                                        <button type="submit">"Sign out"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <a href="/login">"Sign in"</a>
                                    <a href="/signup">"Create account"</a>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}
