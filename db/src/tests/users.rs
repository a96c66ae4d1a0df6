use super::temp_db;
use mozi_core::{DisplayName, Username};

#[tokio::test]
async fn a_taken_username_is_a_conflict_and_changes_nothing() {
    let (db, _dir) = temp_db().await;
    let name = Username::parse("ada").unwrap();
    let display = DisplayName::parse("Ada").unwrap();
    db.create_user(&name, &display, "hash-1", 1).await.unwrap();
    let error = db
        .create_user(&name, &DisplayName::parse("Other").unwrap(), "hash-2", 2)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "conflict");
    let stored = db.credentials(&name).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "hash-1");
    assert_eq!(stored.user.display_name, "Ada");
}

#[tokio::test]
async fn unknown_usernames_are_named_in_the_error() {
    let (db, _dir) = temp_db().await;
    let ada = super::user(&db, "ada").await;
    let mutation = mozi_core::Mutation::StartConversation {
        conversation: mozi_core::ConversationId::new_random(),
        usernames: "nobody".into(),
    };
    let error = super::change(&db, ada.id, mutation, 1).await.unwrap_err();
    assert_eq!(error.code(), "not_found");
    assert!(error.to_string().contains("nobody"));
}
