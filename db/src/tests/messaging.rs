use super::{change, temp_db, user};
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
