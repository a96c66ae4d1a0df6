use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use mozi_core::{AppError, ConversationId, ConversationSummary, MessageId, MessageView, Thread};

#[server(endpoint = "conversations", input = GetUrl)]
pub async fn get_conversations() -> Result<Vec<ConversationSummary>, AppError> {
    use crate::backend::{require_user, respond, AppState};
    respond(async {
        let user = require_user().await?;
        AppState::current()?.db.conversations(user).await
    })
    .await
}

#[server(endpoint = "thread", input = GetUrl)]
pub async fn get_thread(id: ConversationId) -> Result<Thread, AppError> {
    use crate::backend::{require_user, respond, AppState};
    respond(async {
        let user = require_user().await?;
        AppState::current()?.db.thread(user, id).await
    })
    .await
}

/// Starts (or reopens, for an existing 1:1) a conversation with the people
/// named in `usernames`, then goes to it.
#[server(endpoint = "start_conversation")]
pub async fn start_conversation(usernames: String) -> Result<ConversationId, AppError> {
    use crate::backend::{now_millis, require_user, respond, AppState};
    use mozi_core::UsernameList;
    respond(async {
        let user = require_user().await?;
        let names = UsernameList::parse(&usernames)?;
        let db = AppState::current()?.db;
        let others = db.users_named(names.names()).await?;
        let id = db.start_conversation(user, &others, now_millis()).await?;
        leptos_axum::redirect(&format!("/messages/{id}"));
        Ok(id)
    })
    .await
}

/// Posts a message. `id` is made on the device when the user presses Send,
/// so sending the same message twice stores it once.
#[server(endpoint = "send_message")]
pub async fn send_message(
    conversation: ConversationId,
    id: MessageId,
    body: String,
) -> Result<MessageView, AppError> {
    use crate::backend::{now_millis, require_user, respond, AppState};
    use mozi_core::{LiveEvent, MessageBody};
    respond(async {
        let user = require_user().await?;
        let body = MessageBody::parse(&body)?;
        let state = AppState::current()?;
        let now = now_millis();
        let posted = state
            .db
            .post_message(user, conversation, id, &body, now, now)
            .await?;
        if posted.newly_stored {
            state.live.publish(
                posted.members,
                LiveEvent::Message {
                    message: posted.message.clone(),
                },
            );
        }
        Ok(posted.message)
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
