//! The page's side of the device outbox (`mozi-outbox-browser`): every
//! change the user makes is queued there first, and the UI shows the queue
//! (optimistically: a queued bookmark is shown as set, a queued message in
//! its thread, with its state).
//!
//! The page replays the queue when it learns who is signed in, after each
//! change, when it comes online or regains focus, when a backoff ends, and
//! on "Retry now"; the worker replays on Background Sync and when it
//! starts. A Web Lock lets one of them send at a time, and a
//! BroadcastChannel keeps every tab's view of the queue current.

use crate::components::Auth;
use leptos::prelude::*;
use mozi_core::{
    Applied, ConversationId, IdempotencyKey, MessageId, MessageView, Mutation, SessionId, UserId,
};
use mozi_outbox::{ItemState, OutboxRecord};
use std::collections::HashMap;
use std::sync::Arc;

#[cfg(feature = "hydrate")]
mod device;
#[cfg(feature = "hydrate")]
pub use device::device_queue;

/// What the user can do with queued records.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) enum Operation {
    Retry(IdempotencyKey),
    Discard(IdempotencyKey),
    RetryAll,
    DiscardAll,
}

#[derive(Clone, Copy)]
pub struct Outbox {
    /// Whose queue the page shows: only the signed-in user's.
    user: RwSignal<Option<UserId>>,
    /// The signed-in user's queued records, oldest first. Shared, not
    /// copied: a thread with hundreds queued rebuilds its rows from these
    /// on every change.
    pub items: RwSignal<Vec<Arc<OutboxRecord>>>,
    /// Messages from this device's queue the server stored since the page
    /// loaded: shown until the thread's next fetch has them.
    pub delivered: RwSignal<Vec<MessageView>>,
    /// Bookmark states the server confirmed since the page loaded.
    confirmed_bookmarks: RwSignal<HashMap<SessionId, bool>>,
    /// Counts those confirmations.
    confirmations: RwSignal<usize>,
    /// Why the queue could not be read or written, if it could not.
    pub error: RwSignal<Option<String>>,
}

pub struct PendingStart {
    pub usernames: String,
    pub record: Arc<OutboxRecord>,
}

pub fn use_outbox() -> Outbox {
    expect_context::<Outbox>()
}

pub fn provide_outbox(auth: Auth) -> Outbox {
    let outbox = Outbox {
        user: RwSignal::new(None),
        items: RwSignal::new(Vec::new()),
        delivered: RwSignal::new(Vec::new()),
        confirmed_bookmarks: RwSignal::new(HashMap::new()),
        confirmations: RwSignal::new(0),
        error: RwSignal::new(None),
    };
    provide_context(outbox);
    #[cfg(feature = "hydrate")]
    browser::start(outbox, auth);
    #[cfg(not(feature = "hydrate"))]
    let _ = auth;
    outbox
}

/// Whether `record` belongs to `conversation` (its start or a message).
fn is_in(record: &OutboxRecord, conversation: ConversationId) -> bool {
    match &record.mutation {
        Mutation::SendMessage {
            conversation: c, ..
        }
        | Mutation::StartConversation {
            conversation: c, ..
        } => *c == conversation,
        Mutation::SetBookmark { .. } => false,
    }
}

impl Outbox {
    /// Queues `mutation` for the signed-in user; `Err` with a reason to show
    /// when the device could not keep it (then nothing was queued).
    pub async fn enqueue(self, mutation: Mutation) -> Result<(), String> {
        let Some(user) = self.user.get_untracked() else {
            return Err("Sign in to make changes.".to_owned());
        };
        #[cfg(feature = "hydrate")]
        {
            let queued = device::device_queue().await.enqueue(user, mutation).await;
            browser::after_enqueue(self, user, queued)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (user, mutation);
            Err("This needs JavaScript.".to_owned())
        }
    }

    /// "Retry" on one record.
    pub fn retry(self, key: IdempotencyKey) {
        self.run(Operation::Retry(key));
    }

    /// "Discard" on one record.
    pub fn discard(self, key: IdempotencyKey) {
        self.run(Operation::Discard(key));
    }

    /// "Retry now": every waiting record is due at once.
    pub fn retry_all(self) {
        self.run(Operation::RetryAll);
    }

    /// Drops every record of the signed-in user that is not being sent.
    pub async fn discard_all(self) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            browser::perform(self, Operation::DiscardAll).await
        }
        #[cfg(not(feature = "hydrate"))]
        Ok(())
    }

    fn run(self, operation: Operation) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            // Failures are shown through `error`.
            let _ = browser::perform(self, operation).await;
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = operation;
    }

    /// The queued records of one conversation (its start and messages).
    pub fn records_in(self, conversation: ConversationId) -> Vec<Arc<OutboxRecord>> {
        self.items.with(|items| {
            items
                .iter()
                .filter(|record| is_in(record, conversation))
                .cloned()
                .collect()
        })
    }

    /// How many records of one conversation are queued; nothing is copied.
    pub fn count_in(self, conversation: ConversationId) -> usize {
        self.items.with(|items| {
            items
                .iter()
                .filter(|record| is_in(record, conversation))
                .count()
        })
    }

    /// A conversation started on this device and not yet known to the
    /// server.
    pub fn pending_start(self, conversation: ConversationId) -> Option<PendingStart> {
        self.items.with(|items| {
            items.iter().find_map(|record| match &record.mutation {
                Mutation::StartConversation {
                    conversation: c,
                    usernames,
                } if *c == conversation => Some(PendingStart {
                    usernames: usernames.clone(),
                    record: Arc::clone(record),
                }),
                _ => None,
            })
        })
    }

    /// Whether the queue holds the start of `conversation`, without
    /// subscribing to the queue.
    pub fn pending_start_untracked(self, conversation: ConversationId) -> bool {
        self.items.with_untracked(|items| {
            items.iter().any(|record| {
                matches!(&record.mutation, Mutation::StartConversation { conversation: c, .. } if *c == conversation)
            })
        })
    }

    /// Whether `message` is one this device queued (still queued, or
    /// delivered since the page loaded), without subscribing to the queue.
    pub fn sent_from_here_untracked(self, message: MessageId) -> bool {
        let queued = self.items.with_untracked(|items| {
            items.iter().any(
                |record| matches!(&record.mutation, Mutation::SendMessage { id, .. } if *id == message),
            )
        });
        queued
            || self
                .delivered
                .with_untracked(|delivered| delivered.iter().any(|known| known.id == message))
    }

    /// Whether `session` is shown as bookmarked: the latest queued change
    /// (unless it failed), else what the server confirmed since the page
    /// loaded, else `from_server` as the page was loaded with it.
    pub fn bookmarked(self, session: SessionId, from_server: bool) -> bool {
        let queued = self.items.with(|items| {
            items.iter().rev().find_map(|record| match record.mutation {
                Mutation::SetBookmark {
                    session: s,
                    bookmarked,
                } if s == session && !matches!(record.state, ItemState::Failed { .. }) => {
                    Some(bookmarked)
                }
                _ => None,
            })
        });
        queued
            .or_else(|| {
                self.confirmed_bookmarks
                    .with(|map| map.get(&session).copied())
            })
            .unwrap_or(from_server)
    }

    /// Sessions this device shows in My schedule whatever the server's list
    /// said when it was fetched: added by a queued change, or by one the
    /// server confirmed since.
    pub fn device_additions(self) -> Vec<SessionId> {
        let mut sessions: Vec<SessionId> = self.items.with(|items| {
            items
                .iter()
                .filter_map(|record| match record.mutation {
                    Mutation::SetBookmark { session, .. } => Some(session),
                    _ => None,
                })
                .collect()
        });
        self.confirmed_bookmarks
            .with(|confirmed| sessions.extend(confirmed.keys().copied()));
        sessions.sort_unstable();
        sessions.dedup();
        sessions.retain(|session| self.bookmarked(*session, false));
        sessions
    }

    /// Whether a change to `session` is waiting to be sent.
    pub fn bookmark_queued(self, session: SessionId) -> bool {
        self.items.with(|items| {
            items.iter().any(|record| {
                matches!(record.mutation, Mutation::SetBookmark { session: s, .. } if s == session)
            })
        })
    }

    /// Bumps whenever the server confirmed a bookmark change, so lists
    /// built from bookmarks fetch again.
    pub fn bookmark_confirmations(self) -> usize {
        self.confirmations.get()
    }

    /// Takes in what the server applied from this device's queue just
    /// before the page loaded. It may or may not be in what the page was
    /// rendered with; lists do not fetch again for it (offline they could
    /// not), they show it from what the device knows.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn absorb_earlier(self, applied: Vec<Applied>) {
        self.take_in(applied, false);
    }

    /// Takes in what the server applied from this device's queue.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn absorb(self, applied: Vec<Applied>) {
        self.take_in(applied, true);
    }

    /// With `fetch_lists`, lists built from bookmarks fetch again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn take_in(self, applied: Vec<Applied>, fetch_lists: bool) {
        for result in applied {
            match result {
                Applied::Message { message } => self.delivered.update(|delivered| {
                    if !delivered.iter().any(|known| known.id == message.id) {
                        delivered.push(message);
                    }
                }),
                Applied::Bookmark {
                    session,
                    bookmarked,
                } => {
                    self.confirmed_bookmarks.update(|map| {
                        map.insert(session, bookmarked);
                    });
                    if fetch_lists {
                        self.confirmations.update(|count| *count += 1);
                    }
                }
                Applied::Conversation { .. } => {}
            }
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::device::{device_queue, LocalBoxFuture};
    use super::{Operation, Outbox};
    use crate::components::Auth;
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use mozi_core::{Applied, UserId};
    use mozi_outbox::Change;
    use mozi_outbox_browser::{OutboxError, ReplayReport};
    use std::cell::{Cell, RefCell};
    use std::sync::Arc;
    use std::time::Duration;

    /// Work done once at a time: asked again while it runs, it runs once
    /// more after.
    #[derive(Default)]
    struct Serial {
        running: bool,
        again: bool,
    }

    impl Serial {
        /// Whether to start now (else the running one goes again).
        fn begin(&mut self) -> bool {
            self.again = self.running;
            !std::mem::replace(&mut self.running, true)
        }

        /// Whether to go again.
        fn finish(&mut self) -> bool {
            self.running = std::mem::take(&mut self.again);
            self.running
        }
    }

    /// The page's replays, and a timer for the earliest backoff.
    #[derive(Default)]
    struct Replays {
        serial: Serial,
        timer: Option<TimeoutHandle>,
    }

    /// What the page shows of the queue is read again, with what the server
    /// applied since it was last shown, in one update.
    #[derive(Default)]
    struct Updates {
        serial: Serial,
        applied: Vec<Applied>,
        /// Counts the changes this page shows without reading the queue.
        local_changes: u64,
    }

    thread_local! {
        static REPLAYS: RefCell<Replays> = RefCell::new(Replays::default());
        static UPDATES: RefCell<Updates> = RefCell::new(Updates::default());
        /// Whether [`follow_other_contexts`] ran.
        static FOLLOWING: Cell<bool> = const { Cell::new(false) };
    }

    /// Listens to the other contexts' changes to the queue, and reads what
    /// they delivered just before: once, when the page first has a
    /// signed-in user (the queue it shows is theirs).
    async fn follow_other_contexts(outbox: Outbox) {
        if FOLLOWING.replace(true) {
            return;
        }
        let device = device_queue().await;
        // The listener lives as long as the page.
        match device.listen(Box::new(move |applied| show_soon(outbox, applied))) {
            Ok(listener) => std::mem::forget(listener),
            Err(error) => outbox.error.set(Some(error.to_string())),
        }
        // Listening first: what is applied from now on is announced, what
        // was applied just before is read.
        match device.recently_delivered().await {
            Ok(applied) => outbox.absorb_earlier(applied),
            Err(error) => outbox.error.set(Some(error.to_string())),
        }
    }

    pub fn start(outbox: Outbox, auth: Auth) {
        Effect::new(move |_| {
            // Handles kept for the page's lifetime.
            for event in ["focus", "visibilitychange"] {
                std::mem::forget(window_event_listener_untyped(event, move |_| {
                    replay_soon(outbox);
                }));
            }
            std::mem::forget(window_event_listener_untyped("online", move |_| {
                spawn_local(async move {
                    // Back online: backoffs end now.
                    if let Err(error) = device_queue().await.wake_all().await {
                        outbox.error.set(Some(error.to_string()));
                    }
                    replay_soon(outbox);
                });
            }));
        });
        Effect::new(move |_| {
            let user = match auth.user.get() {
                Some(Ok(Some(user))) => Some(user.id),
                Some(_) => None,
                None => return,
            };
            // Also for the same user: a sign-in after the session ended
            // releases what waited for it.
            if user != outbox.user.get_untracked() {
                outbox.user.set(user);
                outbox.items.set(Vec::new());
            }
            spawn_local(async move {
                if let Some(user) = user {
                    follow_other_contexts(outbox).await;
                    // Whatever waited for this user's sign-in may go now.
                    if let Err(error) = device_queue().await.release(user).await {
                        outbox.error.set(Some(error.to_string()));
                    }
                }
                update(outbox).await;
                replay_soon(outbox);
            });
        });
    }

    /// Boxed, as are the futures below with more than one caller: each is
    /// then in the wasm once, not inlined into every caller.
    pub fn perform(outbox: Outbox, operation: Operation) -> LocalBoxFuture<Result<(), String>> {
        Box::pin(async move {
            let Some(user) = outbox.user.get_untracked() else {
                return Ok(());
            };
            let done = device_queue().await.operate(user, operation).await;
            update(outbox).await;
            if let Err(error) = &done {
                outbox.error.set(Some(error.to_string()));
            }
            replay_soon(outbox);
            done.map_err(|error| error.to_string())
        })
    }

    /// Shows what queueing changed without reading the queue again (its
    /// cost must not grow with the queue), and sends it.
    pub fn after_enqueue(
        outbox: Outbox,
        user: UserId,
        queued: Result<Option<Change>, OutboxError>,
    ) -> Result<(), String> {
        let change = queued.map_err(|error| {
            let error = error.to_string();
            outbox.error.set(Some(error.clone()));
            error
        })?;
        if outbox.user.get_untracked() == Some(user) {
            UPDATES.with_borrow_mut(|updates| updates.local_changes += 1);
            outbox.items.update(|items| match change {
                // Made just now: the newest.
                Some(Change::Put(record)) => items.push(Arc::new(record)),
                Some(Change::Delete(key)) => items.retain(|queued| queued.key != key),
                None => {}
            });
        }
        // Offline, a replay would only read the whole queue to find nothing
        // can be sent: after each message typed, work that grows with the
        // queue. Queueing asked for a Background Sync, and coming online
        // replays.
        if window().navigator().on_line() {
            replay_soon(outbox);
        }
        Ok(())
    }

    /// Shows the queue with what the server `applied`: one [`update`] at a
    /// time, and what is asked meanwhile in one more after it. (A replay in
    /// another context announces its progress about once a second, this
    /// page's own replay once at its end: a long thread renders a few times
    /// per replay, not once per batch.)
    fn show_soon(outbox: Outbox, applied: Vec<Applied>) {
        let start = UPDATES.with_borrow_mut(|updates| {
            updates.applied.extend(applied);
            updates.serial.begin()
        });
        if !start {
            return;
        }
        spawn_local(async move {
            update(outbox).await;
            while UPDATES.with_borrow_mut(|updates| updates.serial.finish()) {
                update(outbox).await;
            }
        });
    }

    /// Reads the signed-in user's queue and shows it, with what the server
    /// applied since the last update: one change to the page, so a thread
    /// renders once for both.
    fn update(outbox: Outbox) -> LocalBoxFuture<()> {
        Box::pin(async move {
            let user = outbox.user.get_untracked();
            let local_changes = || UPDATES.with_borrow(|updates| updates.local_changes);
            let read = loop {
                let before = local_changes();
                let read = match user {
                    Some(user) => device_queue().await.records_of(user).await,
                    None => Ok(Vec::new()),
                };
                // A change shown meanwhile may be missing from what was read.
                if local_changes() == before {
                    break read;
                }
            };
            let applied = UPDATES.with_borrow_mut(|updates| std::mem::take(&mut updates.applied));
            outbox.absorb(applied);
            match read {
                // The user may have changed while reading.
                Ok(records) if outbox.user.get_untracked() == user => outbox
                    .items
                    .set(records.into_iter().map(Arc::new).collect()),
                Ok(_) => {}
                Err(error) => outbox.error.set(Some(error.to_string())),
            }
        })
    }

    /// Starts a replay, or asks the running one to go once more. Only with
    /// someone signed in: what is queued goes under its user's session,
    /// and a signed-out page does not even load the queue's code.
    pub fn replay_soon(outbox: Outbox) {
        if outbox.user.get_untracked().is_none() {
            return;
        }
        if !REPLAYS.with_borrow_mut(|replays| replays.serial.begin()) {
            return;
        }
        spawn_local(async move {
            loop {
                // What this page's replay applied is not announced to the
                // page itself: it is shown once the replay ends.
                match device_queue().await.replay().await {
                    Ok(report) => {
                        after_replay(outbox, &report).await;
                        if report.changed {
                            show_soon(outbox, report.applied);
                        }
                    }
                    Err(error) => {
                        outbox.error.set(Some(error.to_string()));
                        show_soon(outbox, Vec::new());
                    }
                }
                if !REPLAYS.with_borrow_mut(|replays| replays.serial.finish()) {
                    break;
                }
            }
        });
    }

    async fn after_replay(outbox: Outbox, report: &ReplayReport) {
        outbox.error.set(None);
        if report.unreachable {
            // The browser may deliver it with every tab closed.
            device_queue().await.register_sync().await;
        }
        let Some(due) = report.next_due else {
            return;
        };
        let wait = u64::try_from(due - mozi_outbox_browser::now())
            .unwrap_or(0)
            .max(250);
        let timer =
            set_timeout_with_handle(move || replay_soon(outbox), Duration::from_millis(wait)).ok();
        REPLAYS.with_borrow_mut(|replays| {
            if let Some(previous) = std::mem::replace(&mut replays.timer, timer) {
                previous.clear();
            }
        });
    }

    /// Counts a view of `path`, reported with the next replay.
    pub fn record_view(outbox: Outbox, path: String) {
        spawn_local(async move {
            if let Err(error) = device_queue().await.record_view(path).await {
                leptos::logging::warn!("page view not kept: {error}");
            }
            replay_soon(outbox);
        });
    }
}

/// Counts each page a signed-in user sees, on the device first: views made
/// offline reach the server with their age when the network is back. The
/// server takes reports only under a session, so a signed-out visitor's
/// views are not kept.
#[component]
pub fn PageViews() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let outbox = use_outbox();
    Effect::new(move |_| {
        let path = location.pathname.get();
        if outbox.user.get().is_none() {
            return;
        }
        #[cfg(feature = "hydrate")]
        browser::record_view(outbox, path);
        #[cfg(not(feature = "hydrate"))]
        let _ = path;
    });
}

/// A fresh random id, made when the user acts so that a resend is known to
/// the server as the same thing.
pub fn random_uuid() -> uuid::Uuid {
    #[cfg(feature = "hydrate")]
    {
        // crypto.randomUUID exists in every browser that runs this wasm.
        mozi_outbox_browser::random_uuid().expect("crypto.randomUUID is available")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        uuid::Uuid::new_v4()
    }
}

/// Now, on the device's clock: a queued message keeps the time it was written.
#[cfg(feature = "hydrate")]
pub fn device_now() -> mozi_core::UnixMillis {
    mozi_outbox_browser::now()
}
