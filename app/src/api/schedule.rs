use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use mozi_core::{AppError, Schedule, SessionDetail, SessionId, SessionSummary};

#[server(endpoint = "schedule", input = GetUrl, output = super::ReadAnswer)]
pub async fn get_schedule(day: u8) -> Result<Schedule, AppError> {
    use crate::backend::{respond, session, signed_in_user, AppState};
    respond(async {
        let viewer = signed_in_user(&session().await?).await?;
        AppState::current()?.db.schedule(day, viewer).await
    })
    .await
}

#[server(endpoint = "session", input = GetUrl, output = super::ReadAnswer)]
pub async fn get_session(id: SessionId) -> Result<SessionDetail, AppError> {
    use crate::backend::{respond, session, signed_in_user, AppState};
    respond(async {
        let viewer = signed_in_user(&session().await?).await?;
        AppState::current()?.db.session(id, viewer).await
    })
    .await
}

#[server(endpoint = "my_schedule", input = GetUrl, output = super::ReadAnswer)]
pub async fn get_my_schedule() -> Result<Vec<SessionSummary>, AppError> {
    use crate::backend::{require_user, respond, AppState};
    respond(async {
        let user = require_user().await?;
        AppState::current()?.db.my_schedule(user).await
    })
    .await
}

/// Adds (`bookmarked = true`) or removes a session from "My schedule". The
/// bookmark button's form posts here before the app has loaded (and then
/// returns to the page it was on); once it has, the outbox sends the change.
#[server(endpoint = "set_bookmark")]
pub async fn set_bookmark(session: SessionId, bookmarked: bool) -> Result<bool, AppError> {
    use crate::backend::{require_user, respond, writes, AppState};
    use mozi_core::{Applied, Mutation};
    respond(async {
        let user = require_user().await?;
        let state = AppState::current()?;
        let change = Mutation::SetBookmark {
            session,
            bookmarked,
        };
        match writes::apply_one(&state, user, change).await? {
            Applied::Bookmark { bookmarked, .. } => Ok(bookmarked),
            _ => Err(AppError::Internal),
        }
    })
    .await
}
