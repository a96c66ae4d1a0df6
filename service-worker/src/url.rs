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

/// The path of an absolute or root-relative URL: what routes match on.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_start = if url.contains("://") {
        after_scheme
            .find('/')
            .map_or(after_scheme.len(), |index| index)
    } else {
        0
    };
    let path = &after_scheme[path_start..];
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
    }
}
