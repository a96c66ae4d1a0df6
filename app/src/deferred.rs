//! Hydration in more than one browser task. Hydrating a page is one long
//! task, most of it V8 compiling each wasm function on its first call, and
//! the page answers no input until it ends (Lighthouse's Total Blocking
//! Time). [`deferred`] marks an element whose hydration waits for a task of
//! its own: the task around it only claims the element the server rendered
//! and moves on.
//!
//! Deferred parts hydrate ahead of every effect the hydration started
//! (`crate::executor::spawn_ahead`), as if hydration had run in one go:
//! nothing the app does once hydrated can change what they show before
//! they are hydrated, so the server's HTML still matches them.

use crate::view_wrapper::render_html_as_inner;
use leptos::prelude::*;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::html::element::{ElementType, HtmlElement};
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::types::{Element, Node};
use leptos::tachys::renderer::{CastFrom, Rndr};
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Mountable, Position, PositionState, Render, RenderHtml};
use std::cell::RefCell;
use std::rc::Rc;

/// `element`, hydrated in a browser task of its own (see the module text).
pub fn deferred<E, At, Ch>(
    element: View<HtmlElement<E, At, Ch>>,
) -> Deferred<HtmlElement<E, At, Ch>>
where
    HtmlElement<E, At, Ch>: RenderHtml,
    E: ElementType,
{
    Deferred(element.into_inner())
}

/// One element whose hydration waits for a task of its own; anything else
/// renders as the element does.
pub struct Deferred<V>(V);

/// The element, then its state once hydrated. Not generic: only building
/// and hydrating the view inside are compiled once per deferred view.
pub struct DeferredState {
    element: Element,
    /// `None` while the hydration is queued.
    hydrated: Rc<RefCell<Option<Box<dyn Mountable>>>>,
}

impl DeferredState {
    fn built(state: Box<dyn Mountable>) -> Self {
        DeferredState {
            element: the_element(&*state),
            hydrated: Rc::new(RefCell::new(Some(state))),
        }
    }

    /// Puts `fresh` where the element is: a deferred view is rebuilt
    /// anew, which it rarely is (its parent re-rendering it), rather than
    /// compiling an in-place rebuild of every deferred view. One replaced
    /// before its hydration ran takes the server's element with it, and the
    /// queued hydration finds nothing left to do.
    fn replace(&mut self, mut fresh: Box<dyn Mountable>) {
        self.insert_before_this(fresh.as_mut());
        self.unmount();
        self.element = the_element(&*fresh);
        *self.hydrated.borrow_mut() = Some(fresh);
    }
}

/// The one element a deferred view renders.
fn the_element(state: &dyn Mountable) -> Element {
    state
        .elements()
        .into_iter()
        .next()
        .expect("a deferred view is one element")
}

impl<V: Render + 'static> Render for Deferred<V> {
    type State = DeferredState;

    fn build(self) -> Self::State {
        DeferredState::built(Box::new(self.0.build()))
    }

    fn rebuild(self, state: &mut Self::State) {
        state.replace(Box::new(self.0.build()));
    }
}

impl Mountable for DeferredState {
    fn unmount(&mut self) {
        match self.hydrated.borrow_mut().as_mut() {
            Some(inner) => inner.unmount(),
            None => Rndr::remove(self.element.as_ref()),
        }
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        match self.hydrated.borrow_mut().as_mut() {
            Some(inner) => inner.mount(parent, marker),
            None => Rndr::insert_node(parent, self.element.as_ref(), marker),
        }
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        match Rndr::get_parent(&self.element).and_then(Element::cast_from) {
            Some(parent) => {
                child.mount(&parent, Some(self.element.as_ref()));
                true
            }
            None => false,
        }
    }

    fn elements(&self) -> Vec<Element> {
        vec![self.element.clone()]
    }
}

/// An attribute added from outside hydrates with the element, at once.
impl<V: AddAnyAttr> AddAnyAttr for Deferred<V> {
    type Output<SomeNewAttr: Attribute> = V::Output<SomeNewAttr>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        self.0.add_any_attr(attr)
    }
}

impl<V: RenderHtml + 'static> RenderHtml for Deferred<V> {
    render_html_as_inner!(Deferred);

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        let view = self.0;
        queue_hydration(
            claim_element(cursor, position),
            Box::new(move |cursor| {
                let state =
                    view.hydrate::<FROM_SERVER>(cursor, &PositionState::new(Position::Current));
                Box::new(state)
            }),
        )
    }
}

/// Moves the cursor onto the next element, as hydrating that element would,
/// and past it.
fn claim_element(cursor: &Cursor, position: &PositionState) -> Element {
    match position.get() {
        Position::FirstChild => cursor.child(),
        Position::Current => {}
        _ => cursor.sibling(),
    }
    let element = Element::cast_from(cursor.current())
        .expect("the server rendered a deferred view as one element");
    position.set(Position::NextChild);
    element
}

type Hydrate = Box<dyn FnOnce(&Cursor) -> Box<dyn Mountable>>;

/// Queues `hydrate` for `element` under the current owner, ahead of every
/// effect; only a page hydrates, so on the server nothing is queued.
fn queue_hydration(element: Element, hydrate: Hydrate) -> DeferredState {
    let hydrated = Rc::new(RefCell::new(None));
    #[cfg(feature = "hydrate")]
    {
        let owner = Owner::current();
        let slot = Rc::clone(&hydrated);
        let at = element.clone();
        crate::executor::spawn_ahead(Box::pin(async move {
            if slot.borrow().is_some() {
                return;
            }
            let run = move || hydrate(&Cursor::new(at));
            let state = match owner {
                Some(owner) => owner.with(run),
                None => run(),
            };
            *slot.borrow_mut() = Some(state);
        }));
    }
    #[cfg(not(feature = "hydrate"))]
    drop(hydrate);
    DeferredState { element, hydrated }
}
