//! Half-written messages, kept on the device per user and conversation, so
//! a reload (into a new version, say) or a closed tab loses nothing.

use mozi_core::{ConversationId, UserId};

/// Every draft's key starts so: `mozi-draft:<user>:<conversation>`.
const PREFIX: &str = "mozi-draft:";

#[derive(Clone)]
pub struct Draft {
    // Read only in the browser: the server renders no drafts.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    key: String,
}

impl Draft {
    pub fn new(user: UserId, conversation: ConversationId) -> Self {
        Self {
            key: format!("{PREFIX}{user}:{conversation}"),
        }
    }

    /// The saved text, if any. Only the browser has one.
    pub fn load(&self) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            storage()?.get_item(&self.key).ok().flatten()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            None
        }
    }

    /// Keeps `text`; an empty text removes the draft.
    #[cfg(feature = "hydrate")]
    pub fn save(&self, text: &str) {
        if let Some(storage) = storage() {
            // A full or disabled storage only means the draft is not kept.
            let _ = if text.is_empty() {
                storage.remove_item(&self.key)
            } else {
                storage.set_item(&self.key, text)
            };
        }
    }
}

/// The keys of every saved draft, whoever wrote it.
#[cfg(feature = "hydrate")]
fn saved_keys(storage: &web_sys::Storage) -> Vec<String> {
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(PREFIX))
        .collect()
}

/// Removes every draft, of every user: only a signed-in user writes one,
/// so after a sign-out none is anyone's to keep.
#[cfg(feature = "hydrate")]
pub fn forget_all() {
    if let Some(storage) = storage() {
        // Keys first: removing while counting would skip some.
        for key in saved_keys(&storage) {
            // A disabled storage holds nothing to remove.
            let _ = storage.remove_item(&key);
        }
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}
