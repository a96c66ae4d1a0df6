//! The page for a URL that was never visited: the precached template with
//! a list of the pages that are available offline.

use mozi_core::escape_html;

/// Where the list goes in `/offline.html`.
pub const PLACEHOLDER: &str = "<!-- mozi:offline-pages -->";

/// The text of the first `<title>`, unescaped enough for display.
pub fn title_of(html: &str) -> Option<String> {
    let start = html.find("<title")?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</title>")?;
    let title = html[open_end..close].trim();
    (!title.is_empty()).then(|| {
        title
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
    })
}

/// `pages` are (path, title); the list is ordered by title, then path.
pub fn render(template: &str, pages: &[(String, String)]) -> String {
    // Put in order one by one (a binary search for each): the worker's
    // wasm then carries no sorting code, a few KB, for a list of a few
    // hundred pages at most.
    let mut ordered: Vec<&(String, String)> = Vec::with_capacity(pages.len());
    for page in pages {
        let at = ordered.partition_point(|other| (&other.1, &other.0) <= (&page.1, &page.0));
        ordered.insert(at, page);
    }
    let list = if ordered.is_empty() {
        "<p>No pages are saved on this device yet.</p>".to_owned()
    } else {
        let items: String = ordered
            .iter()
            .map(|(path, title)| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape_html(path),
                    escape_html(title)
                )
            })
            .collect();
        format!("<ul class=\"offline-pages\">{items}</ul>")
    };
    template.replacen(PLACEHOLDER, &list, 1)
}

/// Marks a cached page as shown offline, with when it was saved, for the
/// page's offline indicator to read.
pub fn mark_offline(html: &str, saved_at_ms: &str) -> String {
    let meta = format!(
        "<meta name=\"mozi-offline\" content=\"{}\">",
        escape_html(saved_at_ms)
    );
    match html.find("<head>") {
        Some(index) => {
            let insert_at = index + "<head>".len();
            format!("{}{meta}{}", &html[..insert_at], &html[insert_at..])
        }
        None => format!("{meta}{html}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_read_and_lists_escaped() {
        let page = "<html><head><title>Ada &amp; Bob · MOZI</title></head></html>";
        assert_eq!(title_of(page).as_deref(), Some("Ada & Bob · MOZI"));
        assert_eq!(title_of("<p>no title</p>"), None);
        let pages = [
            ("/my-schedule".to_owned(), "My schedule · MOZI".to_owned()),
            ("/?x=\"<".to_owned(), "<Schedule>".to_owned()),
        ];
        let html = render("<main><!-- mozi:offline-pages --></main>", &pages);
        assert_eq!(
            html,
            "<main><ul class=\"offline-pages\"><li><a href=\"/?x=&quot;&lt;\">&lt;Schedule&gt;</a></li>\
             <li><a href=\"/my-schedule\">My schedule · MOZI</a></li></ul></main>"
        );
    }

    #[test]
    fn pages_are_listed_by_title_then_path() {
        let page = |path: &str, title: &str| (path.to_owned(), title.to_owned());
        let pages = [
            page("/c", "Beta"),
            page("/b", "Alpha"),
            page("/d", "Alpha"),
            page("/a", "Gamma"),
            page("/a2", "Alpha"),
        ];
        let html = render("<!-- mozi:offline-pages -->", &pages);
        let order: Vec<_> = ["/a2\"", "/b\"", "/d\"", "/c\"", "/a\""]
            .iter()
            .map(|href| html.find(href).expect("listed"))
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{html}");
    }

    #[test]
    fn an_empty_list_says_so() {
        let html = render("<!-- mozi:offline-pages -->", &[]);
        assert!(html.contains("No pages are saved"));
    }

    #[test]
    fn the_offline_marker_goes_into_the_head() {
        assert_eq!(
            mark_offline("<html><head><title>x</title></head></html>", "123"),
            "<html><head><meta name=\"mozi-offline\" content=\"123\"><title>x</title></head></html>"
        );
    }
}
