//! What the server sends to pages: plain serialisable views.

use crate::{ConversationId, MessageId, PageCursor, SessionId, UnixMillis, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// One day of the conference, for the day tabs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConferenceDay {
    /// 1-based.
    pub number: u8,
    /// "2026-06-10".
    pub date: String,
    /// "Wednesday 10 June".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: SessionId,
    pub day: u8,
    /// Local conference time, "09:30".
    pub starts_at: String,
    pub ends_at: String,
    pub title: String,
    pub room: String,
    pub track: String,
    pub speakers: Vec<String>,
    /// Whether the signed-in user has it in "My schedule" (false when signed out).
    pub bookmarked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speaker {
    pub name: String,
    pub affiliation: String,
    /// `/images/speakers/<slug>.svg`.
    pub photo_url: String,
}

/// Where a speaker's picture is served: the name as a lower-case ASCII slug.
pub fn speaker_photo_url(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    format!("/images/speakers/{}.svg", slug.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_event_reads_back_as_written_in_any_key_order() {
        let event = LiveEvent::Message {
            message: MessageView {
                id: MessageId(uuid::Uuid::from_u128(7)),
                conversation_id: ConversationId(uuid::Uuid::from_u128(8)),
                author: UserView {
                    id: UserId(3),
                    username: "ada".to_owned(),
                    display_name: "Ada <b>".to_owned(),
                },
                body: "<b>hi</b>".to_owned(),
                created_at: 1_700_000_000_000,
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(
            json.starts_with(r#"{"type":"message","message":"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<LiveEvent>(&json).unwrap(), event);
        let message = serde_json::to_string(&event_message(&event)).unwrap();
        let reordered = format!(r#"{{"message":{message},"type":"message"}}"#);
        assert_eq!(
            serde_json::from_str::<LiveEvent>(&reordered).unwrap(),
            event
        );
        assert!(serde_json::from_str::<LiveEvent>(r#"{"type":"other","message":null}"#).is_err());
    }

    fn event_message(event: &LiveEvent) -> &MessageView {
        match event {
            LiveEvent::Message { message } => message,
        }
    }

    #[test]
    fn photo_urls_are_slugs() {
        assert_eq!(
            speaker_photo_url("Ji-woo Tanaka"),
            "/images/speakers/ji-woo-tanaka.svg"
        );
        assert_eq!(
            speaker_photo_url(" Ada  O'Neil "),
            "/images/speakers/ada-o-neil.svg"
        );
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub summary: SessionSummary,
    pub date_label: String,
    pub abstract_text: String,
    pub speakers: Vec<Speaker>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub name: String,
    pub days: Vec<ConferenceDay>,
    /// The day shown.
    pub day: u8,
    pub sessions: Vec<SessionSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author: UserView,
    pub body: String,
    pub created_at: UnixMillis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// The other members' display names.
    pub title: String,
    pub last_message: Option<MessageView>,
    pub unread: i64,
}

/// One page of the user's conversations, most recently active first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
    /// Where the next, older page starts; `None` on the last page.
    pub older: Option<PageCursor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub id: ConversationId,
    pub title: String,
    pub members: Vec<UserView>,
    /// One page of messages, oldest first: the latest ones, or those
    /// before the cursor the page was asked for.
    pub messages: Vec<MessageView>,
    /// Where the page of older messages starts; `None` when there are none.
    pub older: Option<PageCursor>,
}

impl Thread {
    /// How many messages a page of a thread holds.
    pub const MESSAGES_PER_PAGE: usize = 50;
}

/// Pushed to a signed-in user's open pages over server-sent events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", from = "LiveEventFields")]
pub enum LiveEvent {
    /// A message was posted in a conversation the user belongs to.
    Message { message: MessageView },
}

/// How a [`LiveEvent`] is read: the same JSON, `{"type":"message",
/// "message":{…}}`, as a plain struct. serde reads an internally tagged
/// enum by buffering the whole value in a generic form first, and that
/// code was 14 KB of the page's main wasm module.
#[derive(Deserialize)]
struct LiveEventFields {
    #[serde(rename = "type")]
    kind: LiveEventKind,
    message: MessageView,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum LiveEventKind {
    Message,
}

impl From<LiveEventFields> for LiveEvent {
    fn from(fields: LiveEventFields) -> Self {
        match fields.kind {
            LiveEventKind::Message => LiveEvent::Message {
                message: fields.message,
            },
        }
    }
}

impl LiveEvent {
    /// The name of the SSE event this is sent as.
    pub const SSE_NAME: &'static str = "live";
    /// The SSE event telling a page that events it missed are gone (it was
    /// away longer than the server keeps them): it refetches what it shows.
    pub const REFETCH_SSE_NAME: &'static str = "refetch";
    /// The SSE event the server sends when it has had nothing else to send
    /// for [`Self::KEEP_ALIVE_SECS`]: an event, not a comment, so a page
    /// sees it and can tell a quiet stream from one that went silent.
    pub const KEEP_ALIVE_SSE_NAME: &'static str = "keep-alive";
    /// How often a quiet stream carries a keep-alive.
    pub const KEEP_ALIVE_SECS: u64 = 15;
    /// The query parameter a page's own new stream names the last event it
    /// got with: a browser sends `Last-Event-ID` only on its own reconnects.
    pub const LAST_EVENT_ID_PARAM: &'static str = "last_event_id";
}
