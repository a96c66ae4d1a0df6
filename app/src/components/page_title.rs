//! The document's title, "Title · MOZI". The server writes it into the
//! page's `<head>` through leptos_meta; in the browser a page sets
//! `document.title` itself when it renders, so leptos_meta's client code
//! (its title stack, formatter and effects) is not in any first load.

use leptos::prelude::*;

/// Sets the document's title to `text` · MOZI; renders nothing in place.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    let full = page_title(text);
    // leptos_meta 0.8 writes `<title>` text into the HTML as it is, and
    // titles carry names people chose: escaped here.
    #[cfg(feature = "ssr")]
    return view! { <leptos_meta::Title text=mozi_core::escape_html(&full)/> };
    #[cfg(not(feature = "ssr"))]
    return DocumentTitle(full);
}

fn page_title(title: String) -> String {
    if title.is_empty() {
        "MOZI".to_owned()
    } else {
        format!("{title} · MOZI")
    }
}

/// In the browser: the title, set whenever its page renders. A hydrated
/// page has it from the server already; there is nothing in the body.
#[cfg(not(feature = "ssr"))]
struct DocumentTitle(String);

#[cfg(not(feature = "ssr"))]
mod document_title {
    use super::DocumentTitle;
    use leptos::prelude::document;
    use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
    use leptos::tachys::html::attribute::Attribute;
    use leptos::tachys::hydration::Cursor;
    use leptos::tachys::view::add_attr::AddAnyAttr;
    use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

    impl Render for DocumentTitle {
        type State = ();

        fn build(self) {
            document().set_title(&self.0);
        }

        fn rebuild(self, _state: &mut ()) {
            document().set_title(&self.0);
        }
    }

    impl AddAnyAttr for DocumentTitle {
        type Output<SomeNewAttr: Attribute> = DocumentTitle;

        fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr>
        where
            Self::Output<NewAttr>: RenderHtml,
        {
            self
        }
    }

    impl RenderHtml for DocumentTitle {
        type AsyncOutput = Self;
        type Owned = Self;

        const MIN_LENGTH: usize = 0;
        const EXISTS: bool = false;

        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self {
            self
        }

        /// The server renders leptos_meta's title instead.
        fn to_html_with_buf(
            self,
            _buf: &mut String,
            _position: &mut Position,
            _escape: bool,
            _mark_branches: bool,
            _extra_attrs: Vec<AnyAttribute>,
        ) {
        }

        fn hydrate<const FROM_SERVER: bool>(self, _cursor: &Cursor, _position: &PositionState) {}

        fn into_owned(self) -> Self {
            self
        }
    }
}
