use crate::api::messaging::{get_thread, mark_read};
use crate::components::{use_auth, Composer, ErrorNotice, Loading, PageTitle, QueuedStatus};
use crate::deferred::deferred;
use crate::drafts::Draft;
use crate::live::use_live_updates;
use crate::outbox::{use_outbox, PendingStart};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_params_map, use_query_map};
use mozi_core::{
    format_clock, format_date, AppError, ConversationId, MessageId, MessageView, Mutation, Thread,
    UnixMillis, UserId,
};
use mozi_outbox::OutboxRecord;
use std::sync::Arc;

lazy_page!(ThreadRoute, ThreadPage, thread_route_view);

/// `/messages/:id`: one conversation and its composer. Messages still in
/// the device's outbox show in their place with their state.
#[component]
fn ThreadPage() -> impl IntoView {
    let auth = use_auth();
    let live = use_live_updates();
    let outbox = use_outbox();
    let params = use_params_map();
    let query = use_query_map();
    // Where this page of older messages starts; `None` shows the latest.
    // Plain closures: the resource below compares its source's values, and
    // the router's maps change only when the address does.
    let before = move || query.read().get("before");
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    };
    // Counts the messages of this conversation the server pushed that the
    // page does not show yet; only those make it refetch. Those this device
    // sent are shown already (queued, then delivered): refetching for each
    // would render a long thread again and again while its queue is sent.
    let arrivals = Memo::new(move |previous: Option<&usize>| {
        let new = live.latest.with(|latest| {
            latest.as_ref().is_some_and(|message| {
                Some(message.conversation_id) == id()
                    && !outbox.sent_from_here_untracked(message.id)
            })
        });
        previous.copied().unwrap_or(0) + usize::from(new)
    });
    // A record of this conversation leaving the queue (delivered, mostly)
    // means the server has more to show; one joining it does not.
    let deliveries = Memo::new(move |previous: Option<&(usize, usize)>| {
        let now = id().map_or(0, |id| outbox.count_in(id));
        match previous {
            Some(&(before, count)) if now < before => (now, count + 1),
            Some(&(_, count)) => (now, count),
            None => (now, 0),
        }
    });
    let me = Memo::new(move |_| {
        auth.user
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|user| user.id)
    });
    let thread = Resource::new(
        move || {
            (
                id(),
                arrivals.get(),
                live.refetches.get(),
                deliveries.get().1,
                auth.generation(),
                before(),
            )
        },
        move |(id, .., before)| async move {
            match id {
                // Started on this device and not delivered yet: the server
                // does not know it, so there is nothing to ask.
                Some(id) if outbox.pending_start_untracked(id) => Err(AppError::not_found(
                    "This conversation is not on the server yet.",
                )),
                Some(id) => get_thread(id, before).await,
                None => Err(AppError::not_found("There is no such conversation.")),
            }
        },
    );

    let follow = FollowNewest::new();

    // Whatever this page has shown counts as read.
    Effect::new(move |_| {
        if let Some(Ok(thread)) = thread.get() {
            spawn_local(async move {
                // A failure only leaves the unread count as it was.
                if let Err(error) = mark_read(thread.id).await {
                    leptos::logging::warn!("could not mark the conversation read: {error}");
                }
            });
        }
    });

    view! {
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let me = auth.user.await?.map(|user| user.id);
                    let shown = match thread.await {
                        Ok(thread) => Shown::from_server(thread, untrack(before).is_none()),
                        Err(error) => {
                            // Started on this device and not on the server yet.
                            let started = id()
                                .and_then(|id| outbox.pending_start(id).map(|start| (id, start)));
                            let Some((conversation, start)) = started else {
                                return Err(error);
                            };
                            Shown::started_here(conversation, start)
                        }
                    };
                    let paged = shown.older.is_some();
                    let draft = me.map(|me| Draft::new(me, shown.conversation).key().to_owned());
                    Ok::<_, AppError>(view! {
                        <PageTitle text=shown.title.clone()/>
                        // `drafts::KEY_ATTRIBUTE`: the page's draft script reads it.
                        <header class="thread-head" data-draft=draft>
                            <p class="back"><a href="/messages">"← All conversations"</a></p>
                            <h1>{shown.title}</h1>
                            <p class="members">{shown.members}</p>
                        </header>
                        {shown.start.map(|record| view! { <p class="conversation-start"><QueuedStatus record/></p> })}
                        {shown.older.map(|href| view! { <p class="pager"><a href=href>"Older messages"</a></p> })}
                        <MessageList
                            conversation=shown.conversation
                            me
                            stored=shown.messages
                            latest=shown.newest.is_none()
                            paged
                            follow
                        />
                        {shown.newest.map(|href| view! { <p class="pager"><a href=href>"Newest messages"</a></p> })}
                    })
                })}
            </ErrorBoundary>
        </Transition>
        // Sticks to the bottom of the window, below the newest message.
        <div class="thread-foot">
            {move || follow.unseen.get().then(|| view! {
                <button type="button" class="new-messages" on:click=move |_| follow.show_newest()>
                    "New messages"
                </button>
            })}
            // Outside the part each refetch rebuilds: what is being typed
            // never lands in a box that is going away.
            {move || id().map(|conversation| view! { <Composer conversation me/> })}
        </div>
    }
}

/// What the page shows of a conversation: the server's page of it, or one
/// started on this device that the server does not have yet. One shape for
/// both, so the page has one view.
struct Shown {
    conversation: ConversationId,
    title: String,
    members: String,
    /// The queued start of a conversation started here.
    start: Option<Arc<OutboxRecord>>,
    messages: Vec<MessageView>,
    /// Links to the older page (older messages are on other pages) and, on
    /// an older page, to the newest.
    older: Option<String>,
    newest: Option<String>,
}

impl Shown {
    /// `latest`: the newest page, where queued and delivered messages show too.
    fn from_server(thread: Thread, latest: bool) -> Self {
        let here = format!("/messages/{}", thread.id);
        Self {
            conversation: thread.id,
            members: thread
                .members
                .iter()
                .map(|member| format!("{} (@{})", member.display_name, member.username))
                .collect::<Vec<_>>()
                .join(", "),
            title: thread.title,
            start: None,
            messages: thread.messages,
            older: thread.older.map(|older| format!("{here}?before={older}")),
            newest: (!latest).then_some(here),
        }
    }

    fn started_here(conversation: ConversationId, start: PendingStart) -> Self {
        Self {
            conversation,
            title: "New conversation".to_owned(),
            members: format!("With {}", start.usernames),
            start: Some(start.record),
            messages: Vec::new(),
            older: None,
            newest: None,
        }
    }
}

/// A message as the thread shows it: stored on the server, or still queued.
#[derive(Clone, PartialEq)]
enum Entry {
    Stored(MessageView),
    Queued {
        record: Arc<OutboxRecord>,
        created_at: UnixMillis,
    },
}

impl Entry {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn id(&self) -> Option<MessageId> {
        match self {
            Entry::Stored(message) => Some(message.id),
            Entry::Queued { record, .. } => match &record.mutation {
                Mutation::SendMessage { id, .. } => Some(*id),
                _ => None,
            },
        }
    }

    /// Written by `me`: queued on this device, or stored under their name.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn is_mine(&self, me: Option<UserId>) -> bool {
        match self {
            Entry::Stored(message) => Some(message.author.id) == me,
            Entry::Queued { .. } => true,
        }
    }

    fn created_at(&self) -> UnixMillis {
        match self {
            Entry::Stored(message) => message.created_at,
            Entry::Queued { created_at, .. } => *created_at,
        }
    }
}

/// The server's messages, those delivered from the queue since, and those
/// still queued, in the order they were written.
#[component]
fn MessageList(
    conversation: ConversationId,
    me: Option<UserId>,
    stored: Vec<MessageView>,
    /// The latest page, where delivered and queued messages also show.
    latest: bool,
    /// Older messages are on other pages: delivered ones older than this
    /// page's oldest stay there.
    paged: bool,
    follow: FollowNewest,
) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let _ = follow;
    let outbox = use_outbox();
    // Plain data: this list is rebuilt with each refetch, and its old copy
    // may still render once while it goes.
    let stored = std::sync::Arc::new(stored);
    let entries = move || {
        // Sorted, for `binary_search`: a page holds at most some hundreds,
        // and a hash set of them was its own code in the first load.
        let mut known: Vec<MessageId> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        // In the order written, after any of the same time: each source is
        // in that order already, so most land at the end.
        let mut add = |entry: Entry| {
            let at = entries.partition_point(|shown| shown.created_at() <= entry.created_at());
            entries.insert(at, entry);
        };
        let mut add_stored = |message: &MessageView| {
            if message.conversation_id != conversation {
                return;
            }
            if let Err(at) = known.binary_search(&message.id) {
                known.insert(at, message.id);
                add(Entry::Stored(message.clone()));
            }
        };
        let since = stored
            .first()
            .filter(|_| paged)
            .map_or(UnixMillis::MIN, |oldest| oldest.created_at);
        stored.iter().for_each(&mut add_stored);
        if !latest {
            return entries;
        }
        outbox.delivered.with(|delivered| {
            delivered
                .iter()
                .filter(|message| message.created_at >= since)
                .for_each(&mut add_stored)
        });
        for record in outbox.records_in(conversation) {
            if let Mutation::SendMessage { id, created_at, .. } = &record.mutation {
                if known.binary_search(id).is_err() {
                    let created_at = *created_at;
                    add(Entry::Queued { record, created_at });
                }
            }
        }
        entries
    };
    let entries = Memo::new(move |_| entries());
    // Only the newest rows are in the page until asked for more: each row
    // costs the browser style and layout work whenever one is added, so a
    // thread holding hundreds of queued messages would make every message
    // typed slower than the last.
    let shown = RwSignal::new(ROWS_AT_ONCE);
    let hidden = move || entries.with(Vec::len).saturating_sub(shown.get());
    let newest = move || {
        let from = hidden();
        entries.with(|entries| entries[from..].to_vec())
    };
    view! {
        <Show
            when=move || entries.with(|entries| !entries.is_empty())
            fallback=|| view! { <p class="empty">"No messages yet. Say hello!"</p> }
        >
            {move || {
                let label = match hidden() {
                    0 => return None,
                    1 => "Show 1 earlier message".to_owned(),
                    hidden => format!("Show {} earlier messages", hidden.min(ROWS_AT_ONCE)),
                };
                Some(view! {
                    <p class="pager">
                        <button type="button" on:click=move |_| shown.update(|shown| *shown += ROWS_AT_ONCE)>
                            {label}
                        </button>
                    </p>
                })
            }}
            // Focusable from code only: focus lands here when the message
            // whose control had it goes (`row_focus`).
            {deferred(view! { <ol class="messages" aria-label="Messages" tabindex="-1">
                // Rebuilt in place, row by row: at most a page of rows, each
                // compared with the one before it. A keyed list's diff and
                // hash maps were 6.6 KB of the page's first load.
                {move || {
                    #[cfg(feature = "hydrate")]
                    let focused = row_focus::focused();
                    #[cfg(feature = "hydrate")]
                    let was_at_end = follow::newest_in_view();
                    let rows = newest().into_iter().map(|entry| message_item(entry, me)).collect_view();
                    #[cfg(feature = "hydrate")]
                    if let Some(focused) = focused {
                        queue_microtask(move || row_focus::restore(focused));
                    }
                    #[cfg(feature = "hydrate")]
                    follow.rows_shown(
                        conversation,
                        entries.with(|entries| entries.last().and_then(|entry| Some((entry.id()?, entry.is_mine(me))))),
                        was_at_end,
                    );
                    rows
                }}
            </ol> })}
        </Show>
    }
}

/// How many rows the thread shows at first, and adds with each "Show
/// earlier messages": as many as a page from the server holds.
const ROWS_AT_ONCE: usize = Thread::MESSAGES_PER_PAGE;

fn message_item(entry: Entry, me: Option<UserId>) -> impl IntoView {
    let at = entry.created_at();
    let (author, body, mine, status) = match entry {
        Entry::Stored(message) => {
            let mine = Some(message.author.id) == me;
            let status =
                mine.then(|| Either::Left(view! { <span class="delivery sent">"Sent"</span> }));
            (message.author.display_name, message.body, mine, status)
        }
        Entry::Queued { record, .. } => {
            let body = match &record.mutation {
                Mutation::SendMessage { body, .. } => body.clone(),
                _ => String::new(),
            };
            (
                "You".to_owned(),
                body,
                true,
                Some(Either::Right(view! { <QueuedStatus record/> })),
            )
        }
    };
    view! {
        <li class="message" class:mine=mine>
            <p class="byline">
                <span class="author">{author}</span>
                " "
                <time datetime=format!("{}T{}Z", format_date(at), format_clock(at))>
                    {format_clock(at)}
                </time>
            </p>
            <p class="body">{body}</p>
            {status}
        </li>
    }
}

/// Keeps focus where it was in the list. The rows are rebuilt in place,
/// position by position, and the whole list anew when the thread is
/// fetched again: when rows move (a message is discarded, one lands before
/// others, the newest page slides on), the control that had focus would be
/// showing another message's, and when the list is replaced, focus would
/// fall back to the page. Focus follows its control to its new row instead,
/// or goes to the list when that control has gone.
#[cfg(feature = "hydrate")]
mod row_focus {
    use leptos::prelude::document;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlElement;

    const LIST: &str = "ol.messages";

    /// Where focus is to go back to, as a selector, when it is in the list:
    /// read before the rows are rebuilt. The list's controls are a queued
    /// message's, named by what they do, inside its status, which holds
    /// its record's key (a UUID): neither needs quoting.
    pub fn focused() -> Option<String> {
        let focused = document().active_element()?;
        if focused.matches(LIST).unwrap_or(false) {
            return Some(LIST.to_owned());
        }
        let status = focused.closest("ol.messages [data-key]").ok()??;
        Some(format!(
            "{LIST} [data-key=\"{}\"] button[name=\"{}\"]",
            status.get_attribute("data-key")?,
            focused.get_attribute("name")?
        ))
    }

    /// Run once the rows show their new messages.
    pub fn restore(selector: String) {
        let document = document();
        let target = [selector.as_str(), LIST]
            .into_iter()
            .find_map(|selector| document.query_selector(selector).ok().flatten());
        if let Some(target) = target.and_then(|target| target.dyn_into::<HtmlElement>().ok()) {
            let _ = target.focus();
        }
    }
}

/// Keeps the newest message in view. A thread opens at its newest message;
/// a message of one's own, queued or delivered, scrolls into view, and so
/// does another person's while the newest was in view. Otherwise the page
/// offers "New messages" until the person goes there. Kept by the page, not
/// by the list, which each refetch builds anew.
#[derive(Clone, Copy)]
struct FollowNewest {
    /// Newer messages arrived below what is in view.
    unseen: RwSignal<bool>,
}

impl FollowNewest {
    /// A thread page that opens shows its thread anew.
    fn new() -> Self {
        #[cfg(feature = "hydrate")]
        follow::NEWEST.set(None);
        Self {
            unseen: RwSignal::new(false),
        }
    }

    /// "New messages": the newest in view, and focus in the message box
    /// below it, where the button was.
    fn show_newest(self) {
        self.unseen.set(false);
        #[cfg(feature = "hydrate")]
        follow::show_newest(true);
    }

    /// Called as the rows are rebuilt, with the newest entry (its id and
    /// whether it is the reader's own) and whether the newest was in view
    /// before. The offer goes too once the newest is in view again.
    #[cfg(feature = "hydrate")]
    fn rows_shown(
        self,
        conversation: ConversationId,
        newest: Option<(MessageId, bool)>,
        was_at_end: bool,
    ) {
        let now = newest.map(|(id, _)| (conversation, id));
        let before = follow::NEWEST.replace(now);
        let opened = before.map(|(shown, _)| shown) != Some(conversation);
        let arrived = now.is_some() && now != before;
        let mine = newest.is_some_and(|(_, mine)| mine);
        if opened || was_at_end || (arrived && mine) {
            self.unseen.set(false);
            queue_microtask(|| follow::show_newest(false));
        } else if arrived {
            self.unseen.set(true);
        }
    }
}

/// Where the newest message is, in the browser.
#[cfg(feature = "hydrate")]
mod follow {
    use crate::components::MESSAGE_BOX_ID;
    use leptos::prelude::{document, window};
    use mozi_core::{ConversationId, MessageId};
    use std::cell::Cell;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlElement;

    thread_local! {
        /// The newest message shown, and in which conversation: one thread
        /// page is open at a time, and it outlives the lists it shows.
        pub static NEWEST: Cell<Option<(ConversationId, MessageId)>> = const { Cell::new(None) };
    }

    /// How far from the end of the page the newest row is still in view:
    /// about the site footer's height, below the message box, which sticks
    /// to the bottom of the window over the rows once scrolled further up.
    const END_SLACK_PX: f64 = 48.0;

    /// Whether the page is scrolled to its end, where the newest row shows
    /// above the message box.
    pub fn newest_in_view() -> bool {
        let window = window();
        let Some(end) = document().document_element() else {
            return true;
        };
        let height = window
            .inner_height()
            .ok()
            .and_then(|height| height.as_f64())
            .unwrap_or_default();
        let bottom = window.scroll_y().unwrap_or_default() + height;
        bottom + END_SLACK_PX >= f64::from(end.scroll_height())
    }

    /// Scrolls to the end of the page, where the newest message is, right
    /// above the message box; `focus_box` moves focus there too.
    pub fn show_newest(focus_box: bool) {
        if let Some(end) = document().document_element() {
            window().scroll_to_with_x_and_y(0.0, f64::from(end.scroll_height()));
        }
        if focus_box {
            if let Some(text_box) = document()
                .get_element_by_id(MESSAGE_BOX_ID)
                .and_then(|text_box| text_box.dyn_into::<HtmlElement>().ok())
            {
                let _ = text_box.focus();
            }
        }
    }
}
