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

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};
use std::future::Future;

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
    type AsyncOutput = SyncHydrated<V::AsyncOutput>;
    type Owned = SyncHydrated<V::Owned>;

    const MIN_LENGTH: usize = V::MIN_LENGTH;
    const EXISTS: bool = V::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve()
    }

    fn resolve(self) -> impl Future<Output = Self::AsyncOutput> + Send {
        let resolving = self.0.resolve();
        async move { SyncHydrated(resolving.await) }
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        )
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        SyncHydrated(self.0.into_owned())
    }
}
