use super::{change, temp_db, user};
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
    let Applied::Conversation { conversation } = change(&db, ada, start, 1).await.unwrap() else {
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
    let Applied::Conversation { conversation } = change(&db, ada, start, 1).await.unwrap() else {
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
