use crate::api::messaging::get_conversations;
use crate::components::{typed, use_auth, ErrorNotice, Loading, PageTitle};
use crate::live::use_live_updates;
use crate::outbox::{random_uuid, use_outbox};
use leptos::either::Either;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use mozi_core::{
    format_clock, AppError, ConversationId, ConversationList, ConversationSummary, Mutation,
    UsernameList,
};

lazy_page!(
    ConversationsRoute,
    ConversationsPage,
    conversations_route_view
);

/// `/messages`: conversations with their last message and unread count,
/// and a form to start a new one.
#[component]
fn ConversationsPage() -> impl IntoView {
    let auth = use_auth();
    let live = use_live_updates();
    let outbox = use_outbox();
    let navigate = use_navigate();
    let query = use_query_map();
    // Where this page of the list starts: empty for the latest.
    let before = move || query.read().get("before");
    let conversations = Resource::new(
        move || {
            (
                auth.generation(),
                live.changes(),
                outbox.items.with(Vec::len),
                before(),
            )
        },
        |(.., before)| get_conversations(before),
    );
    // Read from the field itself when sent: a value bound to a signal
    // would be emptied by hydration, losing what was typed before it.
    let usernames = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    // The conversation gets its id here, so it can be opened (and written
    // to) before the server has heard of it; the server checks the names.
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = typed(usernames);
        if let Err(invalid) = UsernameList::parse(&text) {
            error.set(Some(invalid.to_string()));
            return;
        }
        error.set(None);
        let conversation = ConversationId(random_uuid());
        let navigate = navigate.clone();
        spawn_local(async move {
            let start = Mutation::StartConversation {
                conversation,
                usernames: text,
            };
            match outbox.enqueue(start).await {
                Ok(()) => navigate(&format!("/messages/{conversation}"), Default::default()),
                Err(reason) => error.set(Some(reason)),
            }
        });
    };

    view! {
        <PageTitle text="Messages"/>
        <h1>"Messages"</h1>
        <section class="new-conversation" aria-labelledby="new-conversation-heading">
            <h2 id="new-conversation-heading">"New conversation"</h2>
            <form method="post" action="/api/start_conversation" on:submit=submit prop:noValidate=true>
                <label for="usernames">"Usernames"</label>
                <input
                    id="usernames"
                    name="usernames"
                    autocapitalize="none"
                    aria-describedby="usernames-hint"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    required
                    node_ref=usernames
                />
                <p class="hint" id="usernames-hint">"One or more usernames, separated by commas or spaces."</p>
                {move || error.get().map(|error| view! { <p class="form-error" role="alert">{error}</p> })}
                <button type="submit">"Start conversation"</button>
            </form>
        </section>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let ConversationList { conversations, older } = conversations.await?;
                    let paged = before().is_some();
                    Ok::<_, AppError>(if conversations.is_empty() && !paged {
                        Either::Left(view! { <p class="empty">"No conversations yet. Start one above."</p> })
                    } else {
                        Either::Right(view! {
                            {paged.then(|| view! { <p class="pager"><a href="/messages">"Latest conversations"</a></p> })}
                            <ul class="conversations" aria-label="Conversations">
                                {conversations.into_iter().map(conversation_item).collect_view()}
                            </ul>
                            {older.map(|older| view! {
                                <p class="pager"><a href=format!("/messages?before={older}")>"Older conversations"</a></p>
                            })}
                        })
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
                    Some((text, at)) => Either::Left(view! {
                        <span class="preview">{text}</span>
                        <span class="at">{at}</span>
                    }),
                    None => Either::Right(view! { <span class="preview">"No messages yet"</span> }),
                }}
            </a>
        </li>
    }
}
