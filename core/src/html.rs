/// Text made safe to write between HTML tags or inside a quoted attribute,
/// for the few places that write HTML by hand (the page title on the
/// server, the worker's offline page).
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The Content-Security-Policy of every HTML page: scripts and styles only
/// from this server or inline with the page's nonce, wasm allowed to
/// compile, nothing framed, no plugins, no `<base>` rewriting. One
/// definition, for pages the server renders (with their nonce), any other
/// HTML it answers with, and the pages the service worker makes (without).
/// `live_reload` is development's only addition: the socket on which `cargo
/// leptos watch` tells the page to reload.
pub fn content_security_policy(nonce: Option<&str>, live_reload: Option<&str>) -> String {
    let inline = nonce.map_or_else(String::new, |nonce| format!(" 'nonce-{nonce}'"));
    let reload = live_reload.map_or_else(String::new, |source| format!(" {source}"));
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; \
         style-src 'self'{inline}; img-src 'self' data:; connect-src 'self'{reload}; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'; report-uri /api/csp-reports"
    )
}

#[cfg(test)]
mod tests {
    use super::{content_security_policy, escape_html};

    #[test]
    fn only_development_may_connect_to_the_reload_socket() {
        let production = content_security_policy(Some("n0nce"), None);
        assert!(production.contains("script-src 'self' 'nonce-n0nce' 'wasm-unsafe-eval'"));
        assert!(production.contains("connect-src 'self';"));
        let development = content_security_policy(None, Some("ws://*:3001"));
        assert!(development.contains("connect-src 'self' ws://*:3001;"));
    }

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape_html(r#"</title><img src=x onerror="alert('x')">&"#),
            "&lt;/title&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
    }
}
