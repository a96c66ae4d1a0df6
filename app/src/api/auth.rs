use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use mozi_core::{AppError, UserView};

#[server(endpoint = "current_user", input = GetUrl, output = super::ReadAnswer)]
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
    use crate::backend::{hash_password, now_millis, respond, session, start_session, AppState};
    use mozi_core::{DisplayName, Password, Username};
    respond(async {
        let username = Username::parse(&username)?;
        let display_name = DisplayName::parse(&display_name)?;
        let password = Password::parse(&password)?;
        let state = AppState::current()?;
        state.limits.sign_ups_per_ip.check(&client_key().await)?;
        // The cheap check first: a taken name costs no hashing.
        if state.db.username_taken(&username).await? {
            return Err(mozi_db::taken(&username));
        }
        let hash = hash_password(&state, password).await?;
        let user = state
            .db
            .create_user(&username, &display_name, &hash, now_millis())
            .await?;
        start_session(&session().await?, user.id).await?;
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
    use crate::backend::{respond, session, start_session, verify_password, AppState};
    use mozi_core::Username;
    respond(async {
        let wrong = || AppError::Unauthorized("Wrong username or password.".into());
        let state = AppState::current()?;
        state.limits.sign_ins_per_ip.check(&client_key().await)?;
        let Ok(username) = Username::parse(&username) else {
            return Err(wrong());
        };
        state
            .limits
            .sign_in_to_account(&state.db, username.as_str())
            .await?;
        let credentials = state.db.credentials(&username).await?;
        let (user, hash) = match credentials {
            Some(credentials) => (Some(credentials.user.id), Some(credentials.password_hash)),
            None => (None, None),
        };
        // An unknown name is checked against a dummy hash: the same work,
        // so the time taken does not tell which names have accounts.
        let matches = verify_password(&state, password, hash).await?;
        let Some(user) = user.filter(|_| matches) else {
            return Err(wrong());
        };
        start_session(&session().await?, user).await?;
        leptos_axum::redirect(super::safe_next_path(next.as_deref()));
        Ok(())
    })
    .await
}

/// Signs out: ends the session and its live streams, and tells the browser
/// to drop its HTTP cache of this user's pages (the service worker clears
/// its own caches).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend::{end_session, respond, session, AppState};
    respond(async {
        let state = AppState::current()?;
        end_session(&state, &session().await?).await?;
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.insert_header(
                axum::http::HeaderName::from_static("clear-site-data"),
                axum::http::HeaderValue::from_static("\"cache\""),
            );
        }
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Whose attempts a per-address limit counts: the client's address, or one
/// shared key when the server does not know it.
#[cfg(feature = "ssr")]
async fn client_key() -> std::net::IpAddr {
    crate::backend::client_ip()
        .await
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}
