use super::{use_auth, PendingChanges};
use crate::api::auth::SignOut;
use crate::deferred::deferred;
use crate::outbox::use_outbox;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let auth = use_auth();
    // Kept here, outside the part rebuilt when the user changes.
    let warning = RwSignal::new(false);
    deferred(view! {
        <header class="site-header">
            <a class="brand" href="/">"MOZI"</a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Schedule"</A>
                <A href="/my-schedule">"My schedule"</A>
                <A href="/messages">"Messages"</A>
            </nav>
            <div class="account">
                <PendingChanges/>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => Either::Left(view! {
                                <span class="who">{user.display_name}</span>
                                <SignOutButton warning/>
                            }),
                            _ => Either::Right(view! {
                                <a href="/login">"Sign in"</a>
                                <a href="/signup">"Create account"</a>
                            }),
                        }
                    })}
                </Transition>
            </div>
        </header>
    })
}

/// "Sign out", which first warns when changes are not sent yet: they belong
/// to this user and are never sent under anyone else's session, so the
/// choice is to keep waiting (signed in) or discard them.
#[component]
fn SignOutButton(warning: RwSignal<bool>) -> impl IntoView {
    let auth = use_auth();
    let outbox = use_outbox();
    let unsent = move || outbox.items.with(Vec::len);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if unsent() > 0 {
            warning.set(true);
        } else {
            auth.sign_out.dispatch(SignOut {});
        }
    };
    let discard_and_sign_out = move |_| {
        spawn_local(async move {
            if outbox.discard_all().await.is_ok() {
                warning.set(false);
                auth.sign_out.dispatch(SignOut {});
            }
        });
    };
    view! {
        <form method="post" action="/api/sign_out" on:submit=submit>
            <button type="submit">"Sign out"</button>
        </form>
        <Show when=move || warning.get()>
            <div class="sign-out-warning" role="alertdialog" aria-labelledby="sign-out-warning-title" aria-describedby="sign-out-warning-text">
                <p id="sign-out-warning-title" class="title">
                    {move || match unsent() {
                        1 => "1 change is not sent yet".to_owned(),
                        n => format!("{n} changes are not sent yet"),
                    }}
                </p>
                <p id="sign-out-warning-text">
                    "They are sent only while you are signed in. Keep waiting, and they go as soon as the server can be reached; or discard them and sign out."
                </p>
                <button type="button" on:click=move |_| warning.set(false)>"Keep waiting"</button>
                <button type="button" on:click=discard_and_sign_out>"Discard and sign out"</button>
            </div>
        </Show>
    }
}
