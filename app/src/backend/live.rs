//! Live updates to open event streams. Events are rows in the database,
//! written with the change that made them (`mozi_db`'s events), so a
//! stream that reconnects, to this server or another, resumes after the
//! last id it was sent. This hub wakes the open streams of the recipients
//! of a change made here; each stream then reads its user's new rows.

use futures::{Stream, StreamExt};
use mozi_core::{AppError, UnixMillis, UserId};
use mozi_db::{Db, EventPosition, StoredEvent, Wakeup};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

/// Open streams one user may have; a new one closes their oldest.
const STREAMS_PER_USER: usize = 8;
/// Events read from the database at a time by one stream.
const EVENTS_PER_READ: u32 = 100;
/// How long events are kept for streams that reconnect; a stream that
/// comes back later is told to refetch instead.
pub const EVENT_RETENTION_MS: UnixMillis = 24 * 3600 * 1000;
/// How often events older than the retention window are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// What a stream sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// One event, under its per-user id.
    Event(StoredEvent),
    /// Events the page has not seen are gone (older than the retention
    /// window, or the id it gave is not one of ours): it must refetch.
    /// The stream goes on from `id`.
    Refetch { id: i64 },
}

/// Where a stream starts: after which id, and whether the page must refetch
/// first. `last_seen` is the `Last-Event-ID` of a reconnecting stream.
pub fn start(position: EventPosition, last_seen: Option<i64>) -> (Option<Delivery>, i64) {
    let Some(seen) = last_seen else {
        // A new stream: from now on (the page has just fetched its data).
        return (None, position.last);
    };
    let refetch = (Some(Delivery::Refetch { id: position.last }), position.last);
    if seen > position.last || seen < 0 {
        return refetch;
    }
    let missed_nothing = seen == position.last;
    let missed_are_kept = position
        .oldest_kept
        .is_some_and(|oldest| oldest <= seen + 1);
    if missed_nothing || missed_are_kept {
        (None, seen)
    } else {
        refetch
    }
}

/// An open stream: the session it belongs to, how to wake it and how to
/// end it.
struct OpenStream {
    id: u64,
    session: String,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    by_user: HashMap<UserId, VecDeque<OpenStream>>,
}

/// The open event streams of this server.
#[derive(Clone)]
pub struct LiveHub {
    db: Db,
    registry: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("LiveHub")
            .field("users", &registry.by_user.len())
            .finish()
    }
}

/// Takes a stream out of the registry when it ends, however it ends.
struct Registered {
    registry: Arc<Mutex<Registry>>,
    user: UserId,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(streams) = registry.by_user.get_mut(&self.user) {
            streams.retain(|stream| stream.id != self.id);
            if streams.is_empty() {
                registry.by_user.remove(&self.user);
            }
        }
    }
}

/// A stream's place in its user's events.
struct Cursor {
    db: Db,
    user: UserId,
    after: i64,
    first: Option<Delivery>,
    read: VecDeque<StoredEvent>,
    wake: Arc<Notify>,
    _registered: Registered,
}

impl Cursor {
    async fn next(mut self) -> Option<(Delivery, Self)> {
        if let Some(first) = self.first.take() {
            return Some((first, self));
        }
        loop {
            if let Some(event) = self.read.pop_front() {
                self.after = event.id;
                return Some((Delivery::Event(event), self));
            }
            // A failed read (logged by the database) is tried again at the
            // next wake-up; the stream stays open.
            if let Ok(events) = self
                .db
                .events_after(self.user, self.after, EVENTS_PER_READ)
                .await
            {
                if !events.is_empty() {
                    self.read.extend(events);
                    continue;
                }
            }
            // A wake-up that came since the read is kept by the Notify.
            self.wake.notified().await;
        }
    }
}

impl LiveHub {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            registry: Arc::default(),
        }
    }

    /// Tells the open streams of `recipients` that they have new events.
    pub fn wake(&self, recipients: &[UserId]) {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        for user in recipients {
            for stream in registry.by_user.get(user).into_iter().flatten() {
                stream.wake.notify_one();
            }
        }
    }

    /// `user`'s events after `last_seen` (or from now on), until `session`
    /// is ended, `until` passes, or the user opens too many other streams.
    pub async fn subscribe(
        &self,
        user: UserId,
        session: String,
        until: tokio::time::Instant,
        last_seen: Option<i64>,
    ) -> Result<impl Stream<Item = Delivery> + Send + 'static, AppError> {
        let (first, after) = start(self.db.event_position(user).await?, last_seen);
        let stop = Arc::new(Notify::new());
        let wake = Arc::new(Notify::new());
        let registered = {
            let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
            registry.next_id += 1;
            let id = registry.next_id;
            let streams = registry.by_user.entry(user).or_default();
            while streams.len() >= STREAMS_PER_USER {
                if let Some(oldest) = streams.pop_front() {
                    oldest.stop.notify_one();
                }
            }
            streams.push_back(OpenStream {
                id,
                session,
                wake: Arc::clone(&wake),
                stop: Arc::clone(&stop),
            });
            Registered {
                registry: Arc::clone(&self.registry),
                user,
                id,
            }
        };
        let ended = async move {
            tokio::select! {
                () = stop.notified() => {}
                () = tokio::time::sleep_until(until) => {}
            }
        };
        let cursor = Cursor {
            db: self.db.clone(),
            user,
            after,
            first,
            read: VecDeque::new(),
            wake,
            _registered: registered,
        };
        Ok(futures::stream::unfold(cursor, Cursor::next).take_until(ended))
    }

    /// Ends every stream opened under `session` (it was signed out).
    pub fn end_session(&self, session: &str) {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        for stream in registry.by_user.values().flatten() {
            if stream.session == session {
                stream.stop.notify_one();
            }
        }
    }

    /// Wakes this server's open streams when other servers write for their
    /// users (PostgreSQL); on SQLite this server makes every change itself.
    pub async fn follow_other_servers(self) {
        let Some(mut wakeups) = self.db.follow_other_servers().await else {
            return;
        };
        while let Some(wakeup) = wakeups.next().await {
            match wakeup {
                Wakeup::Users(users) => self.wake(&users),
                Wakeup::Everyone => self.wake_everyone(),
            }
        }
    }

    /// Tells every open stream to look for new events.
    fn wake_everyone(&self) {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        for stream in registry.by_user.values().flatten() {
            stream.wake.notify_one();
        }
    }

    /// Deletes events older than the retention window, every few minutes.
    pub async fn prune_old_events(self) {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        loop {
            every.tick().await;
            let before = super::now_millis() - EVENT_RETENTION_MS;
            if let Ok(deleted) = self.db.prune_events(before).await {
                tracing::debug!(deleted, "old live events deleted");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mozi_core::{Applied, ConversationId, MessageId, Mutation};
    use mozi_db::testing::{change, user, ScratchDatabase};

    fn at(last: i64, oldest_kept: Option<i64>) -> EventPosition {
        EventPosition { last, oldest_kept }
    }

    #[test]
    fn a_stream_resumes_only_when_nothing_it_missed_was_pruned() {
        let refetch = |id| (Some(Delivery::Refetch { id }), id);
        // New streams start now.
        assert_eq!(start(at(7, Some(1)), None), (None, 7));
        // Up to date, or every missed event kept: resume.
        assert_eq!(start(at(7, Some(1)), Some(7)), (None, 7));
        assert_eq!(start(at(7, Some(4)), Some(3)), (None, 3));
        assert_eq!(start(at(7, None), Some(7)), (None, 7));
        // A missed event was pruned.
        assert_eq!(start(at(7, Some(5)), Some(3)), refetch(7));
        assert_eq!(start(at(7, None), Some(3)), refetch(7));
        // Not an id of ours (another database, or made up).
        assert_eq!(start(at(7, Some(1)), Some(9)), refetch(7));
        assert_eq!(start(at(7, Some(1)), Some(-1)), refetch(7));
    }

    struct Fixture {
        hub: LiveHub,
        db: Db,
        ada: UserId,
        bob: UserId,
        conversation: ConversationId,
        scratch: ScratchDatabase,
    }

    async fn fixture() -> Fixture {
        let scratch = ScratchDatabase::new().await;
        let db = Db::connect(&scratch.url).await.expect("database opens");
        let (ada, bob) = (user(&db, "ada").await.id, user(&db, "bob").await.id);
        let start = Mutation::StartConversation {
            conversation: ConversationId::new_random(),
            usernames: "bob".into(),
        };
        let applied = apply(&db, ada, start).await;
        let Applied::Conversation { conversation } = applied else {
            panic!("a conversation: {applied:?}")
        };
        Fixture {
            hub: LiveHub::new(db.clone()),
            db,
            ada,
            bob,
            conversation,
            scratch,
        }
    }

    async fn apply(db: &Db, user: UserId, mutation: Mutation) -> Applied {
        change(db, user, mutation, 1).await.expect("applied")
    }

    impl Fixture {
        /// Ada sends `body`; the hub wakes both members' streams.
        async fn send(&self, body: &str) {
            let send = Mutation::SendMessage {
                conversation: self.conversation,
                id: MessageId::new_random(),
                body: body.into(),
                created_at: 1,
            };
            apply(&self.db, self.ada, send).await;
            self.hub.wake(&[self.ada, self.bob]);
        }
    }

    fn later() -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_secs(3600)
    }

    fn body_of(delivery: Option<Delivery>) -> String {
        match delivery {
            Some(Delivery::Event(event)) => {
                let value: serde_json::Value = serde_json::from_str(&event.json).unwrap();
                value["message"]["body"].as_str().unwrap().to_owned()
            }
            other => panic!("not an event: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_stream_gets_new_events_and_one_that_reconnects_resumes_after_its_last() {
        let f = fixture().await;
        f.send("before").await;
        let mut stream = Box::pin(
            f.hub
                .subscribe(f.bob, "s".into(), later(), None)
                .await
                .unwrap(),
        );
        f.send("one").await;
        f.send("two").await;
        assert_eq!(body_of(stream.next().await), "one");
        assert_eq!(body_of(stream.next().await), "two");
        drop(stream);

        // Sent while the stream was away; it comes back having seen "one" (id 2).
        f.send("three").await;
        let mut again = Box::pin(
            f.hub
                .subscribe(f.bob, "s".into(), later(), Some(2))
                .await
                .unwrap(),
        );
        assert_eq!(body_of(again.next().await), "two");
        assert_eq!(body_of(again.next().await), "three");
    }

    #[tokio::test]
    async fn a_stream_away_longer_than_the_retention_is_told_to_refetch() {
        let f = fixture().await;
        f.send("one").await;
        f.send("two").await;
        f.db.prune_events(i64::MAX).await.unwrap();
        let mut stream = Box::pin(
            f.hub
                .subscribe(f.bob, "s".into(), later(), Some(0))
                .await
                .unwrap(),
        );
        assert_eq!(stream.next().await, Some(Delivery::Refetch { id: 2 }));
        f.send("three").await;
        assert_eq!(body_of(stream.next().await), "three");
    }

    #[tokio::test]
    async fn a_stream_ends_with_its_session() {
        let f = fixture().await;
        let mut kept = Box::pin(
            f.hub
                .subscribe(f.bob, "other".into(), later(), None)
                .await
                .unwrap(),
        );
        let mut ended = Box::pin(
            f.hub
                .subscribe(f.bob, "signed-out".into(), later(), None)
                .await
                .unwrap(),
        );
        f.hub.end_session("signed-out");
        f.send("hi").await;
        assert!(ended.next().await.is_none());
        assert_eq!(body_of(kept.next().await), "hi");
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_session_expires() {
        let f = fixture().await;
        let soon = tokio::time::Instant::now() + Duration::from_millis(20);
        let mut stream = Box::pin(
            f.hub
                .subscribe(f.bob, "s".into(), soon, None)
                .await
                .unwrap(),
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn too_many_streams_close_the_oldest() {
        let f = fixture().await;
        let mut streams = Vec::new();
        for n in 0..=STREAMS_PER_USER {
            let stream = f
                .hub
                .subscribe(f.bob, format!("s{n}"), later(), None)
                .await
                .unwrap();
            streams.push(Box::pin(stream));
        }
        f.send("hi").await;
        assert!(streams[0].next().await.is_none(), "the oldest was closed");
        for stream in &mut streams[1..] {
            assert_eq!(body_of(stream.next().await), "hi");
        }
        drop(streams);
        let registry = f.hub.registry.lock().unwrap();
        assert!(registry.by_user.is_empty(), "ended streams unregister");
    }

    #[tokio::test]
    async fn a_stream_on_another_server_gets_what_this_one_writes() {
        let f = fixture().await;
        // A second server on the same database, with its own hub, following
        // the first's writes. Nothing wakes it but the database.
        let other_db = Db::connect(&f.scratch.url).await.unwrap();
        let other = LiveHub::new(other_db.clone());
        if other_db.follow_other_servers().await.is_none() {
            // SQLite: one server per file, which sees its own writes.
            assert!(matches!(other_db, Db::Sqlite(_)));
            return;
        }
        tokio::spawn(other.clone().follow_other_servers());
        let mut stream = Box::pin(
            other
                .subscribe(f.bob, "s".into(), later(), None)
                .await
                .unwrap(),
        );
        // The first message arrives once the other server listens (it looks
        // when it starts listening). Then the stream waits, having read
        // everything, and only the notice can wake it within the fallback
        // poll's 15 s.
        for body in ["first", "across"] {
            let send = Mutation::SendMessage {
                conversation: f.conversation,
                id: MessageId::new_random(),
                body: body.into(),
                created_at: 1,
            };
            apply(&f.db, f.ada, send).await;
            let heard = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
            assert_eq!(body_of(heard.expect("woken by the database")), body);
            let idle = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
            assert!(idle.is_err(), "nothing more yet");
        }
    }
}
