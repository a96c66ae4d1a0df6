use crate::{internal, Db};
use mozi_core::{
    AppError, ConversationId, ConversationSummary, MessageBody, MessageId, MessageView, Thread,
    UnixMillis, UserId, UserView,
};
use sqlx::SqliteConnection;

/// How many of the latest messages a thread shows.
const THREAD_LIMIT: i64 = 500;

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
    /// Starts a conversation between `creator` and `others`. A 1:1 conversation
    /// that already exists is reused rather than doubled.
    pub async fn start_conversation(
        &self,
        creator: UserId,
        others: &[UserView],
        now: UnixMillis,
    ) -> Result<ConversationId, AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let id = start_conversation_in(&mut tx, creator, others, None, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    /// The user's conversations, most recently active first, with unread counts.
    pub async fn conversations(&self, user: UserId) -> Result<Vec<ConversationSummary>, AppError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT c.id,
                (SELECT group_concat(display_name, ', ') FROM (
                    SELECT u.display_name FROM conversation_members om
                    JOIN users u ON u.id = om.user_id
                    WHERE om.conversation_id = c.id AND om.user_id != me.user_id
                    ORDER BY u.display_name)),
                (SELECT COUNT(*) FROM messages m
                 WHERE m.conversation_id = c.id AND m.author_id != me.user_id
                   AND m.received_at > me.last_read_at)
             FROM conversations c
             JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ?
             ORDER BY c.last_activity_at DESC",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        let mut summaries = Vec::with_capacity(rows.len());
        for (id, title, unread) in rows {
            let last: Option<MessageRow> = sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id
                 WHERE m.conversation_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT 1"
            ))
            .bind(&id)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
            summaries.push(ConversationSummary {
                id: id.parse().map_err(|_| AppError::Internal)?,
                title: title.unwrap_or_default(),
                last_message: last.map(MessageView::try_from).transpose()?,
                unread,
            });
        }
        Ok(summaries)
    }

    /// A conversation's members and latest messages, oldest first.
    pub async fn thread(&self, user: UserId, id: ConversationId) -> Result<Thread, AppError> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let members = members_visible_to(&mut conn, user, id).await?;
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT * FROM (
                SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id
                WHERE m.conversation_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?)
             ORDER BY created_at, id"
        ))
        .bind(id.to_string())
        .bind(THREAD_LIMIT)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
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
            messages: rows
                .into_iter()
                .map(MessageView::try_from)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Stores a message once. Posting the same id again returns the stored
    /// message and changes nothing; an id used for anything else is a conflict.
    pub async fn post_message(
        &self,
        author: UserId,
        conversation: ConversationId,
        id: MessageId,
        body: &MessageBody,
        created_at: UnixMillis,
        now: UnixMillis,
    ) -> Result<PostedMessage, AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let posted =
            post_message_in(&mut tx, author, conversation, id, body, created_at, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(posted)
    }

    /// Marks everything received so far in the conversation as read by `user`.
    pub async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let updated = sqlx::query(
            "UPDATE conversation_members SET last_read_at = max(last_read_at, ?)
             WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(now)
        .bind(conversation.to_string())
        .bind(user.0)
        .execute(&self.pool)
        .await
        .map_err(internal)?;
        if updated.rows_affected() == 0 {
            return Err(not_found(conversation));
        }
        Ok(())
    }
}

/// Starts a conversation inside the caller's transaction. With `chosen_id`
/// (made on the device, so queued messages can name the conversation) it is
/// created under that id; otherwise an existing 1:1 conversation is reused.
pub(crate) async fn start_conversation_in(
    conn: &mut SqliteConnection,
    creator: UserId,
    others: &[UserView],
    chosen_id: Option<ConversationId>,
    now: UnixMillis,
) -> Result<ConversationId, AppError> {
    let mut members: Vec<UserId> = others
        .iter()
        .map(|user| user.id)
        .filter(|&id| id != creator)
        .collect();
    members.dedup();
    if members.is_empty() {
        return Err(AppError::invalid(
            "Add at least one other person to start a conversation.",
        ));
    }
    if let Some(id) = chosen_id {
        return create_under_device_id(conn, creator, &members, id, now).await;
    }
    if let [other] = members.as_slice() {
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT c.id FROM conversations c
             JOIN conversation_members a ON a.conversation_id = c.id AND a.user_id = ?
             JOIN conversation_members b ON b.conversation_id = c.id AND b.user_id = ?
             WHERE (SELECT COUNT(*) FROM conversation_members m
                    WHERE m.conversation_id = c.id) = 2
             LIMIT 1",
        )
        .bind(creator.0)
        .bind(other.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        if let Some((id,)) = existing {
            return id.parse().map_err(|_| AppError::Internal);
        }
    }
    insert_conversation(conn, creator, &members, ConversationId::new_random(), now).await
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

/// Stores a message inside the caller's transaction; see [`Db::post_message`].
pub(crate) async fn post_message_in(
    conn: &mut SqliteConnection,
    author: UserId,
    conversation: ConversationId,
    id: MessageId,
    body: &MessageBody,
    created_at: UnixMillis,
    now: UnixMillis,
) -> Result<PostedMessage, AppError> {
    let members = members_visible_to(conn, author, conversation).await?;
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
    let newly_stored = inserted.rows_affected() == 1;
    if newly_stored {
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
        members: members.into_iter().map(|member| member.id).collect(),
        newly_stored,
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
    use crate::testing::temp_db;
    use crate::Db;
    use mozi_core::{DisplayName, MessageBody, MessageId, UserView, Username};

    async fn user(db: &Db, name: &str) -> UserView {
        db.create_user(
            &Username::parse(name).unwrap(),
            &DisplayName::parse(&name.to_uppercase()).unwrap(),
            "hash",
            0,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn messages_count_as_unread_until_the_thread_is_read() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await, user(&db, "bob").await);
        let id = db
            .start_conversation(ada.id, std::slice::from_ref(&bob), 10)
            .await
            .unwrap();
        let body = MessageBody::parse("hello").unwrap();
        db.post_message(ada.id, id, MessageId::new_random(), &body, 20, 20)
            .await
            .unwrap();
        db.post_message(ada.id, id, MessageId::new_random(), &body, 21, 21)
            .await
            .unwrap();
        assert_eq!(db.conversations(bob.id).await.unwrap()[0].unread, 2);
        assert_eq!(db.conversations(ada.id).await.unwrap()[0].unread, 0);
        assert_eq!(db.conversations(bob.id).await.unwrap()[0].title, "ADA");
        db.mark_read(bob.id, id, 30).await.unwrap();
        assert_eq!(db.conversations(bob.id).await.unwrap()[0].unread, 0);
    }

    #[tokio::test]
    async fn a_resent_message_is_stored_once() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await, user(&db, "bob").await);
        let id = db
            .start_conversation(ada.id, std::slice::from_ref(&bob), 10)
            .await
            .unwrap();
        let message_id = MessageId::new_random();
        let body = MessageBody::parse("once").unwrap();
        let first = db
            .post_message(ada.id, id, message_id, &body, 20, 20)
            .await
            .unwrap();
        let again = db
            .post_message(ada.id, id, message_id, &body, 20, 25)
            .await
            .unwrap();
        assert!(first.newly_stored);
        assert!(!again.newly_stored);
        assert_eq!(first.message, again.message);
        assert_eq!(db.thread(bob.id, id).await.unwrap().messages.len(), 1);
        let stolen = db
            .post_message(bob.id, id, message_id, &body, 20, 26)
            .await
            .unwrap_err();
        assert_eq!(stolen.code(), "conflict");
    }

    #[tokio::test]
    async fn outsiders_cannot_see_or_post_and_one_to_one_is_reused() {
        let (db, _dir) = temp_db().await;
        let (ada, bob, eve) = (
            user(&db, "ada").await,
            user(&db, "bob").await,
            user(&db, "eve").await,
        );
        let id = db
            .start_conversation(ada.id, std::slice::from_ref(&bob), 10)
            .await
            .unwrap();
        let again = db
            .start_conversation(bob.id, std::slice::from_ref(&ada), 11)
            .await
            .unwrap();
        assert_eq!(id, again);
        assert_eq!(db.thread(eve.id, id).await.unwrap_err().code(), "not_found");
        let body = MessageBody::parse("hi").unwrap();
        let error = db
            .post_message(eve.id, id, MessageId::new_random(), &body, 1, 1)
            .await
            .unwrap_err();
        assert_eq!(error.code(), "not_found");
        assert_eq!(
            db.mark_read(eve.id, id, 1).await.unwrap_err().code(),
            "not_found"
        );
        assert!(db.conversations(eve.id).await.unwrap().is_empty());
        let alone = db
            .start_conversation(ada.id, std::slice::from_ref(&ada), 12)
            .await
            .unwrap_err();
        assert_eq!(alone.code(), "invalid");
    }
}
