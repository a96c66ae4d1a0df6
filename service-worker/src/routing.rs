//! Which strategy answers which request. A route is a matcher, a method and
//! a strategy; the first route that matches wins.

use crate::caches;
use crate::url::path_of;

/// What a route needs to know of a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub same_origin: bool,
    pub navigation: bool,
    /// `Request.destination`: "image", "script", "" for fetch()…
    pub destination: &'a str,
    /// Whether the URL is in the precache manifest.
    pub precached: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// Sign-in, sign-up, sign-out: who the user is changes.
    AccountChange,
    Precached,
    Navigation,
    /// GET server functions and API reads.
    DataRead,
    Image,
    /// Any other same-origin file.
    OtherStatic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrategyChoice {
    NetworkFirst {
        cache: &'static str,
        timeout_ms: u32,
    },
    CacheFirst {
        cache: &'static str,
    },
    StaleWhileRevalidate {
        cache: &'static str,
    },
    CacheOnly,
    NetworkOnly,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Route {
    pub matcher: Matcher,
    /// `None`: any method.
    pub method: Option<&'static str>,
    pub strategy: StrategyChoice,
}

/// Requests the worker leaves to the browser: the live-update stream (a
/// never-ending response) and mutations other than account changes.
const LIVE_STREAM_PATH: &str = "/api/events";
const ACCOUNT_PATHS: &[&str] = &["/api/sign_in", "/api/sign_up", "/api/sign_out"];

/// Where navigations keep their pages.
pub const NAVIGATION_CACHE: &str = caches::PAGES;
/// A navigation waits this long for the network before using the cache.
pub const NAVIGATION_TIMEOUT_MS: u32 = 3_000;
/// A data read waits this long.
pub const DATA_TIMEOUT_MS: u32 = 4_000;

pub const ROUTES: &[Route] = &[
    Route {
        matcher: Matcher::AccountChange,
        method: Some("POST"),
        strategy: StrategyChoice::NetworkOnly,
    },
    Route {
        matcher: Matcher::Precached,
        method: Some("GET"),
        strategy: StrategyChoice::CacheOnly,
    },
    Route {
        matcher: Matcher::Navigation,
        method: Some("GET"),
        strategy: StrategyChoice::NetworkFirst {
            cache: NAVIGATION_CACHE,
            timeout_ms: NAVIGATION_TIMEOUT_MS,
        },
    },
    Route {
        matcher: Matcher::DataRead,
        method: Some("GET"),
        strategy: StrategyChoice::NetworkFirst {
            cache: caches::DATA,
            timeout_ms: DATA_TIMEOUT_MS,
        },
    },
    Route {
        matcher: Matcher::Image,
        method: Some("GET"),
        strategy: StrategyChoice::CacheFirst {
            cache: caches::IMAGES,
        },
    },
    Route {
        matcher: Matcher::OtherStatic,
        method: Some("GET"),
        strategy: StrategyChoice::StaleWhileRevalidate {
            cache: caches::STATIC,
        },
    },
];

impl Matcher {
    fn matches(self, request: &RequestFacts<'_>) -> bool {
        let path = path_of(request.url);
        match self {
            Matcher::AccountChange => ACCOUNT_PATHS.contains(&path),
            Matcher::Precached => request.precached,
            Matcher::Navigation => request.navigation,
            Matcher::DataRead => path.starts_with("/api/") && path != LIVE_STREAM_PATH,
            Matcher::Image => request.destination == "image" || path.starts_with("/images/"),
            Matcher::OtherStatic => !path.starts_with("/api/"),
        }
    }
}

/// The route for `request`, or `None` when the browser should handle it alone.
pub fn route_for(request: &RequestFacts<'_>) -> Option<&'static Route> {
    if !request.same_origin {
        return None;
    }
    ROUTES.iter().find(|route| {
        route.method.is_none_or(|method| method == request.method) && route.matcher.matches(request)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(method: &'static str, url: &'static str) -> RequestFacts<'static> {
        RequestFacts {
            method,
            url,
            same_origin: true,
            navigation: false,
            destination: "",
            precached: false,
        }
    }

    fn matcher(request: RequestFacts<'_>) -> Option<Matcher> {
        route_for(&request).map(|route| route.matcher)
    }

    #[test]
    fn navigations_and_reads_are_network_first() {
        let page = RequestFacts {
            navigation: true,
            destination: "document",
            ..facts("GET", "http://h/my-schedule")
        };
        assert_eq!(matcher(page), Some(Matcher::Navigation));
        let read = facts("GET", "http://h/api/thread?id=1");
        assert_eq!(matcher(read), Some(Matcher::DataRead));
        assert!(matches!(
            route_for(&read).unwrap().strategy,
            StrategyChoice::NetworkFirst {
                cache: caches::DATA,
                ..
            }
        ));
    }

    #[test]
    fn mutations_and_the_live_stream_are_left_to_the_network() {
        assert_eq!(matcher(facts("POST", "http://h/api/send_message")), None);
        assert_eq!(matcher(facts("POST", "http://h/api/set_bookmark")), None);
        assert_eq!(matcher(facts("GET", "http://h/api/events")), None);
        assert_eq!(matcher(facts("PUT", "http://h/anything")), None);
        let foreign = RequestFacts {
            same_origin: false,
            ..facts("GET", "http://elsewhere/x.png")
        };
        assert_eq!(matcher(foreign), None);
    }

    #[test]
    fn account_changes_pass_through_the_worker() {
        for path in [
            "http://h/api/sign_in",
            "http://h/api/sign_up",
            "http://h/api/sign_out",
        ] {
            let route = route_for(&facts("POST", path)).unwrap();
            assert_eq!(route.matcher, Matcher::AccountChange);
            assert_eq!(route.strategy, StrategyChoice::NetworkOnly);
        }
    }

    #[test]
    fn precached_files_win_over_other_routes() {
        let wasm = RequestFacts {
            precached: true,
            destination: "script",
            ..facts("GET", "http://h/pkg/mozi.wasm")
        };
        assert_eq!(matcher(wasm), Some(Matcher::Precached));
        let icon = RequestFacts {
            precached: true,
            destination: "image",
            ..facts("GET", "http://h/icons/icon-192.png")
        };
        assert_eq!(matcher(icon), Some(Matcher::Precached));
    }

    #[test]
    fn images_are_cache_first_and_other_files_stale_while_revalidate() {
        let photo = RequestFacts {
            destination: "image",
            ..facts("GET", "http://h/images/speakers/ada.svg")
        };
        assert_eq!(matcher(photo), Some(Matcher::Image));
        assert_eq!(
            matcher(facts("GET", "http://h/robots.txt")),
            Some(Matcher::OtherStatic)
        );
    }
}
