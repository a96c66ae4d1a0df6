//! Sign-out leaves nothing of the user on the device: their drafts
//! (`localStorage`), what the server applied from their queue lately and
//! their page views not reported yet (IndexedDB, `mozi-outbox-browser`),
//! and the worker's runtime caches. Their unsent changes are the exception:
//! the sign-out button asks first whether to keep or discard them, and they
//! are never sent under anyone else's session.
//!
//! [`forget_signed_out_user`] is the one place that does it, run
//! - after the sign-out action succeeded (with "Discard and sign out" too);
//! - whenever a page finds nobody signed in: a sign-out by a plain form
//!   post (no JavaScript, or sent before the page hydrated) ran none of
//!   this code. The worker cleared its caches as the post went through it;
//!   the page clears the rest when it next runs. Nothing there is anyone's
//!   to keep: drafts are written only while signed in, and the server takes
//!   page views only with a session (a signed-out visitor's would go later
//!   under whoever signs in next);
//! - when a page finds someone else signed in than the user it remembers
//!   (a sign-out and sign-in both by form posts).
//!
//! The worker is asked to clear its caches at start only when a signed-in
//! user was remembered: a signed-out visitor's saved pages are theirs to
//! keep for offline use. A page that is a copy the worker saved concludes
//! nothing: it shows who was signed in then, not now.

use crate::components::Auth;
#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// Watches the sign-out action and who is signed in; the forgetting
/// happens in the browser only.
pub fn forget_on_sign_out(auth: Auth) {
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            if auth
                .sign_out
                .value()
                .with(|value| matches!(value, Some(Ok(()))))
            {
                forget_signed_out_user(WorkerCaches::Clear);
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
    #[cfg(not(feature = "hydrate"))]
    let _ = auth;
}

/// Whether [`forget_signed_out_user`] also asks the worker to empty its
/// runtime caches.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy, PartialEq, Eq)]
enum WorkerCaches {
    Clear,
    Keep,
}

/// Forgets what the device keeps of the user who signed out (see the
/// module's text). Returns at once; the IndexedDB part finishes meanwhile.
#[cfg(feature = "hydrate")]
fn forget_signed_out_user(worker_caches: WorkerCaches) {
    // The synchronous part first, so that a second call (the sign-out's,
    // then the start check's) finds nothing left to ask the worker for.
    browser::forget_user_marker();
    crate::drafts::forget_all();
    if worker_caches == WorkerCaches::Clear {
        crate::pwa::clear_worker_caches();
    }
    leptos::task::spawn_local(async {
        let device = crate::outbox::device_queue().await;
        if let Err(error) = device.forget_signed_out_user().await {
            leptos::logging::warn!("the signed-out user's device data stays: {error}");
        }
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{forget_signed_out_user, WorkerCaches};
    use leptos::prelude::window;
    use mozi_core::UserId;

    /// The id of the user last seen signed in on this device, kept until
    /// their data is forgotten: how a page tells that a sign-out happened
    /// where no code of the app ran.
    const MARKER: &str = "mozi-device-user";

    fn storage() -> Option<web_sys::Storage> {
        window().local_storage().ok().flatten()
    }

    fn remembered() -> Option<String> {
        storage().and_then(|storage| storage.get_item(MARKER).ok().flatten())
    }

    fn remember(user: &str) {
        if let Some(storage) = storage() {
            // Without storage nothing is kept that would need forgetting.
            let _ = storage.set_item(MARKER, user);
        }
    }

    pub fn forget_user_marker() {
        if let Some(storage) = storage() {
            // A disabled storage holds no marker to remove.
            let _ = storage.remove_item(MARKER);
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
            None => forget_signed_out_user(if remembered.is_some() {
                WorkerCaches::Clear
            } else {
                WorkerCaches::Keep
            }),
            Some(current) => {
                if remembered.is_some_and(|remembered| remembered != current) {
                    forget_signed_out_user(WorkerCaches::Clear);
                }
                remember(&current);
            }
        }
    }
}
