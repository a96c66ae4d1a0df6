//! Half-written messages, kept on the device per user and conversation, so
//! a reload (into a new version, say) or a closed tab loses nothing.

use mozi_core::{ConversationId, UserId};

#[derive(Clone)]
pub struct Draft {
    // Read only in the browser: the server renders no drafts.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    key: String,
}

impl Draft {
    pub fn new(user: UserId, conversation: ConversationId) -> Self {
        Self {
            key: format!("mozi-draft:{user}:{conversation}"),
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
    pub fn save(&self, text: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(storage) = storage() {
            // A full or disabled storage only means the draft is not kept.
            let _ = if text.is_empty() {
                storage.remove_item(&self.key)
            } else {
                storage.set_item(&self.key, text)
            };
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}
