use futures::{Stream, StreamExt};
use mozi_core::{LiveEvent, UserId};
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

/// Events a slow subscriber may fall behind by before it misses some; a page
/// that missed events refetches when its stream reconnects.
const LIVE_BUFFER: usize = 1024;

struct Delivery {
    recipients: Vec<UserId>,
    event: LiveEvent,
}

/// Fans live events out to the open event streams of their recipients.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<Delivery>>,
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
        }
    }
}

impl LiveHub {
    pub fn publish(&self, recipients: Vec<UserId>, event: LiveEvent) {
        // An error only means nobody is listening right now.
        let _ = self.sender.send(Arc::new(Delivery { recipients, event }));
    }

    /// The events meant for `user`, from now on.
    pub fn subscribe(&self, user: UserId) -> impl Stream<Item = LiveEvent> + Send + 'static {
        BroadcastStream::new(self.sender.subscribe()).filter_map(move |delivery| {
            let event = delivery
                .ok()
                .filter(|delivery| delivery.recipients.contains(&user))
                .map(|delivery| delivery.event.clone());
            async move { event }
        })
    }
}
