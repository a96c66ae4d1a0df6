//! Sign-out leaves nothing of the user on the device: their drafts
//! (`localStorage`), what the server applied from their queue lately and
//! their page views not reported yet (IndexedDB, `mozi-outbox-browser`),
//! and the worker's runtime caches. Their unsent changes are the exception:
//! the sign-out button asks first whether to keep or discard them, and they
//! are never sent under anyone else's session.
//!
//! [`forget_signed_out_user`] is the one place that does it, run
//! - after the sign-out action succeeded (with "Discard and sign out" too);
//! - whenever a page finds nobody signed in while it remembers a user (the
//!   marker below): a sign-out by a plain form post (no JavaScript, or sent
//!   before the page hydrated) ran none of this code. The worker cleared
//!   its caches as the post went through it; the page clears the rest when
//!   it next runs. Nothing there is anyone's to keep: drafts are written
//!   only while signed in, and the server takes page views only with a
//!   session (a signed-out visitor's would go later under whoever signs in
//!   next);
//! - when a page finds someone else signed in than the user it remembers
//!   (a sign-out and sign-in both by form posts).
//!
//! With nobody remembered there is nothing to forget: everything above is
//! written by pages, which remember who is signed in first (the worker's
//! replays write `delivered` too, for changes pages queued, and it is read
//! for a minute only). So a signed-out visitor's saved pages stay theirs
//! for offline use, and their pages never load the device queue's code.
//! The marker is removed last, once the rest is forgotten. A page that is
//! a copy the worker saved concludes nothing: it shows who was signed in
//! then, not now.

use crate::components::Auth;
use leptos::prelude::*;

/// Watches the sign-out action and who is signed in. Started in the
/// background once the page is interactive (`crate::background`): what
/// happened before is seen then, as both effects read the state they
/// follow when they start.
pub fn forget_on_sign_out(auth: Auth) {
    Effect::new(move |_| {
        if auth
            .sign_out
            .value()
            .with(|value| matches!(value, Some(Ok(()))))
        {
            forget_signed_out_user();
        }
    });
    // Not known yet, or not answered (offline, an error): nothing to
    // conclude.
    Effect::new(move |_| {
        if let Some(Ok(user)) = auth.user.get() {
            browser::on_user(user.map(|user| user.id));
        }
    });
}

thread_local! {
    /// Whether this page is forgetting now: the sign-out's call, then the
    /// start check's, would otherwise both ask the worker.
    static FORGETTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Forgets what the device keeps of the user who signed out (see the
/// module's text). Returns at once; the IndexedDB part finishes meanwhile.
fn forget_signed_out_user() {
    if FORGETTING.replace(true) {
        return;
    }
    let forgotten = browser::remembered();
    crate::drafts::forget_all();
    crate::pwa::clear_worker_caches();
    leptos::task::spawn_local(async move {
        let device = crate::outbox::device_queue().await;
        match device.forget_signed_out_user().await {
            // The marker goes last: a forgetting cut short (the tab
            // closed) is finished by the next page, which still finds it.
            // Unless someone signed in meanwhile: the marker is theirs.
            Ok(()) => browser::forget_user_marker_if(forgotten.as_deref()),
            Err(error) => {
                leptos::logging::warn!("the signed-out user's device data stays: {error}")
            }
        }
        FORGETTING.set(false);
    });
}

mod browser {
    use super::forget_signed_out_user;
    use leptos::prelude::window;
    use mozi_core::UserId;

    /// The id of the user last seen signed in on this device, kept until
    /// their data is forgotten: how a page tells that a sign-out happened
    /// where no code of the app ran.
    const MARKER: &str = "mozi-device-user";

    fn storage() -> Option<web_sys::Storage> {
        window().local_storage().ok().flatten()
    }

    pub fn remembered() -> Option<String> {
        storage().and_then(|storage| storage.get_item(MARKER).ok().flatten())
    }

    fn remember(user: &str) {
        if let Some(storage) = storage() {
            // Without storage nothing is kept that would need forgetting.
            let _ = storage.set_item(MARKER, user);
        }
    }

    /// Removes the marker if it still names `forgotten`.
    pub fn forget_user_marker_if(forgotten: Option<&str>) {
        if let Some(storage) = storage() {
            if remembered().as_deref() == forgotten {
                // A disabled storage holds no marker to remove.
                let _ = storage.remove_item(MARKER);
            }
        }
    }

    /// Called whenever the page learns who is signed in (`None`: nobody).
    pub fn on_user(current: Option<UserId>) {
        let current = current.map(|user| user.to_string());
        let remembered = remembered();
        if crate::pwa::page_is_saved_copy() {
            // The copy tells who was signed in when the worker saved it,
            // not now: one saved while signed out (by a tab whose sign-in
            // the worker never saw) must not wipe the device, offline of
            // all times. A signed-in copy still shows someone was here.
            if let (Some(current), None) = (&current, remembered) {
                remember(current);
            }
            return;
        }
        match current {
            // Nobody was remembered: nothing of anyone's is on the device
            // (all of it is written by pages, which remember who is signed
            // in), and a signed-out visitor's page does not even load the
            // device queue's code.
            None if remembered.is_none() => {}
            None => forget_signed_out_user(),
            Some(current) => {
                if remembered.is_some_and(|remembered| remembered != current) {
                    forget_signed_out_user();
                }
                remember(&current);
            }
        }
    }
}
