//! A view in a newtype that changes only how it hydrates (`any_view`,
//! `deferred`): everything else, the server's HTML above all, is the view's
//! own. The macro here writes that delegation once for both.

/// The items of `RenderHtml for $wrapper<V>` that hand each call to the
/// view inside: everything but `hydrate`, which the wrapper writes itself.
macro_rules! render_html_as_inner {
    ($wrapper:ident) => {
        type AsyncOutput = $wrapper<V::AsyncOutput>;
        type Owned = $wrapper<V::Owned>;

        const MIN_LENGTH: usize = V::MIN_LENGTH;
        const EXISTS: bool = V::EXISTS;

        fn dry_resolve(&mut self) {
            self.0.dry_resolve()
        }

        fn resolve(self) -> impl ::std::future::Future<Output = Self::AsyncOutput> + Send {
            let resolving = self.0.resolve();
            async move { $wrapper(resolving.await) }
        }

        fn html_len(&self) -> usize {
            self.0.html_len()
        }

        fn to_html_with_buf(
            self,
            buf: &mut String,
            position: &mut ::leptos::tachys::view::Position,
            escape: bool,
            mark_branches: bool,
            extra_attrs: Vec<::leptos::tachys::html::attribute::any_attribute::AnyAttribute>,
        ) {
            self.0
                .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
        }

        fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
            self,
            buf: &mut ::leptos::tachys::ssr::StreamBuilder,
            position: &mut ::leptos::tachys::view::Position,
            escape: bool,
            mark_branches: bool,
            extra_attrs: Vec<::leptos::tachys::html::attribute::any_attribute::AnyAttribute>,
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

        fn into_owned(self) -> Self::Owned {
            $wrapper(self.0.into_owned())
        }
    };
}

pub(crate) use render_html_as_inner;
