//! One file per page.

/// `$route`, the page `$page` as a lazy route: its code is a module of the
/// split wasm, fetched when the page is first shown (README, "Split wasm").
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_route: Self) -> AnyView {
                use $crate::any_view::IntoAnyView;
                view! { <$page/> }.into_any_view()
            }
        }
    };
}

mod conversations;
mod my_schedule;
mod not_found;
mod schedule;
mod session;
mod sign_in;
mod sign_up;
mod thread;

pub use conversations::ConversationsRoute;
pub use my_schedule::MyScheduleRoute;
pub use not_found::NotFoundPage;
pub use schedule::ScheduleRoute;
pub use session::SessionRoute;
pub use sign_in::SignInRoute;
pub use sign_up::SignUpRoute;
pub use thread::ThreadRoute;

/// Loads the code of the page the browser opened (its chunks of the split
/// wasm) before hydration starts, so that hydration runs in one go as it
/// did before the split. Hydrating while a chunk downloads would let the
/// app's effects (the worker's version, the outbox's queue) change what
/// parts of the page not hydrated yet show, and those parts would then not
/// hydrate. The patterns are those of the `<Routes>` in [`crate::App`], in
/// the same order: a page missing here stops hydration with a panic.
#[cfg(feature = "hydrate")]
pub async fn load_current_page() {
    use leptos::prelude::window;
    use leptos_router::{path, LazyRoute, PossibleRouteMatch};

    fn is(pattern: impl PossibleRouteMatch, path: &str) -> bool {
        pattern
            .test(path)
            .is_some_and(|found| matches!(found.remaining(), "" | "/"))
    }

    let path = window().location().pathname().unwrap_or_default();
    let path = path.as_str();
    if is(path!("/"), path) {
        ScheduleRoute::preload().await;
    } else if is(path!("/sessions/:id"), path) {
        SessionRoute::preload().await;
    } else if is(path!("/my-schedule"), path) {
        MyScheduleRoute::preload().await;
    } else if is(path!("/messages"), path) {
        ConversationsRoute::preload().await;
    } else if is(path!("/messages/:id"), path) {
        ThreadRoute::preload().await;
    } else if is(path!("/login"), path) {
        SignInRoute::preload().await;
    } else if is(path!("/signup"), path) {
        SignUpRoute::preload().await;
    }
}

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
