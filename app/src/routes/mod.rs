//! One file per page.

mod conversations;
mod my_schedule;
mod not_found;
mod schedule;
mod session;
mod sign_in;
mod sign_up;
mod thread;

pub use conversations::ConversationsPage;
pub use my_schedule::MySchedulePage;
pub use not_found::NotFoundPage;
pub use schedule::SchedulePage;
pub use session::SessionPage;
pub use sign_in::SignInPage;
pub use sign_up::SignUpPage;
pub use thread::ThreadPage;

/// Pages that show one user's data. The server redirects a signed-out
/// request for them to sign-in before rendering anything.
pub fn requires_sign_in(path: &str) -> bool {
    path == "/my-schedule" || path == "/messages" || path.starts_with("/messages/")
}

/// Where sign-in sends someone who wanted `path_and_query`.
pub fn sign_in_url(path_and_query: &str) -> String {
    let mut url = String::from("/login?next=");
    for byte in path_and_query.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                url.push(char::from(byte))
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_pages_require_sign_in() {
        assert!(requires_sign_in("/my-schedule"));
        assert!(requires_sign_in("/messages"));
        assert!(requires_sign_in("/messages/abc"));
        assert!(!requires_sign_in("/"));
        assert!(!requires_sign_in("/sessions/1"));
        assert!(!requires_sign_in("/messagesx"));
    }

    #[test]
    fn the_wanted_page_is_percent_encoded() {
        assert_eq!(
            sign_in_url("/messages/a?x=1&y"),
            "/login?next=/messages/a%3Fx%3D1%26y"
        );
    }
}
