//! Rows as both backends answer them, and the views made from them: each
//! backend has its own queries, and both name and type their columns alike
//! (text ids, 64-bit integers), so turning rows into views is written once.

use mozi_core::{
    speaker_photo_url, AppError, ConferenceDay, ConversationId, ConversationList,
    ConversationSummary, MessageView, PageCursor, SessionId, SessionSummary, Speaker, Thread,
    UserId, UserView,
};

/// How many conversations a page of the list shows.
pub(crate) const CONVERSATIONS_PER_PAGE: i64 = 30;
/// The name of the one conference this server holds.
pub(crate) const CONFERENCE_NAME: &str = "MOZI Conf 2026";
/// Separates speaker names inside one SQL column (ASCII unit separator).
pub(crate) const NAME_SEPARATOR: char = '\u{1f}';

/// A stored id that does not parse: the database was written by something
/// else than this code.
pub(crate) fn parse_id<I: std::str::FromStr>(text: &str, what: &str) -> Result<I, AppError> {
    text.parse().map_err(|_| {
        tracing::error!(id = text, "a stored {what} has a malformed id");
        AppError::Internal
    })
}

/// A page's bounds as query parameters: before this time and id, or from
/// the newest (an empty id).
pub(crate) fn page_bounds(before: Option<PageCursor>) -> (i64, String) {
    match before {
        Some(cursor) => (cursor.at, cursor.id.to_string()),
        None => (i64::MAX, String::new()),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        UserView {
            id: UserId(row.id),
            username: row.username,
            display_name: row.display_name,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub author_id: i64,
    pub username: String,
    pub display_name: String,
    pub body: String,
    pub created_at: i64,
}

impl TryFrom<MessageRow> for MessageView {
    type Error = AppError;

    fn try_from(row: MessageRow) -> Result<Self, AppError> {
        Ok(MessageView {
            id: parse_id(&row.id, "message")?,
            conversation_id: parse_id(&row.conversation_id, "message")?,
            author: UserView {
                id: UserId(row.author_id),
                username: row.username,
                display_name: row.display_name,
            },
            body: row.body,
            created_at: row.created_at,
        })
    }
}

/// A thread from its members and one page of its messages, newest first
/// and one more than a page when there are older ones.
pub(crate) fn thread(
    viewer: UserId,
    id: ConversationId,
    members: Vec<UserView>,
    mut rows: Vec<MessageRow>,
) -> Result<Thread, AppError> {
    let more = rows.len() > Thread::MESSAGES_PER_PAGE;
    rows.truncate(Thread::MESSAGES_PER_PAGE);
    rows.reverse();
    let messages = rows
        .into_iter()
        .map(MessageView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let older = messages.first().filter(|_| more).map(|oldest| PageCursor {
        at: oldest.created_at,
        id: oldest.id.0,
    });
    let title = members
        .iter()
        .filter(|member| member.id != viewer)
        .map(|member| member.display_name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Thread {
        id,
        title,
        members,
        messages,
        older,
    })
}

/// A conversation of the list, with its last message if it has one.
#[derive(sqlx::FromRow)]
pub(crate) struct ConversationRow {
    pub id: String,
    pub last_activity_at: i64,
    pub title: Option<String>,
    pub unread: i64,
    pub last_id: Option<String>,
    pub last_author_id: Option<i64>,
    pub last_username: Option<String>,
    pub last_display_name: Option<String>,
    pub last_body: Option<String>,
    pub last_created_at: Option<i64>,
}

impl ConversationRow {
    /// The summary and the cursor just past it.
    fn into_summary(self) -> Result<(ConversationSummary, PageCursor), AppError> {
        let id: ConversationId = parse_id(&self.id, "conversation")?;
        let last_message = match (
            self.last_id,
            self.last_author_id,
            self.last_username,
            self.last_display_name,
            self.last_body,
            self.last_created_at,
        ) {
            (
                Some(message_id),
                Some(author_id),
                Some(username),
                Some(display_name),
                Some(body),
                Some(created_at),
            ) => Some(MessageView::try_from(MessageRow {
                id: message_id,
                conversation_id: self.id,
                author_id,
                username,
                display_name,
                body,
                created_at,
            })?),
            _ => None,
        };
        let cursor = PageCursor {
            at: self.last_activity_at,
            id: id.0,
        };
        Ok((
            ConversationSummary {
                id,
                title: self.title.unwrap_or_default(),
                last_message,
                unread: self.unread,
            },
            cursor,
        ))
    }
}

/// A page of the conversation list from one more row than a page when
/// there are older ones.
pub(crate) fn conversation_page(rows: Vec<ConversationRow>) -> Result<ConversationList, AppError> {
    let more = rows.len() > CONVERSATIONS_PER_PAGE as usize;
    let mut conversations = Vec::with_capacity(rows.len());
    let mut older = None;
    for row in rows.into_iter().take(CONVERSATIONS_PER_PAGE as usize) {
        let (summary, cursor) = row.into_summary()?;
        older = Some(cursor);
        conversations.push(summary);
    }
    Ok(ConversationList {
        conversations,
        older: older.filter(|_| more),
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id: i64,
    pub day: i64,
    pub starts_at: String,
    pub ends_at: String,
    pub title: String,
    pub room: String,
    pub track: String,
    /// Speaker names joined by `NAME_SEPARATOR`.
    pub speakers: Option<String>,
    pub bookmarked: bool,
}

impl From<SessionRow> for SessionSummary {
    fn from(row: SessionRow) -> Self {
        SessionSummary {
            id: SessionId(row.id),
            day: u8::try_from(row.day).unwrap_or_default(),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            title: row.title,
            room: row.room,
            track: row.track,
            speakers: row
                .speakers
                .map(|names| names.split(NAME_SEPARATOR).map(str::to_owned).collect())
                .unwrap_or_default(),
            bookmarked: row.bookmarked,
        }
    }
}

pub(crate) fn conference_day((number, date, label): (i64, String, String)) -> ConferenceDay {
    ConferenceDay {
        number: u8::try_from(number).unwrap_or_default(),
        date,
        label,
    }
}

pub(crate) fn speaker((name, affiliation): (String, String)) -> Speaker {
    Speaker {
        photo_url: speaker_photo_url(&name),
        name,
        affiliation,
    }
}

/// The answer for a day the conference does not have.
pub(crate) fn no_such_day(day: u8, days: &[ConferenceDay]) -> AppError {
    AppError::not_found(format!(
        "The conference has no day {day}; it runs for {} days.",
        days.len()
    ))
}

pub(crate) fn no_such_session(id: SessionId) -> AppError {
    AppError::not_found(format!("There is no session {id}."))
}

pub(crate) fn no_such_conversation(id: ConversationId) -> AppError {
    AppError::not_found(format!("There is no conversation {id}."))
}
