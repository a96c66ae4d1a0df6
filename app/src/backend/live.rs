use futures::{Stream, StreamExt};
use mozi_core::{LiveEvent, UserId};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{broadcast, Notify};
use tokio_stream::wrappers::BroadcastStream;

/// Events a slow subscriber may fall behind by before it misses some; a page
/// that missed events refetches when its stream reconnects.
const LIVE_BUFFER: usize = 1024;

/// Open streams one user may have; a new one closes their oldest.
const STREAMS_PER_USER: usize = 8;

struct Delivery {
    recipients: Vec<UserId>,
    event: LiveEvent,
}

/// An open stream: the session it belongs to and how to end it.
struct OpenStream {
    id: u64,
    session: String,
    stop: Arc<Notify>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    by_user: HashMap<UserId, VecDeque<OpenStream>>,
}

/// Fans live events out to the open event streams of their recipients, and
/// ends streams whose session ended.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<Delivery>>,
    registry: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub")
            .field("subscribers", &self.sender.receiver_count())
            .finish()
    }
}

impl Default for LiveHub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(LIVE_BUFFER).0,
            registry: Arc::default(),
        }
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

impl LiveHub {
    pub fn publish(&self, recipients: Vec<UserId>, event: LiveEvent) {
        // An error only means nobody is listening right now.
        let _ = self.sender.send(Arc::new(Delivery { recipients, event }));
    }

    /// The events meant for `user`, from now on, until `session` is ended,
    /// `until` passes, or the user opens too many other streams.
    pub fn subscribe(
        &self,
        user: UserId,
        session: String,
        until: tokio::time::Instant,
    ) -> impl Stream<Item = LiveEvent> + Send + 'static {
        let stop = Arc::new(Notify::new());
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
        BroadcastStream::new(self.sender.subscribe())
            .filter_map(move |delivery| {
                // Owned by the stream: dropped (and unregistered) with it.
                let _registered = &registered;
                let event = delivery
                    .ok()
                    .filter(|delivery| delivery.recipients.contains(&user))
                    .map(|delivery| delivery.event.clone());
                async move { event }
            })
            .take_until(ended)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use mozi_core::{ConversationId, MessageId, MessageView, UserView};
    use std::time::Duration;

    fn event(n: i64) -> LiveEvent {
        LiveEvent::Message {
            message: MessageView {
                id: MessageId(uuid::Uuid::nil()),
                conversation_id: ConversationId(uuid::Uuid::nil()),
                author: UserView {
                    id: UserId(1),
                    username: "ada".into(),
                    display_name: "Ada".into(),
                },
                body: "hi".into(),
                created_at: n,
            },
        }
    }

    fn later() -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_secs(3600)
    }

    #[tokio::test]
    async fn a_stream_ends_with_its_session() {
        let hub = LiveHub::default();
        let mut kept = Box::pin(hub.subscribe(UserId(2), "other".into(), later()));
        let mut ended = Box::pin(hub.subscribe(UserId(2), "signed-out".into(), later()));
        hub.end_session("signed-out");
        hub.publish(vec![UserId(2)], event(1));
        assert!(ended.next().await.is_none());
        assert_eq!(kept.next().await, Some(event(1)));
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_session_expires() {
        let hub = LiveHub::default();
        let soon = tokio::time::Instant::now() + Duration::from_millis(20);
        let mut stream = Box::pin(hub.subscribe(UserId(2), "s".into(), soon));
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn too_many_streams_close_the_oldest() {
        let hub = LiveHub::default();
        let mut streams: Vec<_> = (0..=STREAMS_PER_USER)
            .map(|n| Box::pin(hub.subscribe(UserId(2), format!("s{n}"), later())))
            .collect();
        hub.publish(vec![UserId(2)], event(1));
        assert!(streams[0].next().await.is_none(), "the oldest was closed");
        for stream in &mut streams[1..] {
            assert_eq!(stream.next().await, Some(event(1)));
        }
        drop(streams);
        let registry = hub.registry.lock().unwrap();
        assert!(registry.by_user.is_empty(), "ended streams unregister");
    }
}
