//! Type erasure for this app's views: [`IntoAnyView::into_any_view`] is
//! `.into_any()` without the code of asynchronous hydration. The app erases
//! only where the framework wants an `AnyView` (a lazy route's view);
//! branches of one view that differ in type are `Either`s, which compile
//! less than an `AnyView` does.
//!
//! An `AnyView` keeps a pointer to every way its view can be rendered, so
//! each `.into_any()` compiles all of them for the whole subtree, async
//! hydration (`hydrate_async`) included. That path serves
//! `hydrate_lazy()`, which this app does not use: it loads the opened
//! page's code first and hydrates in one go (`routes::load_current_page`).
//! The wrapper here delegates everything but `hydrate_async`, which keeps
//! the trait's default (synchronous hydration, run in a ready future), so
//! the subtree's async hydration code is never instantiated: about a sixth
//! of a page's wasm.

use crate::view_wrapper::render_html_as_inner;
use leptos::prelude::*;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{PositionState, Render, RenderHtml};

/// `V`, hydrated synchronously even when asked to hydrate asynchronously.
pub struct SyncHydrated<V>(V);

pub trait IntoAnyView {
    /// Erases the view's type, as `.into_any()` does (see the module text).
    fn into_any_view(self) -> AnyView;
}

impl<V: RenderHtml + 'static> IntoAnyView for V {
    fn into_any_view(self) -> AnyView {
        SyncHydrated(self).into_any()
    }
}

impl<V: Render> Render for SyncHydrated<V> {
    type State = V::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state)
    }
}

impl<V: AddAnyAttr> AddAnyAttr for SyncHydrated<V> {
    type Output<SomeNewAttr: Attribute> = SyncHydrated<V::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        SyncHydrated(self.0.add_any_attr(attr))
    }
}

impl<V: RenderHtml> RenderHtml for SyncHydrated<V> {
    render_html_as_inner!(SyncHydrated);

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }
}
