use crate::api::messaging::{get_thread, mark_read, SendMessage};
use crate::components::{use_auth, ErrorNotice, Loading};
use crate::drafts::Draft;
use crate::live::use_live_updates;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use mozi_core::{
    format_clock, format_date, AppError, ConversationId, MessageBody, MessageId, MessageView,
    UserId,
};

/// `/messages/:id`: one conversation and its composer.
#[component]
pub fn ThreadPage() -> impl IntoView {
    let auth = use_auth();
    let live = use_live_updates();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    let send = ServerAction::<SendMessage>::new();
    // Only messages of this conversation make it refetch.
    let arrivals = Memo::new(move |_| {
        live.latest.with(|latest| {
            latest
                .as_ref()
                .filter(|message| Some(message.conversation_id) == id.get())
                .map(|message| message.id)
        })
    });
    let thread = Resource::new(
        move || {
            (
                id.get(),
                arrivals.get(),
                live.reconnects.get(),
                send.version().get(),
                auth.generation(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_thread(id).await,
                None => Err(AppError::not_found("There is no such conversation.")),
            }
        },
    );

    // Whatever this page has shown counts as read.
    Effect::new(move |_| {
        if let Some(Ok(thread)) = thread.get() {
            spawn_local(async move {
                // A failure only leaves the unread count as it was.
                if let Err(error) = mark_read(thread.id).await {
                    leptos::logging::warn!("could not mark the conversation read: {error}");
                }
            });
        }
    });

    view! {
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let me = auth.user.await?.map(|user| user.id);
                    let thread = thread.await?;
                    let members = thread
                        .members
                        .iter()
                        .map(|member| format!("{} (@{})", member.display_name, member.username))
                        .collect::<Vec<_>>()
                        .join(", ");
                    Ok::<_, AppError>(view! {
                        <Title text=thread.title.clone()/>
                        <p class="back"><a href="/messages">"← All conversations"</a></p>
                        <h1>{thread.title}</h1>
                        <p class="members">{members}</p>
                        {if thread.messages.is_empty() {
                            view! { <p class="empty">"No messages yet. Say hello!"</p> }.into_any()
                        } else {
                            view! {
                                <ol class="messages" aria-label="Messages">
                                    {thread
                                        .messages
                                        .into_iter()
                                        .map(|message| message_item(message, me))
                                        .collect_view()}
                                </ol>
                            }
                                .into_any()
                        }}
                        <Composer conversation=thread.id me send/>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn message_item(message: MessageView, me: Option<UserId>) -> impl IntoView {
    let mine = Some(message.author.id) == me;
    let at = message.created_at;
    view! {
        <li class="message" class:mine=mine>
            <p class="byline">
                <span class="author">{message.author.display_name}</span>
                " "
                <time datetime=format!("{}T{}Z", format_date(at), format_clock(at))>
                    {format_clock(at)}
                </time>
            </p>
            <p class="body">{message.body}</p>
        </li>
    }
}

/// The message box. Checks the message as the server will before sending,
/// and keeps the text until the server has stored it.
#[component]
fn Composer(
    conversation: ConversationId,
    me: Option<UserId>,
    send: ServerAction<SendMessage>,
) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let draft = StoredValue::new(me.map(|me| Draft::new(me, conversation)));
    let keep_draft =
        move |text: &str| draft.with_value(|draft| draft.as_ref().map(|d| d.save(text)));
    // Effects run only in the browser, after hydration: the draft returns then.
    Effect::new(move |_| {
        if let Some(saved) = draft.with_value(|draft| draft.as_ref().and_then(Draft::load)) {
            body.set(saved);
        }
    });

    Effect::new(move |_| match send.value().get() {
        Some(Ok(sent)) => {
            error.set(None);
            // Text typed while sending stays.
            if MessageBody::parse(&body.get_untracked())
                .ok()
                .as_ref()
                .map(MessageBody::as_str)
                == Some(sent.body.as_str())
            {
                body.set(String::new());
                keep_draft("");
            }
        }
        Some(Err(failure)) => error.set(Some(failure.to_string())),
        None => {}
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = body.get_untracked();
        match MessageBody::parse(&text) {
            Err(invalid) => error.set(Some(invalid.to_string())),
            Ok(_) => {
                error.set(None);
                send.dispatch(SendMessage {
                    conversation,
                    id: new_message_id(),
                    body: text,
                });
            }
        }
    };

    view! {
        <form class="composer" method="post" action="/api/send_message" on:submit=submit>
            <input type="hidden" name="conversation" value=conversation.to_string()/>
            <input type="hidden" name="id" value=new_message_id().to_string()/>
            <label for="message-body">"Message"</label>
            <textarea
                id="message-body"
                name="body"
                rows="3"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="composer-status"
                prop:value=move || body.get()
                on:input=move |event| {
                    let text = event_target_value(&event);
                    keep_draft(&text);
                    body.set(text);
                }
            ></textarea>
            <p id="composer-status" class="composer-status">
                {move || match error.get() {
                    Some(message) => view! { <span class="form-error" role="alert">{message}</span> }.into_any(),
                    None => view! {
                        <span role="status">{move || send.pending().get().then_some("Sending…")}</span>
                    }.into_any(),
                }}
            </p>
            <button type="submit">"Send"</button>
        </form>
    }
}

/// A fresh id for a message, made when the user acts so that a resend is
/// recognised by the server as the same message.
fn new_message_id() -> MessageId {
    #[cfg(feature = "hydrate")]
    {
        let uuid = web_sys::window()
            .and_then(|window| window.crypto().ok())
            .map(|crypto| crypto.random_uuid())
            .and_then(|text| text.parse().ok());
        // crypto.randomUUID exists in every browser that runs this wasm.
        uuid.expect("crypto.randomUUID is available")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        MessageId::new_random()
    }
}
