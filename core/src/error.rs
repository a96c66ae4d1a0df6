use serde::{Deserialize, Serialize};

/// The one error type of MOZI. Every variant maps to an HTTP status and a
/// stable machine-readable code; the message is what the user reads. On the
/// wire it is always `{"code": …, "message": …}`, whoever made it: a server
/// function, an API route or the service worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
pub enum AppError {
    /// The input was understood but breaks a rule (empty message, short password…).
    #[error("{0}")]
    Invalid(String),
    /// The request could not be read at all (malformed body, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// No signed-in user, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Unknown, or not visible to this user (a foreign conversation is "not found").
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with existing state (a taken username).
    #[error("{0}")]
    Conflict(String),
    /// Refused whoever asks: a cross-site request for a change.
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests; the same one may succeed after `retry_after_secs`,
    /// which is also sent as the `Retry-After` header.
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// The server could not be reached; only ever made on the client.
    #[error("Can't reach MOZI right now. Check your connection and try again.")]
    Unreachable,
    /// Anything else. The cause is logged on the server, never shown.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn sign_in_required() -> Self {
        Self::Unauthorized("Please sign in to continue.".into())
    }

    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        // Whole seconds, rounded up: "0" would invite an immediate retry.
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Self::RateLimited {
            retry_after_secs: secs.max(1),
        }
    }

    /// The seconds to wait before trying again, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Forbidden(_) => 403,
            Self::RateLimited { .. } => 429,
            Self::Unreachable => 503,
            Self::Internal => 500,
        }
    }

    /// A stable code for programs (tests, the outbox) to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Forbidden(_) => "forbidden",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unreachable => "unreachable",
            Self::Internal => "internal",
        }
    }
}

/// `AppError` as JSON. The message of a variant that has a fixed one is
/// ignored when read (and may be missing); an unknown code reads as
/// `Internal`, so an older client still shows an error.
#[derive(Serialize, Deserialize)]
struct WireError {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(error: AppError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            retry_after_secs: error.retry_after_secs(),
        }
    }
}

impl From<WireError> for AppError {
    fn from(wire: WireError) -> Self {
        Self::from_wire(&wire.code, wire.message, wire.retry_after_secs)
    }
}

impl AppError {
    /// The error a wire form names (see [`WireError`]), whoever read it:
    /// serde here, the outbox's JSON reader in the browser.
    pub fn from_wire(code: &str, message: String, retry_after_secs: Option<u64>) -> Self {
        match code {
            "invalid" => Self::Invalid(message),
            "bad_request" => Self::BadRequest(message),
            "unauthorized" => Self::Unauthorized(message),
            "not_found" => Self::NotFound(message),
            "conflict" => Self::Conflict(message),
            "forbidden" => Self::Forbidden(message),
            "rate_limited" => Self::RateLimited {
                retry_after_secs: retry_after_secs.unwrap_or(1),
            },
            "unreachable" => Self::Unreachable,
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "server-fn")]
mod server_fn_support {
    use super::AppError;
    use server_fn::codec::JsonEncoding;
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};

    impl FromServerFnError for AppError {
        type Encoder = JsonEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                ServerFnErrorErr::Request(_) => AppError::Unreachable,
                ServerFnErrorErr::Args(message)
                | ServerFnErrorErr::MissingArg(message)
                | ServerFnErrorErr::Deserialization(message) => {
                    AppError::BadRequest(format!("The request could not be read: {message}"))
                }
                _ => AppError::Internal,
            }
        }
    }
}

#[cfg(feature = "axum")]
mod axum_support {
    use super::AppError;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = self.retry_after_secs();
            let mut response = (status, axum::Json(self)).into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> [AppError; 9] {
        [
            AppError::Forbidden("Cross-site".into()),
            AppError::RateLimited {
                retry_after_secs: 30,
            },
            AppError::invalid("Too long"),
            AppError::BadRequest("x".into()),
            AppError::sign_in_required(),
            AppError::not_found("No such session"),
            AppError::Conflict("Taken".into()),
            AppError::Unreachable,
            AppError::Internal,
        ]
    }

    #[test]
    fn every_error_has_a_client_or_server_status() {
        for error in one_of_each() {
            let status = error.status();
            assert!((400..600).contains(&status), "{error:?} -> {status}");
        }
    }

    #[test]
    fn serialises_with_a_stable_code() {
        let json = serde_json::to_string(&AppError::not_found("No such session")).unwrap();
        assert_eq!(json, r#"{"code":"not_found","message":"No such session"}"#);
        let json = serde_json::to_string(&AppError::Internal).unwrap();
        assert_eq!(
            json,
            r#"{"code":"internal","message":"Something went wrong on our side. Please try again."}"#
        );
    }

    #[test]
    fn every_error_reads_back_whoever_wrote_it() {
        for error in one_of_each() {
            let json = serde_json::to_string(&error).unwrap();
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), error);
        }
        // The service worker's answer when offline; an older format without
        // a message; a code this build does not know.
        let from_worker = r#"{"code":"unreachable","message":"Can't reach MOZI right now."}"#;
        assert_eq!(
            serde_json::from_str::<AppError>(from_worker).unwrap(),
            AppError::Unreachable
        );
        assert_eq!(
            serde_json::from_str::<AppError>(r#"{"code":"internal"}"#).unwrap(),
            AppError::Internal
        );
        assert_eq!(
            serde_json::from_str::<AppError>(r#"{"code":"from_the_future","message":"Slow down"}"#)
                .unwrap(),
            AppError::Internal
        );
    }
}
