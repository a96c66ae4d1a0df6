use crate::{internal, Db};
use mozi_core::{
    speaker_photo_url, AppError, ConferenceDay, Schedule, SessionDetail, SessionId, SessionSummary,
    Speaker, UnixMillis, UserId,
};
use sqlx::SqliteConnection;

const CONFERENCE_NAME: &str = "MOZI Conf 2026";

/// Separates speaker names inside one SQL column (ASCII unit separator).
const NAME_SEPARATOR: char = '\u{1f}';

/// Columns of a `SessionSummary`; `?` is the viewer's user id (or NULL).
const SUMMARY_COLUMNS: &str = "s.id, s.day, s.starts_at, s.ends_at, s.title, s.room, s.track,
    (SELECT group_concat(name, char(31)) FROM (
        SELECT sp.name FROM session_speakers ss JOIN speakers sp ON sp.id = ss.speaker_id
        WHERE ss.session_id = s.id ORDER BY ss.position)) AS speakers,
    EXISTS (SELECT 1 FROM bookmarks b WHERE b.session_id = s.id AND b.user_id = ?) AS bookmarked";

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    day: i64,
    starts_at: String,
    ends_at: String,
    title: String,
    room: String,
    track: String,
    speakers: Option<String>,
    bookmarked: bool,
}

impl From<SummaryRow> for SessionSummary {
    fn from(row: SummaryRow) -> Self {
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

impl Db {
    pub async fn conference_days(&self) -> Result<Vec<ConferenceDay>, AppError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT number, date, label FROM conference_days ORDER BY number")
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(number, date, label)| ConferenceDay {
                number: u8::try_from(number).unwrap_or_default(),
                date,
                label,
            })
            .collect())
    }

    /// One day of the programme; `viewer` decides the bookmark flags.
    pub async fn schedule(&self, day: u8, viewer: Option<UserId>) -> Result<Schedule, AppError> {
        let days = self.conference_days().await?;
        if !days.iter().any(|d| d.number == day) {
            return Err(AppError::not_found(format!(
                "The conference has no day {day}; it runs for {} days.",
                days.len()
            )));
        }
        let sessions: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conference_sessions s
             WHERE s.day = ? ORDER BY s.starts_at, s.room"
        ))
        .bind(viewer.map(|id| id.0))
        .bind(i64::from(day))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(Schedule {
            name: CONFERENCE_NAME.to_owned(),
            days,
            day,
            sessions: sessions.into_iter().map(SessionSummary::from).collect(),
        })
    }

    pub async fn session(
        &self,
        id: SessionId,
        viewer: Option<UserId>,
    ) -> Result<SessionDetail, AppError> {
        let summary: SummaryRow = sqlx::query_as(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conference_sessions s WHERE s.id = ?"
        ))
        .bind(viewer.map(|id| id.0))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found(format!("There is no session {id}.")))?;
        let (abstract_text, date_label): (String, String) = sqlx::query_as(
            "SELECT s.abstract, d.label FROM conference_sessions s
             JOIN conference_days d ON d.number = s.day WHERE s.id = ?",
        )
        .bind(id.0)
        .fetch_one(&self.pool)
        .await
        .map_err(internal)?;
        let speakers: Vec<(String, String)> = sqlx::query_as(
            "SELECT sp.name, sp.affiliation FROM session_speakers ss
             JOIN speakers sp ON sp.id = ss.speaker_id
             WHERE ss.session_id = ? ORDER BY ss.position",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(SessionDetail {
            summary: summary.into(),
            date_label,
            abstract_text,
            speakers: speakers
                .into_iter()
                .map(|(name, affiliation)| Speaker {
                    photo_url: speaker_photo_url(&name),
                    name,
                    affiliation,
                })
                .collect(),
        })
    }

    /// The user's bookmarked sessions in time order.
    pub async fn my_schedule(&self, user: UserId) -> Result<Vec<SessionSummary>, AppError> {
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conference_sessions s
             JOIN bookmarks mine ON mine.session_id = s.id AND mine.user_id = ?
             ORDER BY s.day, s.starts_at, s.room"
        ))
        .bind(user.0)
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(rows.into_iter().map(SessionSummary::from).collect())
    }
}

/// Adds or removes a bookmark inside the caller's transaction; doing what is
/// already done is a no-op. Returns whether the session is now bookmarked.
pub(crate) async fn set_bookmark_in(
    conn: &mut SqliteConnection,
    user: UserId,
    session: SessionId,
    bookmarked: bool,
    now: UnixMillis,
) -> Result<bool, AppError> {
    let (exists,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM conference_sessions WHERE id = ?)")
            .bind(session.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
    if !exists {
        return Err(AppError::not_found(format!(
            "There is no session {session}."
        )));
    }
    let query = if bookmarked {
        sqlx::query(
            "INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, ?, ?)
             ON CONFLICT DO NOTHING",
        )
        .bind(user.0)
        .bind(session.0)
        .bind(now)
    } else {
        sqlx::query("DELETE FROM bookmarks WHERE user_id = ? AND session_id = ?")
            .bind(user.0)
            .bind(session.0)
    };
    query.execute(&mut *conn).await.map_err(internal)?;
    Ok(bookmarked)
}

#[cfg(test)]
mod tests {
    use crate::testing::{change, temp_db};
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
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let reopened = crate::Db::connect(&url).await.unwrap();
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
}
