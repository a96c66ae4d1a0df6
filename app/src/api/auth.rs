use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use mozi_core::{AppError, UserView};

#[server(endpoint = "current_user", input = GetUrl)]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    use crate::backend::{respond, session, signed_in_user, AppState};
    respond(async {
        let state = AppState::current()?;
        match signed_in_user(&session().await?).await? {
            Some(id) => state.db.user(id).await,
            None => Ok(None),
        }
    })
    .await
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    display_name: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{hash_password, now_millis, respond, AppState};
    use mozi_core::{DisplayName, Password, Username};
    respond(async {
        let username = Username::parse(&username)?;
        let display_name = DisplayName::parse(&display_name)?;
        let password = Password::parse(&password)?;
        let state = AppState::current()?;
        let hash = hash_password(password).await?;
        let user = state
            .db
            .create_user(&username, &display_name, &hash, now_millis())
            .await?;
        start_session(user.id).await?;
        leptos_axum::redirect(super::safe_next_path(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{respond, verify_password, AppState};
    use mozi_core::Username;
    respond(async {
        let wrong = || AppError::Unauthorized("Wrong username or password.".into());
        let username = Username::parse(&username).map_err(|_| wrong())?;
        let state = AppState::current()?;
        let credentials = state.db.credentials(&username).await?.ok_or_else(wrong)?;
        if !verify_password(password, credentials.password_hash).await? {
            return Err(wrong());
        }
        start_session(credentials.user.id).await?;
        leptos_axum::redirect(super::safe_next_path(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend::{respond, session};
    respond(async {
        session().await?.flush().await.map_err(|error| {
            tracing::error!(%error, "could not end the session");
            AppError::Internal
        })?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Signs `user` in under a new session id, so an id planted before sign-in is worthless.
#[cfg(feature = "ssr")]
async fn start_session(user: mozi_core::UserId) -> Result<(), AppError> {
    use crate::backend::{session, USER_ID_KEY};
    let session = session().await?;
    let store_failed = |error: tower_sessions::session::Error| {
        tracing::error!(%error, "session store failed");
        AppError::Internal
    };
    session.cycle_id().await.map_err(store_failed)?;
    session
        .insert(USER_ID_KEY, user)
        .await
        .map_err(store_failed)
}
