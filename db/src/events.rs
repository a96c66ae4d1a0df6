//! Live events, kept in the database for every recipient: written in the
//! transaction of the change that made them, read by whichever server holds
//! the recipient's open stream, and pruned after a retention window.

use crate::{internal, Db};
use mozi_core::{AppError, LiveEvent, UnixMillis, UserId};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// One stored event: its per-user id and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub json: String,
}

/// Where a user's events stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPosition {
    /// The id of the user's latest event (0: none yet).
    pub last: i64,
    /// The oldest id still kept; `None` when none is.
    pub oldest_kept: Option<i64>,
}

/// The live events of one batch, stored when it ends: one statement per
/// recipient to take their ids, and a few for every row, however many
/// messages the batch holds.
#[derive(Default)]
pub(crate) struct PendingEvents {
    events: Vec<(Vec<UserId>, String)>,
}

/// Rows per multi-row insert (four values each).
const ROWS_PER_INSERT: usize = 100;

impl PendingEvents {
    pub(crate) fn add(&mut self, recipients: &[UserId], event: &LiveEvent) -> Result<(), AppError> {
        let json = serde_json::to_string(event).map_err(|error| {
            tracing::error!(%error, "could not encode a live event");
            AppError::Internal
        })?;
        self.events.push((recipients.to_vec(), json));
        Ok(())
    }

    /// Stores every event for each of its recipients, under their next ids,
    /// in the order the events were added.
    pub(crate) async fn write(
        self,
        conn: &mut SqliteConnection,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let mut counts: BTreeMap<UserId, i64> = BTreeMap::new();
        for (recipients, _) in &self.events {
            for recipient in recipients {
                *counts.entry(*recipient).or_default() += 1;
            }
        }
        // The next id of each recipient. The writer's lock (one per
        // database) makes ids count up in the order events are committed.
        let mut next_id: BTreeMap<UserId, i64> = BTreeMap::new();
        for (recipient, count) in counts {
            let (last,): (i64,) = sqlx::query_as(
                "UPDATE users SET last_event_id = last_event_id + ? WHERE id = ?
                 RETURNING last_event_id",
            )
            .bind(count)
            .bind(recipient.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
            next_id.insert(recipient, last - count + 1);
        }
        let mut rows = Vec::new();
        for (recipients, json) in &self.events {
            for recipient in recipients {
                let id = next_id.get_mut(recipient).ok_or(AppError::Internal)?;
                rows.push((*recipient, *id, json));
                *id += 1;
            }
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql =
                format!("INSERT INTO events (user_id, id, event, created_at) VALUES {values}");
            let mut query = sqlx::query(&sql);
            for (recipient, id, json) in chunk {
                query = query.bind(recipient.0).bind(*id).bind(*json).bind(now);
            }
            query.execute(&mut *conn).await.map_err(internal)?;
        }
        Ok(())
    }
}

impl Db {
    /// `user`'s events after `after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, AppError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, event FROM events WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(user.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(id, json)| StoredEvent { id, json })
            .collect())
    }

    /// Where `user`'s events stand now.
    pub async fn event_position(&self, user: UserId) -> Result<EventPosition, AppError> {
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT last_event_id, (SELECT min(id) FROM events WHERE user_id = users.id)
             FROM users WHERE id = ?",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        let (last, oldest_kept) = row.unwrap_or((0, None));
        Ok(EventPosition { last, oldest_kept })
    }

    /// Forgets the events made before `before`; how many there were.
    pub async fn prune_events(&self, before: UnixMillis) -> Result<u64, AppError> {
        let _writer = self.write_turn.lock().await;
        let deleted = sqlx::query("DELETE FROM events WHERE created_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{change, temp_db, user};
    use mozi_core::{Applied, ConversationId, IdempotencyKey, MessageId, Mutation, QueuedMutation};

    #[tokio::test]
    async fn every_member_gets_each_message_under_its_own_next_id() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await.id, user(&db, "bob").await.id);
        let conversation = ConversationId::new_random();
        let start = Mutation::StartConversation {
            conversation,
            usernames: "bob".into(),
        };
        let Applied::Conversation { conversation } = change(&db, ada, start, 1).await.unwrap()
        else {
            panic!("a conversation")
        };
        for (n, body) in ["one", "two"].into_iter().enumerate() {
            let send = Mutation::SendMessage {
                conversation,
                id: MessageId::new_random(),
                body: body.into(),
                created_at: 2,
            };
            change(&db, ada, send, 10 + n as i64).await.unwrap();
        }
        for member in [ada, bob] {
            let events = db.events_after(member, 0, 10).await.unwrap();
            assert_eq!(events.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2]);
            assert!(events[1].json.contains("\"two\""));
            assert_eq!(db.events_after(member, 1, 10).await.unwrap(), events[1..]);
            let position = db.event_position(member).await.unwrap();
            assert_eq!((position.last, position.oldest_kept), (2, Some(1)));
        }

        assert_eq!(db.prune_events(11).await.unwrap(), 2, "one per member");
        let position = db.event_position(bob).await.unwrap();
        assert_eq!((position.last, position.oldest_kept), (2, Some(2)));
        db.prune_events(100).await.unwrap();
        let position = db.event_position(bob).await.unwrap();
        assert_eq!((position.last, position.oldest_kept), (2, None));
    }

    #[tokio::test]
    async fn a_batch_stores_its_events_in_order_and_a_resend_stores_none() {
        let (db, _dir) = temp_db().await;
        let (ada, bob) = (user(&db, "ada").await.id, user(&db, "bob").await.id);
        let start = Mutation::StartConversation {
            conversation: ConversationId::new_random(),
            usernames: "bob".into(),
        };
        let Applied::Conversation { conversation } = change(&db, ada, start, 1).await.unwrap()
        else {
            panic!("a conversation")
        };
        let items: Vec<QueuedMutation> = ["one", "two", "three"]
            .into_iter()
            .map(|body| QueuedMutation {
                key: IdempotencyKey::new_random(),
                mutation: Mutation::SendMessage {
                    conversation,
                    id: MessageId::new_random(),
                    body: body.into(),
                    created_at: 2,
                },
            })
            .collect();
        db.apply_batch(ada, &items, 10).await.unwrap();
        // The same batch again (a resend): answered, nothing new to tell.
        db.apply_batch(ada, &items, 11).await.unwrap();
        for member in [ada, bob] {
            let events = db.events_after(member, 0, 10).await.unwrap();
            let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
            assert_eq!(ids, [1, 2, 3]);
            for (event, body) in events.iter().zip(["one", "two", "three"]) {
                assert!(
                    event.json.contains(&format!("\"{body}\"")),
                    "{}",
                    event.json
                );
            }
        }
    }

    #[tokio::test]
    async fn a_refused_message_leaves_no_event() {
        let (db, _dir) = temp_db().await;
        let ada = user(&db, "ada").await.id;
        let send = Mutation::SendMessage {
            conversation: ConversationId::new_random(),
            id: MessageId::new_random(),
            body: "to nobody".into(),
            created_at: 1,
        };
        assert!(change(&db, ada, send, 1).await.is_err());
        assert_eq!(db.event_position(ada).await.unwrap().last, 0);
    }
}
