//! Server functions: thin wrappers that check the session, parse the input
//! into domain types and call the repository.
//!
//! Every endpoint has a fixed URL under `/api` (no build hash), so requests
//! queued on a device still find it after a deploy. Reads are GET-encoded so
//! the service worker can cache them.

pub mod auth;
pub mod messaging;
pub mod schedule;

/// Only same-site paths of printable ASCII (anything else would break the
/// Location header) may be redirected to after signing in.
pub fn safe_next_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path
                    .bytes()
                    .all(|byte| byte.is_ascii_graphic() && byte != b'\\') =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next_path(Some("/messages/1")), "/messages/1");
        assert_eq!(safe_next_path(Some("//evil.example")), "/");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_next_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next_path(None), "/");
    }
}
