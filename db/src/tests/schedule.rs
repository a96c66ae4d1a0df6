use super::{change, temp_db};
use crate::Db;
use mozi_core::{AppError, Applied, DisplayName, Mutation, SessionId, UserId, Username};

async fn bookmark(
    db: &Db,
    user: UserId,
    session: SessionId,
    bookmarked: bool,
    now: i64,
) -> Result<Applied, AppError> {
    let mutation = Mutation::SetBookmark {
        session,
        bookmarked,
    };
    change(db, user, mutation, now).await
}

#[tokio::test]
async fn the_demo_conference_is_loaded_once() {
    let (db, dir) = temp_db().await;
    let days = db.conference_days().await.unwrap();
    assert_eq!(days.len(), 3);
    let mut total = 0;
    for day in &days {
        let schedule = db.schedule(day.number, None).await.unwrap();
        assert!(schedule.sessions.iter().all(|s| !s.speakers.is_empty()));
        total += schedule.sessions.len();
    }
    assert!(total >= 60, "{total} sessions");
    drop(db);
    let reopened = crate::Db::connect(&dir.url).await.unwrap();
    let again: usize = {
        let mut n = 0;
        for day in 1..=3 {
            n += reopened.schedule(day, None).await.unwrap().sessions.len();
        }
        n
    };
    assert_eq!(again, total);
}

#[tokio::test]
async fn bookmarks_are_per_user_and_in_time_order() {
    let (db, _dir) = temp_db().await;
    let display = DisplayName::parse("X").unwrap();
    let ada = db
        .create_user(&Username::parse("ada").unwrap(), &display, "h", 0)
        .await
        .unwrap();
    let bob = db
        .create_user(&Username::parse("bob").unwrap(), &display, "h", 0)
        .await
        .unwrap();
    let day2 = db.schedule(2, None).await.unwrap().sessions;
    let day1 = db.schedule(1, None).await.unwrap().sessions;
    bookmark(&db, ada.id, day2[0].id, true, 1).await.unwrap();
    bookmark(&db, ada.id, day1[3].id, true, 2).await.unwrap();
    bookmark(&db, ada.id, day1[3].id, true, 3).await.unwrap();
    let mine: Vec<_> = db.my_schedule(ada.id).await.unwrap();
    assert_eq!(
        mine.iter().map(|s| s.id).collect::<Vec<_>>(),
        [day1[3].id, day2[0].id]
    );
    assert!(mine.iter().all(|s| s.bookmarked));
    assert!(db.my_schedule(bob.id).await.unwrap().is_empty());
    assert!(db.schedule(1, Some(ada.id)).await.unwrap().sessions[3].bookmarked);
    assert!(!db.schedule(1, Some(bob.id)).await.unwrap().sessions[3].bookmarked);

    bookmark(&db, ada.id, day1[3].id, false, 4).await.unwrap();
    assert_eq!(db.my_schedule(ada.id).await.unwrap().len(), 1);
    let error = bookmark(&db, ada.id, SessionId(999_999), true, 5)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "not_found");
}

#[tokio::test]
async fn unknown_days_and_sessions_are_not_found() {
    let (db, _dir) = temp_db().await;
    assert_eq!(db.schedule(4, None).await.unwrap_err().code(), "not_found");
    assert_eq!(
        db.session(SessionId(0), None).await.unwrap_err().code(),
        "not_found"
    );
    let first = db.schedule(1, None).await.unwrap().sessions[0].id;
    let detail = db.session(first, None).await.unwrap();
    assert!(!detail.abstract_text.is_empty());
    assert!(!detail.speakers[0].affiliation.is_empty());
}
