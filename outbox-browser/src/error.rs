use std::fmt;
use wasm_bindgen::JsValue;

/// Why an outbox operation did not complete. Each has a stable code, shown
/// in logs, so a report from a device can be matched to its cause.
#[derive(Debug)]
pub enum OutboxError {
    /// IndexedDB refused to open, read or write (private mode, quota, a
    /// blocked upgrade).
    Database(String),
    /// A browser API failed or was missing.
    Browser(String),
    /// `crypto.randomUUID()` is unavailable.
    NoRandomSource,
}

impl OutboxError {
    pub fn code(&self) -> &'static str {
        match self {
            OutboxError::Database(_) => "outbox-database",
            OutboxError::Browser(_) => "outbox-browser",
            OutboxError::NoRandomSource => "outbox-no-random-source",
        }
    }
}

impl fmt::Display for OutboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutboxError::Database(detail) | OutboxError::Browser(detail) => {
                write!(f, "{}: {detail}", self.code())
            }
            OutboxError::NoRandomSource => {
                write!(f, "{}: crypto.randomUUID is missing", self.code())
            }
        }
    }
}

impl std::error::Error for OutboxError {}

impl From<JsValue> for OutboxError {
    fn from(value: JsValue) -> Self {
        OutboxError::Browser(
            js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_else(|| format!("{value:?}")),
        )
    }
}

impl From<OutboxError> for JsValue {
    fn from(error: OutboxError) -> Self {
        js_sys::Error::new(&error.to_string()).into()
    }
}
