//! Half-written messages, kept on the device per user and conversation, so
//! a reload (into a new version, say) or a closed tab loses nothing.
//!
//! A draft is kept from the first keystroke by a few lines of plain script
//! in every page's head ([`early_script`]), not by the app's wasm: a person
//! types as soon as the page shows, seconds before the app's code has
//! arrived on a slow network, and may reload or close the tab by then. The
//! script saves the box's text on every change under the key the thread
//! names in [`KEY_ATTRIBUTE`] ([`Draft::key`]), and once the page's HTML is
//! in, puts a saved draft back into an empty box and has the browser refuse
//! to send it empty, saying why, whatever code has arrived. A message the
//! form posts itself (before the app handles the form) is the server's from
//! then on: the script forgets its draft. The app clears the draft when the
//! message is queued, and puts it back on pages it renders itself.

use mozi_core::{ConversationId, UserId};

/// Every draft's key starts so: `mozi-draft:<user>:<conversation>`.
const PREFIX: &str = "mozi-draft:";

#[derive(Clone)]
pub struct Draft {
    // Read only in the browser: the server renders no drafts.
    key: String,
}

impl Draft {
    pub fn new(user: UserId, conversation: ConversationId) -> Self {
        Self {
            key: format!("{PREFIX}{user}:{conversation}"),
        }
    }

    /// Where the draft is kept: the thread names it in [`KEY_ATTRIBUTE`].
    /// It ends with `:<conversation>`, which the page's script checks
    /// against the box's form, so a box never saves under another
    /// conversation's key while the page moves between threads.
    pub fn key(&self) -> &str {
        &self.key
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

/// The attribute of the thread's element that holds its [`Draft::key`].
const KEY_ATTRIBUTE: &str = "data-draft";

/// The page's script that keeps the draft of the box `box_id` (see the
/// module's text). Storage that is full or turned off only means the draft
/// is not kept.
pub fn early_script(box_id: &str) -> String {
    format!(
        "(()=>{{const box=()=>document.getElementById({box_id:?}),\
key=b=>{{const k=document.querySelector(\"[{KEY_ATTRIBUTE}]\")?.getAttribute(\"{KEY_ATTRIBUTE}\"),\
c=b?.form?.elements.conversation?.value;return k&&c&&k.endsWith(\":\"+c)?k:null}};\
addEventListener(\"input\",e=>{{const b=box(),k=e.target===b&&key(b);\
if(k)try{{b.value?localStorage.setItem(k,b.value):localStorage.removeItem(k)}}catch{{}}}},true);\
addEventListener(\"submit\",e=>{{const b=box(),k=b&&e.target===b.form&&key(b);\
if(k)setTimeout(()=>{{if(!e.defaultPrevented)try{{localStorage.removeItem(k)}}catch{{}}}})}},true);\
document.addEventListener(\"DOMContentLoaded\",()=>{{const b=box(),k=key(b);if(b)b.required=true;\
if(k&&!b.value)try{{b.value=localStorage.getItem(k)??\"\"}}catch{{}}}})}})();"
    )
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
