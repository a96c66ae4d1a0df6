//! The demo conference, read from `data/conference.json` (compiled in, so
//! the binary needs no data files beside it) and loaded once.

use serde::Deserialize;
use sqlx::SqlitePool;

const CONFERENCE_JSON: &str = include_str!("../../data/conference.json");

#[derive(Deserialize)]
struct Conference {
    days: Vec<Day>,
    speakers: Vec<SpeakerRecord>,
    sessions: Vec<SessionRecord>,
}

#[derive(Deserialize)]
struct Day {
    date: String,
    label: String,
}

#[derive(Deserialize)]
struct SpeakerRecord {
    name: String,
    affiliation: String,
}

#[derive(Deserialize)]
struct SessionRecord {
    day: u8,
    starts_at: String,
    ends_at: String,
    title: String,
    room: String,
    track: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    speakers: Vec<String>,
}

pub(crate) async fn load_conference_if_empty(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (loaded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conference_days")
        .fetch_one(&mut *tx)
        .await?;
    if loaded > 0 {
        return Ok(());
    }
    let conference: Conference = serde_json::from_str(CONFERENCE_JSON)
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?;

    for (index, day) in conference.days.iter().enumerate() {
        sqlx::query("INSERT INTO conference_days (number, date, label) VALUES (?, ?, ?)")
            .bind(index as i64 + 1)
            .bind(&day.date)
            .bind(&day.label)
            .execute(&mut *tx)
            .await?;
    }
    for speaker in &conference.speakers {
        sqlx::query("INSERT INTO speakers (name, affiliation) VALUES (?, ?)")
            .bind(&speaker.name)
            .bind(&speaker.affiliation)
            .execute(&mut *tx)
            .await?;
    }
    for session in &conference.sessions {
        let session_id = sqlx::query(
            "INSERT INTO conference_sessions (day, starts_at, ends_at, title, room, track, abstract)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i64::from(session.day))
        .bind(&session.starts_at)
        .bind(&session.ends_at)
        .bind(&session.title)
        .bind(&session.room)
        .bind(&session.track)
        .bind(&session.abstract_text)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        for (position, name) in session.speakers.iter().enumerate() {
            sqlx::query(
                "INSERT INTO session_speakers (session_id, speaker_id, position)
                 SELECT ?, id, ? FROM speakers WHERE name = ?",
            )
            .bind(session_id)
            .bind(position as i64)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!(
        sessions = conference.sessions.len(),
        "loaded the demo conference"
    );
    Ok(())
}
