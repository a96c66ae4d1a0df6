use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use mozi_core::{AppError, ConversationId, ConversationList, MessageId, MessageView, Thread};

/// One page of the user's conversations; `before` is the `older` cursor of
/// the page before it.
#[server(endpoint = "conversations", input = GetUrl, output = super::ReadAnswer)]
pub async fn get_conversations(before: Option<String>) -> Result<ConversationList, AppError> {
    use crate::backend::{require_user, respond, AppState};
    use mozi_core::PageCursor;
    respond(async {
        let user = require_user().await?;
        let before = PageCursor::parse_optional(before.as_deref())?;
        AppState::current()?.db.conversations(user, before).await
    })
    .await
}

/// A conversation with its latest messages, or those before `before`.
#[server(endpoint = "thread", input = GetUrl, output = super::ReadAnswer)]
pub async fn get_thread(id: ConversationId, before: Option<String>) -> Result<Thread, AppError> {
    use crate::backend::{require_user, respond, AppState};
    use mozi_core::PageCursor;
    respond(async {
        let user = require_user().await?;
        let before = PageCursor::parse_optional(before.as_deref())?;
        AppState::current()?.db.thread(user, id, before).await
    })
    .await
}

/// Starts (or reopens, for an existing 1:1) a conversation with the people
/// named in `usernames`, then goes to it. The page's form posts here before
/// the app has loaded; once it has, the outbox sends the same change.
#[server(endpoint = "start_conversation")]
pub async fn start_conversation(usernames: String) -> Result<ConversationId, AppError> {
    use crate::backend::{require_user, respond, writes, AppState};
    use mozi_core::{Applied, Mutation};
    respond(async {
        let user = require_user().await?;
        let state = AppState::current()?;
        let start = Mutation::StartConversation {
            conversation: ConversationId::new_random(),
            usernames,
        };
        let Applied::Conversation { conversation } = writes::apply_one(&state, user, start).await?
        else {
            return Err(AppError::Internal);
        };
        leptos_axum::redirect(&format!("/messages/{conversation}"));
        Ok(conversation)
    })
    .await
}

/// Posts a message. `id` is made on the device when the user presses Send,
/// so sending the same message twice stores it once. The composer posts
/// here before the app has loaded; once it has, the outbox sends it.
#[server(endpoint = "send_message")]
pub async fn send_message(
    conversation: ConversationId,
    id: MessageId,
    body: String,
) -> Result<MessageView, AppError> {
    use crate::backend::{now_millis, require_user, respond, writes, AppState};
    use mozi_core::{Applied, Mutation};
    respond(async {
        let user = require_user().await?;
        let state = AppState::current()?;
        let send = Mutation::SendMessage {
            conversation,
            id,
            body,
            created_at: now_millis(),
        };
        let Applied::Message { message } = writes::apply_one(&state, user, send).await? else {
            return Err(AppError::Internal);
        };
        Ok(message)
    })
    .await
}

/// Marks the conversation read up to now.
#[server(endpoint = "mark_read")]
pub async fn mark_read(conversation: ConversationId) -> Result<(), AppError> {
    use crate::backend::{now_millis, require_user, respond, AppState};
    respond(async {
        let user = require_user().await?;
        AppState::current()?
            .db
            .mark_read(user, conversation, now_millis())
            .await
    })
    .await
}
