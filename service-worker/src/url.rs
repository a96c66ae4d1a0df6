//! Cache keys: URLs without their fragment and without tracking parameters,
//! so `/?utm_source=x` finds the copy of `/`.

/// Parameters that only say where a visit came from.
const TRACKING_PREFIXES: &[&str] = &["utm_"];
const TRACKING_NAMES: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
    "yclid", "_ga", "_gl",
];

pub fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || TRACKING_NAMES.contains(&name.as_str())
}

/// `url` without its fragment and tracking parameters; other parameters
/// keep their order.
pub fn cache_key(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let Some((base, query)) = without_fragment.split_once('?') else {
        return without_fragment.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !is_tracking_parameter(pair.split('=').next().unwrap_or(pair)))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// What follows `scheme://` in an absolute URL. Searched byte by byte: a
/// `&str` pattern brings in the two-way string searcher, compiled when a
/// cold worker routes its first request.
pub fn after_scheme(url: &str) -> Option<&str> {
    url.as_bytes()
        .windows(3)
        .position(|window| window == b"://")
        .map(|index| &url[index + 3..])
}

/// The path of an absolute or root-relative URL: what routes match on.
pub fn path_of(url: &str) -> &str {
    let path = match after_scheme(url) {
        Some(rest) => rest.find('/').map_or("", |index| &rest[index..]),
        None => url,
    };
    let end = path.find(['?', '#']).unwrap_or(path.len());
    if path.is_empty() {
        "/"
    } else {
        &path[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_are_dropped_and_others_kept_in_order() {
        assert_eq!(
            cache_key("http://h/?utm_source=web_app_manifest"),
            "http://h/"
        );
        assert_eq!(
            cache_key("http://h/?day=2&UTM_Medium=x&fbclid=1&b=3#top"),
            "http://h/?day=2&b=3"
        );
        assert_eq!(cache_key("http://h/messages"), "http://h/messages");
        assert_eq!(cache_key("http://h/a?"), "http://h/a");
        assert_eq!(cache_key("http://h/a?utm=1"), "http://h/a?utm=1");
    }

    #[test]
    fn paths_are_read_from_absolute_urls() {
        assert_eq!(
            path_of("http://127.0.0.1:3000/api/thread?id=1"),
            "/api/thread"
        );
        assert_eq!(path_of("http://127.0.0.1:3000"), "/");
        assert_eq!(path_of("/sessions/4#speakers"), "/sessions/4");
        assert_eq!(path_of("http://h?x=1"), "/");
    }

    #[test]
    fn the_scheme_ends_at_its_separator() {
        assert_eq!(after_scheme("https://h/a"), Some("h/a"));
        assert_eq!(after_scheme("http://"), Some(""));
        assert_eq!(after_scheme("/a/b"), None);
    }
}
