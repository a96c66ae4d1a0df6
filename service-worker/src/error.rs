//! Errors with a stable code, so logs and tests can tell failures apart.

use wasm_bindgen::JsValue;

#[derive(Debug, Clone)]
pub struct SwError {
    pub code: &'static str,
    pub detail: String,
}

pub mod code {
    pub const NETWORK_FAILED: &str = "network-failed";
    pub const NETWORK_TIMEOUT: &str = "network-timeout";
    pub const CACHE_MISS: &str = "cache-miss";
    pub const CACHE_STORAGE: &str = "cache-storage";
    pub const PRECACHE_BAD_STATUS: &str = "precache-bad-status";
    pub const PRECACHE_HASH_MISMATCH: &str = "precache-hash-mismatch";
    pub const BAD_CONFIG: &str = "bad-config";
    pub const NOT_STARTED: &str = "not-started";
}

impl SwError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }

    /// Wraps a JS exception under `code`.
    pub fn from_js(code: &'static str) -> impl Fn(JsValue) -> SwError {
        move |error| SwError::new(code, format!("{error:?}"))
    }
}

impl From<SwError> for JsValue {
    fn from(error: SwError) -> Self {
        js_sys::Error::new(&format!("[{}] {}", error.code, error.detail)).into()
    }
}
