use crate::api::auth::{current_user, SignIn, SignOut, SignUp};
use leptos::prelude::*;
use mozi_core::{AppError, UserView};

/// The signed-in user and the actions that change who it is.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<UserView>, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
}

/// Creates the [`Auth`] context; the user is fetched again after each
/// sign-in, sign-up or sign-out.
pub fn provide_auth() -> Auth {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new(
        move || sign_in.version().get() + sign_up.version().get() + sign_out.version().get(),
        |_| current_user(),
    );
    let auth = Auth {
        user,
        sign_in,
        sign_up,
        sign_out,
    };
    provide_context(auth);
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// What is typed in a form's `input`. The sign-in and sign-up forms read
/// their fields through these rather than through `ActionForm`, whose
/// decoding of the form (serde_qs, into a B-tree) was a third of those
/// pages' code; without JavaScript the forms post as they are.
pub fn typed(input: NodeRef<leptos::html::Input>) -> String {
    input
        .get_untracked()
        .map(|input| input.value())
        .unwrap_or_default()
}

impl Auth {
    /// Changes whenever someone signs in, up or out: per-user data depends on it.
    pub fn generation(&self) -> usize {
        self.sign_in.version().get() + self.sign_up.version().get() + self.sign_out.version().get()
    }

    /// Waits for the user to be known; true when someone is signed in.
    pub async fn is_signed_in(&self) -> bool {
        matches!(self.user.await, Ok(Some(_)))
    }
}
