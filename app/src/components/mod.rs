//! Pieces shared by several pages.

mod auth;
mod bookmark;
mod composer;
mod error;
mod header;
mod offline;
mod outbox;
mod page_title;
mod session_card;

pub use auth::{provide_auth, typed, use_auth, Auth};
pub use bookmark::BookmarkButton;
pub use composer::{Composer, MESSAGE_BOX_ID};
pub use error::{ErrorNotice, Loading};
pub use header::SiteHeader;
pub use offline::{OfflineIndicator, UpdateToast, VersionFooter};
pub use outbox::{PendingChanges, QueuedStatus};
pub use page_title::PageTitle;
pub use session_card::SessionCard;
