//! Pieces shared by several pages.

mod auth;
mod bookmark;
mod error;
mod header;
mod offline;
mod outbox;
mod session_card;

pub use auth::{provide_auth, typed, use_auth, Auth};
pub use bookmark::BookmarkButton;
pub use error::{ErrorNotice, Loading};
pub use header::SiteHeader;
pub use offline::{OfflineIndicator, UpdateToast, VersionFooter};
pub use outbox::{status_label, PendingChanges, QueuedStatus};
pub use session_card::SessionCard;
