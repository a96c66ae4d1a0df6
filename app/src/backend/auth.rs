use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use mozi_core::{AppError, Password, UserId};
use tower_sessions::Session;

/// The session entry holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";

/// The login session of the request being served.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer in front of the server function");
        AppError::Internal
    })
}

/// The signed-in user of `session`, if any.
pub async fn signed_in_user(session: &Session) -> Result<Option<UserId>, AppError> {
    session.get::<UserId>(USER_ID_KEY).await.map_err(|error| {
        tracing::error!(%error, "session store failed");
        AppError::Internal
    })
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<UserId, AppError> {
    signed_in_user(&session().await?)
        .await?
        .ok_or_else(AppError::sign_in_required)
}

/// Hashes off the async runtime: argon2 is deliberately slow.
pub async fn hash_password(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password hashing task failed");
        AppError::Internal
    })?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// Whether `password` matches the stored `hash`.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|error| {
            tracing::error!(%error, "stored password hash is malformed");
            AppError::Internal
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password check task failed");
        AppError::Internal
    })?
}
