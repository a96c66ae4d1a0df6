//! The demo conference, read from `data/conference.json` (compiled in, so
//! the binary needs no data files beside it). Each backend loads it once,
//! into an empty schedule, with these ids.

use serde::Deserialize;

const CONFERENCE_JSON: &str = include_str!("../../data/conference.json");

#[derive(Deserialize)]
pub(crate) struct Conference {
    pub days: Vec<Day>,
    pub speakers: Vec<SpeakerRecord>,
    pub sessions: Vec<SessionRecord>,
}

#[derive(Deserialize)]
pub(crate) struct Day {
    pub date: String,
    pub label: String,
}

#[derive(Deserialize)]
pub(crate) struct SpeakerRecord {
    pub name: String,
    pub affiliation: String,
}

#[derive(Deserialize)]
pub(crate) struct SessionRecord {
    pub day: u8,
    pub starts_at: String,
    pub ends_at: String,
    pub title: String,
    pub room: String,
    pub track: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub speakers: Vec<String>,
}

impl Conference {
    pub(crate) fn demo() -> Result<Self, sqlx::Error> {
        serde_json::from_str(CONFERENCE_JSON).map_err(|error| sqlx::Error::Decode(Box::new(error)))
    }

    /// Days, speakers and sessions are numbered from 1 in file order.
    pub(crate) fn number(index: usize) -> i64 {
        i64::try_from(index).unwrap_or(i64::MAX - 1) + 1
    }

    /// Each session's speakers as (session, speaker, position).
    pub(crate) fn session_speakers(&self) -> Vec<(i64, i64, i64)> {
        let mut rows = Vec::new();
        for (session_index, session) in self.sessions.iter().enumerate() {
            for (position, name) in session.speakers.iter().enumerate() {
                if let Some(speaker_index) = self.speakers.iter().position(|s| &s.name == name) {
                    rows.push((
                        Self::number(session_index),
                        Self::number(speaker_index),
                        Self::number(position) - 1,
                    ));
                }
            }
        }
        rows
    }
}
