//! One file per page.

/// `$route`, the page `$page` as a lazy route: its code is the module
/// `$module` of the split wasm, fetched when the page is first shown
/// (README, "Split wasm"). A page whose module cannot be fetched (offline,
/// before the service worker has precached it) is loaded whole
/// (`split::page_or_whole_load`), where `#[lazy_route]` would panic.
macro_rules! lazy_page {
    ($route:ident, $page:ident, $module:ident) => {
        pub struct $route;

        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_route: Self) -> AnyView {
                #[cfg(feature = "hydrate")]
                return $crate::split::page_or_whole_load(page_view().await);
                #[cfg(not(feature = "hydrate"))]
                return page();
            }

            /// One attempt: the router awaits this before it shows the
            /// page, and a failure shows when [`Self::view`] tries again.
            async fn preload() {
                #[cfg(feature = "hydrate")]
                let _ = Self::load().await;
            }
        }

        #[cfg(feature = "hydrate")]
        impl $route {
            /// Fetches the page's module, without showing it.
            pub async fn load() -> Result<(), leptos::wasm_split::SplitLoaderError> {
                load_page_view().await
            }
        }

        fn page() -> AnyView {
            use $crate::any_view::IntoAnyView;
            view! { <$page/> }.into_any_view()
        }

        /// The split point: everything only the page reaches is in the
        /// module this loads.
        #[cfg(feature = "hydrate")]
        #[leptos::wasm_split::wasm_split($module, wasm_split_path = ::leptos::wasm_split, preload(load_page_view), fallible)]
        fn page_view() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
            Ok(page())
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
/// hydrate. A download that fails (the network lost before the worker
/// precached the page) is tried again once online; meanwhile the page
/// works as the server sent it, through its plain forms and links. The
/// patterns are those of the `<Routes>` in [`crate::App`], in the same
/// order: a page missing here stops hydration with a panic.
#[cfg(feature = "hydrate")]
pub async fn load_current_page() {
    use crate::split::{until_loaded, Loader};
    use leptos::prelude::window;
    use leptos_router::{path, PossibleRouteMatch};

    fn is(pattern: impl PossibleRouteMatch, path: &str) -> bool {
        pattern
            .test(path)
            .is_some_and(|found| matches!(found.remaining(), "" | "/"))
    }

    let path = window().location().pathname().unwrap_or_default();
    let path = path.as_str();
    let load: Loader<()> = if is(path!("/"), path) {
        || Box::pin(ScheduleRoute::load())
    } else if is(path!("/sessions/:id"), path) {
        || Box::pin(SessionRoute::load())
    } else if is(path!("/my-schedule"), path) {
        || Box::pin(MyScheduleRoute::load())
    } else if is(path!("/messages"), path) {
        || Box::pin(ConversationsRoute::load())
    } else if is(path!("/messages/:id"), path) {
        || Box::pin(ThreadRoute::load())
    } else if is(path!("/login"), path) {
        || Box::pin(SignInRoute::load())
    } else if is(path!("/signup"), path) {
        || Box::pin(SignUpRoute::load())
    } else {
        return;
    };
    until_loaded(load).await;
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
