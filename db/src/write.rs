//! The one way data changes, on every backend: every mutation (from a
//! device's outbox or a plain form post) is applied inside a transaction
//! that also records its result under the user's idempotency key: a
//! repeated key (a resend, a second tab, a replay after a crash, the same
//! batch sent to two servers) gets the first result and changes nothing. A
//! batch is one transaction with a savepoint per item, so a refused item
//! undoes only its own writes and the batch costs one commit, not one per
//! item. Every read a change needs goes through that transaction.

use crate::repository::{NewMessage, WriteTx};
use crate::rows::no_such_conversation;
use crate::{internal_json, PostedMessage};
use mozi_core::{
    AppError, Applied, ConversationId, IdempotencyKey, ItemResult, LiveEvent, MessageBody,
    MessageView, Mutation, QueuedMutation, SessionId, UnixMillis, UserId, UserView, Username,
    UsernameList, OUTBOX_TTL_MS,
};
use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;

/// What applying one mutation did.
#[derive(Debug)]
pub struct Application {
    pub result: ItemResult,
    /// A message stored by this very call (not by an earlier one), to be
    /// pushed to the conversation's members.
    pub new_message: Option<PostedMessage>,
}

/// Applies each of `items` for `user`, in order, once per key, in `tx`.
/// Refusals (4xx) are results, not recorded: they changed nothing, and a
/// retry is judged afresh. A server failure undoes the whole batch, which
/// the device then sends again.
pub(crate) async fn apply_batch<T: WriteTx>(
    mut tx: T,
    user: UserId,
    items: &[QueuedMutation],
    now: UnixMillis,
) -> Result<Vec<Application>, AppError> {
    let keys: Vec<IdempotencyKey> = items.iter().map(|item| item.key).collect();
    let mut recorded = HashMap::new();
    for json in tx.recorded_results(user, &keys).await? {
        let result: ItemResult = serde_json::from_str(&json).map_err(internal_json)?;
        recorded.insert(result.key, result);
    }
    let mut batch = Batch {
        user,
        now,
        recorded,
        fresh: Vec::new(),
        conversations: BatchConversations::default(),
        events: PendingEvents::default(),
    };
    let mut applications = Vec::with_capacity(items.len());
    for item in items {
        applications.push(batch.apply(&mut tx, item).await?);
    }
    batch.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(applications)
}

/// One batch on its way through the transaction.
struct Batch {
    user: UserId,
    now: UnixMillis,
    /// The results recorded under the batch's keys, by earlier requests or
    /// earlier in this batch.
    recorded: HashMap<IdempotencyKey, ItemResult>,
    /// Results of this batch, as JSON, recorded when it ends.
    fresh: Vec<(IdempotencyKey, String)>,
    conversations: BatchConversations,
    /// The live events of the batch's new messages, stored when it ends.
    events: PendingEvents,
}

impl Batch {
    /// One item, inside its own savepoint.
    async fn apply<T: WriteTx>(
        &mut self,
        tx: &mut T,
        item: &QueuedMutation,
    ) -> Result<Application, AppError> {
        if let Some(result) = self.recorded.get(&item.key) {
            return Ok(Application {
                result: result.clone(),
                new_message: None,
            });
        }
        tx.savepoint().await?;
        let (applied, new_message) = match self.effect(tx, &item.mutation).await {
            Ok(done) => done,
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(refusal) => {
                tx.rollback_savepoint().await?;
                return Ok(Application {
                    result: ItemResult::failed(item.key, refusal),
                    new_message: None,
                });
            }
        };
        tx.release_savepoint().await?;
        let result = ItemResult::applied(item.key, applied);
        let json = serde_json::to_string(&result).map_err(internal_json)?;
        self.fresh.push((item.key, json));
        self.recorded.insert(item.key, result.clone());
        Ok(Application {
            result,
            new_message,
        })
    }

    async fn effect<T: WriteTx>(
        &mut self,
        tx: &mut T,
        mutation: &Mutation,
    ) -> Result<(Applied, Option<PostedMessage>), AppError> {
        let (user, now) = (self.user, self.now);
        match mutation {
            Mutation::SendMessage {
                conversation,
                id,
                body,
                created_at,
            } => {
                let body = MessageBody::parse(body)?;
                // A device clock running ahead must not put a message in the
                // future, nor one far behind it before anything the outbox keeps.
                let created_at = (*created_at).clamp(now.saturating_sub(OUTBOX_TTL_MS), now);
                let message = NewMessage {
                    id: *id,
                    conversation: *conversation,
                    author: user,
                    body: body.as_str(),
                    created_at,
                    received_at: now,
                };
                let posted = post_message(tx, &mut self.conversations, &message).await?;
                let message = posted.message.clone();
                if posted.newly_stored {
                    let event = LiveEvent::Message {
                        message: message.clone(),
                    };
                    self.events.add(&posted.members, &event)?;
                }
                let new_message = posted.newly_stored.then_some(posted);
                Ok((Applied::Message { message }, new_message))
            }
            Mutation::StartConversation {
                conversation,
                usernames,
            } => {
                let names = UsernameList::parse(usernames)?;
                let others = users_named(tx, names.names()).await?;
                let id = start_conversation(tx, user, &others, *conversation, now).await?;
                Ok((Applied::Conversation { conversation: id }, None))
            }
            Mutation::SetBookmark {
                session,
                bookmarked,
            } => {
                set_bookmark(tx, user, *session, *bookmarked, now).await?;
                Ok((
                    Applied::Bookmark {
                        session: *session,
                        bookmarked: *bookmarked,
                    },
                    None,
                ))
            }
        }
    }

    /// Records the batch's results under their keys, its live events and
    /// the activity of its conversations: a few statements for the whole
    /// batch, rather than a few per item.
    async fn finish<T: WriteTx>(self, tx: &mut T) -> Result<(), AppError> {
        if !self.fresh.is_empty() {
            tx.record_results(self.user, &self.fresh, self.now).await?;
        }
        self.events.write(tx, self.now).await?;
        for conversation in self.conversations.active {
            tx.touch_conversation(conversation, self.user, self.now)
                .await?;
        }
        Ok(())
    }
}

/// The conversation `id` stands for, for `user`: itself, or the existing
/// conversation their device's id was made an alias of.
async fn resolve_alias<T: WriteTx>(
    tx: &mut T,
    user: UserId,
    id: ConversationId,
) -> Result<ConversationId, AppError> {
    Ok(tx.alias_target(user, id).await?.unwrap_or(id))
}

/// The members of a conversation, or "not found" when `viewer` is not one of
/// them, so nobody learns that a foreign conversation exists.
pub(crate) fn visible_members(
    members: Vec<UserView>,
    viewer: UserId,
    conversation: ConversationId,
) -> Result<Vec<UserView>, AppError> {
    if members.iter().any(|member| member.id == viewer) {
        Ok(members)
    } else {
        Err(no_such_conversation(conversation))
    }
}

/// What one batch has learned of the conversations its messages go to:
/// each is looked up once (its alias and members), and its activity is
/// written once, when the batch ends, rather than once per message.
#[derive(Default)]
struct BatchConversations {
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
    async fn visible_to<T: WriteTx>(
        &mut self,
        tx: &mut T,
        viewer: UserId,
        id: ConversationId,
    ) -> Result<&KnownConversation, AppError> {
        let known = match self.known.entry(id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => {
                let resolved = resolve_alias(tx, viewer, id).await?;
                let members = visible_members(tx.members(resolved).await?, viewer, resolved)?;
                slot.insert(KnownConversation {
                    id: resolved,
                    members,
                })
            }
        };
        Ok(known)
    }
}

/// Stores a message, once per id: a resend of a stored id is answered with
/// the stored message.
async fn post_message<T: WriteTx>(
    tx: &mut T,
    conversations: &mut BatchConversations,
    message: &NewMessage<'_>,
) -> Result<PostedMessage, AppError> {
    let known = conversations
        .visible_to(tx, message.author, message.conversation)
        .await?;
    let conversation = known.id;
    let members: Vec<UserId> = known.members.iter().map(|member| member.id).collect();
    let author = known
        .members
        .iter()
        .find(|member| member.id == message.author)
        .cloned()
        .ok_or(AppError::Internal)?;
    let stored = NewMessage {
        conversation,
        ..*message
    };
    if tx.insert_message(&stored).await? {
        if !conversations.active.contains(&conversation) {
            conversations.active.push(conversation);
        }
        return Ok(PostedMessage {
            message: MessageView {
                id: message.id,
                conversation_id: conversation,
                author,
                body: message.body.to_owned(),
                created_at: message.created_at,
            },
            members,
            newly_stored: true,
        });
    }
    let earlier = tx.stored_message(message.id).await?;
    if earlier.author.id != message.author || earlier.conversation_id != conversation {
        return Err(AppError::Conflict(
            "This message id is already used by another message.".into(),
        ));
    }
    Ok(PostedMessage {
        message: earlier,
        members,
        newly_stored: false,
    })
}

/// Starts a conversation under the id the device chose (so queued messages
/// can name it before the server has it). A 1:1 conversation that already
/// exists is reused rather than doubled: the device's id becomes an alias
/// of it.
async fn start_conversation<T: WriteTx>(
    tx: &mut T,
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
    let already = resolve_alias(tx, creator, chosen_id).await?;
    if already != chosen_id {
        return Ok(already);
    }
    if let [other] = members.as_slice() {
        if let Some(existing) = tx.one_to_one(creator, *other).await? {
            if existing != chosen_id {
                alias(tx, creator, chosen_id, existing).await?;
            }
            return Ok(existing);
        }
    }
    // Creating under a device-made id again is harmless for its creator; an
    // id already taken by someone else's conversation is a conflict.
    match tx.conversation_creator(chosen_id).await? {
        Some(owner) if owner == creator => Ok(chosen_id),
        Some(_) => Err(id_taken()),
        None => {
            tx.insert_conversation(chosen_id, creator, &members, now)
                .await?;
            Ok(chosen_id)
        }
    }
}

fn id_taken() -> AppError {
    AppError::Conflict("This conversation id is already used.".into())
}

async fn alias<T: WriteTx>(
    tx: &mut T,
    user: UserId,
    alias: ConversationId,
    target: ConversationId,
) -> Result<(), AppError> {
    if tx.conversation_creator(alias).await?.is_some() {
        return Err(id_taken());
    }
    tx.insert_alias(alias, user, target).await
}

/// Adds or removes a bookmark; doing what is already done is a no-op.
async fn set_bookmark<T: WriteTx>(
    tx: &mut T,
    user: UserId,
    session: SessionId,
    bookmarked: bool,
    now: UnixMillis,
) -> Result<(), AppError> {
    if !tx.session_exists(session).await? {
        return Err(AppError::not_found(format!(
            "There is no session {session}."
        )));
    }
    tx.set_bookmark(user, session, bookmarked, now).await
}

/// Every named user; the first unknown name is a "not found" naming it.
async fn users_named<T: WriteTx>(
    tx: &mut T,
    names: &[Username],
) -> Result<Vec<UserView>, AppError> {
    let mut users = Vec::with_capacity(names.len());
    for name in names {
        match tx.user_named(name).await? {
            Some(user) => users.push(user),
            None => {
                return Err(AppError::not_found(format!(
                    "There is no user named \"{}\".",
                    name.as_str()
                )))
            }
        }
    }
    Ok(users)
}

/// The live events of one batch, stored when it ends: one statement per
/// recipient to take their ids, and a few for every row, however many
/// messages the batch holds.
#[derive(Default)]
struct PendingEvents {
    events: Vec<(Vec<UserId>, String)>,
}

impl PendingEvents {
    fn add(&mut self, recipients: &[UserId], event: &LiveEvent) -> Result<(), AppError> {
        let json = serde_json::to_string(event).map_err(internal_json)?;
        self.events.push((recipients.to_vec(), json));
        Ok(())
    }

    /// Stores every event for each of its recipients, under their next ids,
    /// in the order the events were added.
    async fn write<T: WriteTx>(self, tx: &mut T, now: UnixMillis) -> Result<(), AppError> {
        if self.events.is_empty() {
            return Ok(());
        }
        let mut counts: BTreeMap<UserId, i64> = BTreeMap::new();
        for (recipients, _) in &self.events {
            for recipient in recipients {
                *counts.entry(*recipient).or_default() += 1;
            }
        }
        // Counters are taken in user order: two batches that share
        // recipients lock them in the same order, so neither waits on the
        // other forever.
        let mut next_id: BTreeMap<UserId, i64> = BTreeMap::new();
        for (recipient, count) in counts {
            next_id.insert(recipient, tx.take_event_ids(recipient, count).await?);
        }
        let mut rows = Vec::new();
        for (recipients, json) in &self.events {
            for recipient in recipients {
                let id = next_id.get_mut(recipient).ok_or(AppError::Internal)?;
                rows.push((*recipient, *id, json.as_str()));
                *id += 1;
            }
        }
        tx.insert_events(&rows, now).await
    }
}
