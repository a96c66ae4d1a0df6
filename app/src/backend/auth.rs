use super::{now_millis, AppState};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use mozi_core::{AppError, Password, UnixMillis, UserId};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use tower_sessions::Session;

/// The session entry saying who is signed in, and since when.
pub const SIGNED_IN_KEY: &str = "signed_in";

/// However active a session is, it ends this long after sign-in (30 days);
/// the idle timeout ends it sooner when unused.
pub const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

/// Who is signed in to a session.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: UserId,
    pub since: UnixMillis,
}

impl SignedIn {
    /// When the session ends at the latest, whatever its use.
    pub fn ends_at(&self) -> UnixMillis {
        self.since.saturating_add(SESSION_LIFETIME_MS)
    }
}

/// The login session of the request being served.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer in front of the server function");
        AppError::Internal
    })
}

fn store_failed(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store failed");
    AppError::Internal
}

/// Who is signed in to `session`, if anyone. A session past its lifetime is
/// ended here.
pub async fn signed_in(session: &Session) -> Result<Option<SignedIn>, AppError> {
    let Some(signed_in) = session
        .get::<SignedIn>(SIGNED_IN_KEY)
        .await
        .map_err(store_failed)?
    else {
        return Ok(None);
    };
    if now_millis() >= signed_in.ends_at() {
        session.flush().await.map_err(store_failed)?;
        return Ok(None);
    }
    Ok(Some(signed_in))
}

/// The signed-in user of `session`, if any.
pub async fn signed_in_user(session: &Session) -> Result<Option<UserId>, AppError> {
    Ok(signed_in(session).await?.map(|signed_in| signed_in.user))
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<UserId, AppError> {
    signed_in_user(&session().await?)
        .await?
        .ok_or_else(AppError::sign_in_required)
}

/// Signs `user` in under a new session id, so an id planted before sign-in
/// is worthless.
pub async fn start_session(session: &Session, user: UserId) -> Result<(), AppError> {
    session.cycle_id().await.map_err(store_failed)?;
    let signed_in = SignedIn {
        user,
        since: now_millis(),
    };
    session
        .insert(SIGNED_IN_KEY, signed_in)
        .await
        .map_err(store_failed)
}

/// Ends `session` and every live stream opened under it.
pub async fn end_session(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Some(id) = session.id() {
        state.live.end_session(&id.to_string());
    }
    session.flush().await.map_err(store_failed)
}

/// Hashes off the async runtime, one at a time per core: argon2 is
/// deliberately slow and takes 19 MiB per hash.
pub async fn hash_password(state: &AppState, password: Password) -> Result<String, AppError> {
    let _turn = state.limits.password_turn().await?;
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

/// A hash of a password nobody knows, checked when a username is unknown so
/// that the answer takes as long as for a known one and does not tell
/// which names have accounts.
static UNKNOWN_USER_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"no account has this password", &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// Makes the dummy hash now, so the first unknown name is not slower than
/// the rest.
pub async fn prepare_password_checks() {
    let _ = tokio::task::spawn_blocking(|| LazyLock::force(&UNKNOWN_USER_HASH).len()).await;
}

/// Whether `password` matches the stored `hash`; with no hash (an unknown
/// username) the same work is done against a dummy and the answer is no.
pub async fn verify_password(
    state: &AppState,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    let _turn = state.limits.password_turn().await?;
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| UNKNOWN_USER_HASH.clone());
        let parsed = PasswordHash::new(&hash).map_err(|error| {
            tracing::error!(%error, "stored password hash is malformed");
            AppError::Internal
        })?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password check task failed");
        AppError::Internal
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    #[tokio::test]
    async fn a_session_ends_thirty_days_after_sign_in_however_used() {
        let session = Session::new(None, Arc::new(MemoryStore::default()), None);
        let fresh = SignedIn {
            user: UserId(7),
            since: now_millis() - SESSION_LIFETIME_MS + 60_000,
        };
        session.insert(SIGNED_IN_KEY, fresh).await.unwrap();
        assert_eq!(signed_in_user(&session).await.unwrap(), Some(UserId(7)));
        let old = SignedIn {
            since: now_millis() - SESSION_LIFETIME_MS - 1,
            ..fresh
        };
        session.insert(SIGNED_IN_KEY, old).await.unwrap();
        assert_eq!(signed_in_user(&session).await.unwrap(), None);
        assert!(session.is_empty().await, "the expired session was ended");
    }
}
