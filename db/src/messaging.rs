use crate::{internal, Db};
use mozi_core::{
    AppError, ConversationId, ConversationList, ConversationSummary, MessageBody, MessageId,
    MessageView, PageCursor, Thread, UnixMillis, UserId, UserView,
};
use sqlx::SqliteConnection;
use std::collections::hash_map::{Entry, HashMap};

/// How many messages a page of a thread shows.
const MESSAGES_PER_PAGE: i64 = 50;
/// How many conversations a page of the list shows.
const CONVERSATIONS_PER_PAGE: i64 = 30;

/// A stored message with the members to tell about it.
#[derive(Debug)]
pub struct PostedMessage {
    pub message: MessageView,
    pub members: Vec<UserId>,
    /// False when this id was already stored: a resend, answered with the first result.
    pub newly_stored: bool,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    conversation_id: String,
    author_id: i64,
    username: String,
    display_name: String,
    body: String,
    created_at: i64,
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.author_id, u.username, u.display_name,
    m.body, m.created_at";

impl TryFrom<MessageRow> for MessageView {
    type Error = AppError;

    fn try_from(row: MessageRow) -> Result<Self, AppError> {
        let corrupt = |_| {
            tracing::error!(id = row.id, "stored message has a malformed id");
            AppError::Internal
        };
        Ok(MessageView {
            id: row.id.parse().map_err(corrupt)?,
            conversation_id: row.conversation_id.parse().map_err(corrupt)?,
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

fn not_found(id: ConversationId) -> AppError {
    AppError::not_found(format!("There is no conversation {id}."))
}

impl Db {
    /// One page of the user's conversations, most recently active first,
    /// with unread counts and last messages.
    pub async fn conversations(
        &self,
        user: UserId,
        before: Option<PageCursor>,
    ) -> Result<ConversationList, AppError> {
        let (before_at, before_id) = match before {
            Some(cursor) => (cursor.at, cursor.id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "SELECT c.id, c.last_activity_at,
                (SELECT group_concat(display_name, ', ') FROM (
                    SELECT u.display_name FROM conversation_members om
                    JOIN users u ON u.id = om.user_id
                    WHERE om.conversation_id = c.id AND om.user_id != me.user_id
                    ORDER BY u.display_name)) AS title,
                (SELECT COUNT(*) FROM messages m
                 WHERE m.conversation_id = c.id AND m.author_id != me.user_id
                   AND m.received_at > me.last_read_at) AS unread,
                last.id AS last_id, last.author_id AS last_author_id,
                last_author.username AS last_username,
                last_author.display_name AS last_display_name,
                last.body AS last_body, last.created_at AS last_created_at
             FROM conversations c
             JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ?
             LEFT JOIN messages last ON last.id = (
                 SELECT m.id FROM messages m WHERE m.conversation_id = c.id
                 ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
             LEFT JOIN users last_author ON last_author.id = last.author_id
             WHERE (c.last_activity_at, c.id) < (?, ?) OR ? = ''
             ORDER BY c.last_activity_at DESC, c.id DESC
             LIMIT ?",
        )
        .bind(user.0)
        .bind(before_at)
        .bind(&before_id)
        .bind(&before_id)
        .bind(CONVERSATIONS_PER_PAGE + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        let more = rows.len() > CONVERSATIONS_PER_PAGE as usize;
        let mut conversations = Vec::with_capacity(rows.len());
        let mut older = None;
        for row in rows.into_iter().take(CONVERSATIONS_PER_PAGE as usize) {
            let summary = row.into_summary()?;
            older = Some(summary.1);
            conversations.push(summary.0);
        }
        Ok(ConversationList {
            conversations,
            older: older.filter(|_| more),
        })
    }

    /// A conversation's members and one page of its messages, oldest first:
    /// the latest ones, or those before `before`. `id` may be an alias the
    /// user's device gave it.
    pub async fn thread(
        &self,
        user: UserId,
        id: ConversationId,
        before: Option<PageCursor>,
    ) -> Result<Thread, AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let id = resolve_alias(&mut conn, user, id).await?;
        let members = members_visible_to(&mut conn, user, id).await?;
        let (before_at, before_id) = match before {
            Some(cursor) => (cursor.at, cursor.id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id
             WHERE m.conversation_id = ? AND ((m.created_at, m.id) < (?, ?) OR ? = '')
             ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
        ))
        .bind(id.to_string())
        .bind(before_at)
        .bind(&before_id)
        .bind(&before_id)
        .bind(MESSAGES_PER_PAGE + 1)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        let more = rows.len() > MESSAGES_PER_PAGE as usize;
        rows.truncate(MESSAGES_PER_PAGE as usize);
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
            .filter(|member| member.id != user)
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

    /// Marks everything received so far in the conversation as read by `user`.
    pub async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let conversation = resolve_alias(&mut conn, user, conversation).await?;
        let updated = sqlx::query(
            "UPDATE conversation_members SET last_read_at = max(last_read_at, ?)
             WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(now)
        .bind(conversation.to_string())
        .bind(user.0)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
        if updated.rows_affected() == 0 {
            return Err(not_found(conversation));
        }
        Ok(())
    }
}

/// A conversation of the list, with its last message if it has one.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    last_activity_at: i64,
    title: Option<String>,
    unread: i64,
    last_id: Option<String>,
    last_author_id: Option<i64>,
    last_username: Option<String>,
    last_display_name: Option<String>,
    last_body: Option<String>,
    last_created_at: Option<i64>,
}

impl SummaryRow {
    /// The summary and the cursor just past it.
    fn into_summary(self) -> Result<(ConversationSummary, PageCursor), AppError> {
        let corrupt = |_| {
            tracing::error!(id = self.id, "stored conversation has a malformed id");
            AppError::Internal
        };
        let id: ConversationId = self.id.parse().map_err(corrupt)?;
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
                conversation_id: id.to_string(),
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

/// The conversation `id` stands for, for `user`: itself, or the existing
/// conversation their device's id was made an alias of.
pub(crate) async fn resolve_alias(
    conn: &mut SqliteConnection,
    user: UserId,
    id: ConversationId,
) -> Result<ConversationId, AppError> {
    let alias: Option<(String,)> = sqlx::query_as(
        "SELECT conversation_id FROM conversation_aliases WHERE id = ? AND user_id = ?",
    )
    .bind(id.to_string())
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match alias {
        Some((target,)) => target.parse().map_err(|_| AppError::Internal),
        None => Ok(id),
    }
}

/// Starts a conversation inside the caller's transaction, under the id the
/// device chose (so queued messages can name it before the server has it).
/// A 1:1 conversation that already exists is reused rather than doubled: the
/// device's id becomes an alias of it.
pub(crate) async fn start_conversation_in(
    conn: &mut SqliteConnection,
    creator: UserId,
    others: &[UserView],
    chosen_id: ConversationId,
    now: UnixMillis,
) -> Result<ConversationId, AppError> {
    let mut members: Vec<UserId> = others
        .iter()
        .map(|user| user.id)
        .filter(|&id| id != creator)
        .collect();
    members.sort_unstable_by_key(|id| id.0);
    members.dedup();
    if members.is_empty() {
        return Err(AppError::invalid(
            "Add at least one other person to start a conversation.",
        ));
    }
    let already = resolve_alias(conn, creator, chosen_id).await?;
    if already != chosen_id {
        return Ok(already);
    }
    if let [other] = members.as_slice() {
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT c.id FROM conversations c
             JOIN conversation_members a ON a.conversation_id = c.id AND a.user_id = ?
             JOIN conversation_members b ON b.conversation_id = c.id AND b.user_id = ?
             WHERE (SELECT COUNT(*) FROM conversation_members m
                    WHERE m.conversation_id = c.id) = 2
             ORDER BY c.created_at, c.id
             LIMIT 1",
        )
        .bind(creator.0)
        .bind(other.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        if let Some((id,)) = existing {
            let existing: ConversationId = id.parse().map_err(|_| AppError::Internal)?;
            if existing != chosen_id {
                alias(conn, creator, chosen_id, existing).await?;
            }
            return Ok(existing);
        }
    }
    create_under_device_id(conn, creator, &members, chosen_id, now).await
}

async fn alias(
    conn: &mut SqliteConnection,
    user: UserId,
    alias: ConversationId,
    target: ConversationId,
) -> Result<(), AppError> {
    let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM conversations WHERE id = ?")
        .bind(alias.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    if taken.is_some() {
        return Err(AppError::Conflict(
            "This conversation id is already used.".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO conversation_aliases (id, user_id, conversation_id) VALUES (?, ?, ?)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(alias.to_string())
    .bind(user.0)
    .bind(target.to_string())
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Creating under a device-made id again is harmless for its creator; an id
/// already taken by someone else's conversation is a conflict.
async fn create_under_device_id(
    conn: &mut SqliteConnection,
    creator: UserId,
    members: &[UserId],
    id: ConversationId,
    now: UnixMillis,
) -> Result<ConversationId, AppError> {
    let existing: Option<(i64,)> =
        sqlx::query_as("SELECT created_by FROM conversations WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    match existing {
        Some((owner,)) if owner == creator.0 => Ok(id),
        Some(_) => Err(AppError::Conflict(
            "This conversation id is already used.".into(),
        )),
        None => insert_conversation(conn, creator, members, id, now).await,
    }
}

async fn insert_conversation(
    conn: &mut SqliteConnection,
    creator: UserId,
    members: &[UserId],
    id: ConversationId,
    now: UnixMillis,
) -> Result<ConversationId, AppError> {
    sqlx::query(
        "INSERT INTO conversations (id, created_by, created_at, last_activity_at)
         VALUES (?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(creator.0)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    for member in std::iter::once(creator).chain(members.iter().copied()) {
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, last_read_at)
             VALUES (?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(member.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    Ok(id)
}

/// What one batch has learned of the conversations its messages go to:
/// each is looked up once (its alias and members), and its activity is
/// written once, when the batch ends, rather than once per message.
#[derive(Default)]
pub(crate) struct BatchConversations {
    /// By the id the device used.
    known: HashMap<ConversationId, KnownConversation>,
    /// Conversations that got a new message from the batch's author.
    active: Vec<ConversationId>,
}

struct KnownConversation {
    id: ConversationId,
    members: Vec<UserView>,
}

impl BatchConversations {
    async fn visible_to(
        &mut self,
        conn: &mut SqliteConnection,
        viewer: UserId,
        id: ConversationId,
    ) -> Result<&KnownConversation, AppError> {
        let known = match self.known.entry(id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => {
                let resolved = resolve_alias(conn, viewer, id).await?;
                let members = members_visible_to(conn, viewer, resolved).await?;
                slot.insert(KnownConversation {
                    id: resolved,
                    members,
                })
            }
        };
        Ok(known)
    }

    /// Writes the activity of the batch's messages: each conversation's
    /// last activity, and the author's own messages as read by them.
    pub(crate) async fn finish(
        self,
        conn: &mut SqliteConnection,
        author: UserId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        for conversation in self.active {
            sqlx::query("UPDATE conversations SET last_activity_at = ? WHERE id = ?")
                .bind(now)
                .bind(conversation.to_string())
                .execute(&mut *conn)
                .await
                .map_err(internal)?;
            sqlx::query(
                "UPDATE conversation_members SET last_read_at = ?
                 WHERE conversation_id = ? AND user_id = ?",
            )
            .bind(now)
            .bind(conversation.to_string())
            .bind(author.0)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }
}

/// Stores a message inside the caller's transaction, once per id: a
/// resend of a stored id is answered with the stored message.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post_message_in(
    conn: &mut SqliteConnection,
    conversations: &mut BatchConversations,
    author: UserId,
    conversation: ConversationId,
    id: MessageId,
    body: &MessageBody,
    created_at: UnixMillis,
    now: UnixMillis,
) -> Result<PostedMessage, AppError> {
    let known = conversations.visible_to(conn, author, conversation).await?;
    let conversation = known.id;
    let members: Vec<UserId> = known.members.iter().map(|member| member.id).collect();
    let author_view = known
        .members
        .iter()
        .find(|member| member.id == author)
        .cloned()
        .ok_or(AppError::Internal)?;
    let inserted = sqlx::query(
        "INSERT INTO messages (id, conversation_id, author_id, body, created_at, received_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(conversation.to_string())
    .bind(author.0)
    .bind(body.as_str())
    .bind(created_at)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 1 {
        if !conversations.active.contains(&conversation) {
            conversations.active.push(conversation);
        }
        let message = MessageView {
            id,
            conversation_id: conversation,
            author: author_view,
            body: body.as_str().to_owned(),
            created_at,
        };
        return Ok(PostedMessage {
            message,
            members,
            newly_stored: true,
        });
    }
    let stored: MessageRow = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id
         WHERE m.id = ?"
    ))
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    let message = MessageView::try_from(stored)?;
    if message.author.id != author || message.conversation_id != conversation {
        return Err(AppError::Conflict(
            "This message id is already used by another message.".into(),
        ));
    }
    Ok(PostedMessage {
        message,
        members,
        newly_stored: false,
    })
}

/// The members of a conversation, or "not found" when `viewer` is not one of
/// them, so nobody learns that a foreign conversation exists.
async fn members_visible_to(
    conn: &mut SqliteConnection,
    viewer: UserId,
    conversation: ConversationId,
) -> Result<Vec<UserView>, AppError> {
    let members: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name FROM conversation_members cm
         JOIN users u ON u.id = cm.user_id WHERE cm.conversation_id = ? ORDER BY u.display_name",
    )
    .bind(conversation.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    if !members.iter().any(|(id, _, _)| *id == viewer.0) {
        return Err(not_found(conversation));
    }
    Ok(members
        .into_iter()
        .map(|(id, username, display_name)| UserView {
            id: UserId(id),
            username,
            display_name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::testing::{change, temp_db, user};
    use crate::Db;
    use mozi_core::{AppError, Applied, ConversationId, MessageId, Mutation, UserId};

    async fn start(
        db: &Db,
        creator: UserId,
        device_id: ConversationId,
        usernames: &str,
        now: i64,
    ) -> Result<ConversationId, AppError> {
        let mutation = Mutation::StartConversation {
            conversation: device_id,
            usernames: usernames.into(),
        };
        match change(db, creator, mutation, now).await? {
            Applied::Conversation { conversation } => Ok(conversation),
            other => panic!("not a conversation: {other:?}"),
        }
    }

    async fn post(
        db: &Db,
        author: UserId,
        conversation: ConversationId,
        id: MessageId,
        body: &str,
        created_at: i64,
        now: i64,
    ) -> Result<mozi_core::MessageView, AppError> {
        let mutation = Mutation::SendMessage {
            conversation,
            id,
            body: body.into(),
            created_at,
        };
        match change(db, author, mutation, now).await? {
            Applied::Message { message } => Ok(message),
            other => panic!("not a message: {other:?}"),
        }
    }

    #[tokio::test]
    async fn messages_count_as_unread_until_the_thread_is_read() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await, user(&db, "bob").await);
        let id = start(&db, ada.id, ConversationId::new_random(), "bob", 10)
            .await
            .unwrap();
        post(&db, ada.id, id, MessageId::new_random(), "hello", 20, 20)
            .await
            .unwrap();
        post(&db, ada.id, id, MessageId::new_random(), "hello", 21, 21)
            .await
            .unwrap();
        let list = db.conversations(bob.id, None).await.unwrap();
        assert_eq!(list.conversations[0].unread, 2);
        assert_eq!(list.conversations[0].title, "ADA");
        let last = list.conversations[0].last_message.as_ref().unwrap();
        assert_eq!((last.body.as_str(), last.created_at), ("hello", 21));
        assert_eq!(
            db.conversations(ada.id, None).await.unwrap().conversations[0].unread,
            0
        );
        db.mark_read(bob.id, id, 30).await.unwrap();
        assert_eq!(
            db.conversations(bob.id, None).await.unwrap().conversations[0].unread,
            0
        );
    }

    #[tokio::test]
    async fn a_resent_message_is_stored_once() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await, user(&db, "bob").await);
        let id = start(&db, ada.id, ConversationId::new_random(), "bob", 10)
            .await
            .unwrap();
        let message_id = MessageId::new_random();
        let first = post(&db, ada.id, id, message_id, "once", 20, 20)
            .await
            .unwrap();
        let again = post(&db, ada.id, id, message_id, "once", 20, 25)
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(db.thread(bob.id, id, None).await.unwrap().messages.len(), 1);
        let stolen = post(&db, bob.id, id, message_id, "once", 20, 26)
            .await
            .unwrap_err();
        assert_eq!(stolen.code(), "conflict");
    }

    #[tokio::test]
    async fn device_times_stay_within_the_outbox_window() {
        let (db, _dir) = temp_db().await;
        let ada = user(&db, "ada").await;
        user(&db, "bob").await;
        let now = 1_800_000_000_000;
        let id = start(&db, ada.id, ConversationId::new_random(), "bob", now)
            .await
            .unwrap();
        let ancient = post(&db, ada.id, id, MessageId::new_random(), "a", i64::MIN, now)
            .await
            .unwrap();
        assert_eq!(ancient.created_at, now - mozi_core::OUTBOX_TTL_MS);
        let future = post(&db, ada.id, id, MessageId::new_random(), "b", i64::MAX, now)
            .await
            .unwrap();
        assert_eq!(future.created_at, now);
    }

    #[tokio::test]
    async fn a_one_to_one_conversation_is_reused_whatever_id_the_device_chose() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await, user(&db, "bob").await);
        let first = start(&db, ada.id, ConversationId::new_random(), "bob", 10)
            .await
            .unwrap();
        let device_id = ConversationId::new_random();
        let again = start(&db, bob.id, device_id, "ada", 11).await.unwrap();
        assert_eq!(again, first);
        // Messages queued for the device's id land in the existing one.
        post(
            &db,
            bob.id,
            device_id,
            MessageId::new_random(),
            "hi",
            12,
            12,
        )
        .await
        .unwrap();
        let thread = db.thread(ada.id, first, None).await.unwrap();
        assert_eq!(thread.messages.len(), 1);
        assert_eq!(db.thread(bob.id, device_id, None).await.unwrap().id, first);
        assert_eq!(
            start(&db, bob.id, device_id, "ada", 13).await.unwrap(),
            first
        );
        assert_eq!(
            db.conversations(ada.id, None)
                .await
                .unwrap()
                .conversations
                .len(),
            1
        );
        // The alias is Bob's own: for anyone else it names nothing.
        assert_eq!(
            db.thread(ada.id, device_id, None).await.unwrap_err().code(),
            "not_found"
        );
    }

    #[tokio::test]
    async fn threads_and_lists_come_in_pages_newest_first() {
        let (db, _dir) = temp_db().await;
        let ada = user(&db, "ada").await;
        let mut last = None;
        for n in 0..35 {
            let name = format!("person{n}");
            user(&db, &name).await;
            last = Some(
                start(&db, ada.id, ConversationId::new_random(), &name, 100 + n)
                    .await
                    .unwrap(),
            );
        }
        let first_page = db.conversations(ada.id, None).await.unwrap();
        assert_eq!(first_page.conversations.len(), 30);
        assert_eq!(first_page.conversations[0].id, last.unwrap());
        let rest = db.conversations(ada.id, first_page.older).await.unwrap();
        assert_eq!(rest.conversations.len(), 5);
        assert_eq!(rest.older, None);

        let id = last.unwrap();
        for n in 0..120 {
            post(
                &db,
                ada.id,
                id,
                MessageId::new_random(),
                &format!("m{n}"),
                1_000 + n,
                2_000,
            )
            .await
            .unwrap();
        }
        let latest = db.thread(ada.id, id, None).await.unwrap();
        assert_eq!(latest.messages.len(), 50);
        assert_eq!(latest.messages.last().unwrap().body, "m119");
        assert_eq!(latest.messages[0].body, "m70");
        let older = db.thread(ada.id, id, latest.older).await.unwrap();
        assert_eq!(older.messages.last().unwrap().body, "m69");
        let oldest = db.thread(ada.id, id, older.older).await.unwrap();
        assert_eq!(oldest.messages.len(), 20);
        assert_eq!(oldest.messages[0].body, "m0");
        assert_eq!(oldest.older, None);
    }

    #[tokio::test]
    async fn outsiders_cannot_see_or_post() {
        let (db, _dir) = temp_db().await;
        let (ada, _bob, eve) = (
            user(&db, "ada").await,
            user(&db, "bob").await,
            user(&db, "eve").await,
        );
        let id = start(&db, ada.id, ConversationId::new_random(), "bob", 10)
            .await
            .unwrap();
        assert_eq!(
            db.thread(eve.id, id, None).await.unwrap_err().code(),
            "not_found"
        );
        let error = post(&db, eve.id, id, MessageId::new_random(), "hi", 1, 1)
            .await
            .unwrap_err();
        assert_eq!(error.code(), "not_found");
        assert_eq!(
            db.mark_read(eve.id, id, 1).await.unwrap_err().code(),
            "not_found"
        );
        assert!(db
            .conversations(eve.id, None)
            .await
            .unwrap()
            .conversations
            .is_empty());
        let alone = start(&db, ada.id, ConversationId::new_random(), "ada", 12)
            .await
            .unwrap_err();
        assert_eq!(alone.code(), "invalid");
    }
}
