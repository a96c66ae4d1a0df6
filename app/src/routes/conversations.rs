use crate::api::messaging::{get_conversations, StartConversation};
use crate::components::{use_auth, ErrorNotice, Loading};
use crate::live::use_live_updates;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use mozi_core::{format_clock, AppError, ConversationSummary};

/// `/messages`: conversations with their last message and unread count,
/// and a form to start a new one.
#[component]
pub fn ConversationsPage() -> impl IntoView {
    let auth = use_auth();
    let live = use_live_updates();
    let start = ServerAction::<StartConversation>::new();
    let conversations = Resource::new(
        move || (auth.generation(), live.changes()),
        |_| get_conversations(),
    );
    let error = move || start.value().get().and_then(Result::err);

    view! {
        <Title text="Messages"/>
        <h1>"Messages"</h1>
        <section class="new-conversation" aria-labelledby="new-conversation-heading">
            <h2 id="new-conversation-heading">"New conversation"</h2>
            <ActionForm action=start>
                <label for="usernames">"Usernames"</label>
                <input id="usernames" name="usernames" autocapitalize="none" aria-describedby="usernames-hint" required/>
                <p class="hint" id="usernames-hint">"One or more usernames, separated by commas or spaces."</p>
                {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <button type="submit" aria-busy=move || start.pending().get().to_string()>"Start conversation"</button>
            </ActionForm>
        </section>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let conversations = conversations.await?;
                    Ok::<_, AppError>(if conversations.is_empty() {
                        view! { <p class="empty">"No conversations yet. Start one above."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="conversations" aria-label="Conversations">
                                {conversations.into_iter().map(conversation_item).collect_view()}
                            </ul>
                        }
                            .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn conversation_item(conversation: ConversationSummary) -> impl IntoView {
    let unread = conversation.unread;
    let class = if unread > 0 {
        "conversation has-unread"
    } else {
        "conversation"
    };
    let preview = conversation.last_message.map(|message| {
        (
            format!("{}: {}", message.author.display_name, message.body),
            format_clock(message.created_at),
        )
    });
    view! {
        <li class=class>
            <a href=format!("/messages/{}", conversation.id)>
                <span class="title">{conversation.title}</span>
                {(unread > 0).then(|| view! {
                    <span class="unread" aria-label=format!("{unread} unread")>{unread}</span>
                })}
                {match preview {
                    Some((text, at)) => view! {
                        <span class="preview">{text}</span>
                        <span class="at">{at}</span>
                    }.into_any(),
                    None => view! { <span class="preview">"No messages yet"</span> }.into_any(),
                }}
            </a>
        </li>
    }
}
