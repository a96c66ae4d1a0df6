//! Paging through lists that grow without bound (conversations, messages),
//! newest first: a page ends at a cursor, and the next page starts after it.

use crate::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The position of the oldest entry of a page: its time and id (the id
/// breaks ties between entries of the same millisecond). Written in URLs as
/// `<time>_<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PageCursor {
    pub at: i64,
    pub id: Uuid,
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.at, self.id)
    }
}

impl FromStr for PageCursor {
    type Err = AppError;

    fn from_str(text: &str) -> Result<Self, AppError> {
        let unreadable = || AppError::BadRequest("This page position is not valid.".into());
        let (at, id) = text.split_once('_').ok_or_else(unreadable)?;
        Ok(Self {
            at: at.parse().map_err(|_| unreadable())?,
            id: id.parse().map_err(|_| unreadable())?,
        })
    }
}

impl TryFrom<String> for PageCursor {
    type Error = AppError;

    fn try_from(text: String) -> Result<Self, AppError> {
        text.parse()
    }
}

impl From<PageCursor> for String {
    fn from(cursor: PageCursor) -> Self {
        cursor.to_string()
    }
}

impl PageCursor {
    /// An optional cursor from a query parameter; empty means the first page.
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, AppError> {
        match text {
            None | Some("") => Ok(None),
            Some(text) => text.parse().map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PageCursor;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let text = "1700000000000_7c9e6679-7425-40de-944b-e07fc1f90ae7";
        let cursor: PageCursor = text.parse().unwrap();
        assert_eq!(cursor.at, 1_700_000_000_000);
        assert_eq!(cursor.to_string(), text);
        for junk in ["", "12", "x_7c9e6679-7425-40de-944b-e07fc1f90ae7", "1_nope"] {
            assert_eq!(
                junk.parse::<PageCursor>().unwrap_err().code(),
                "bad_request"
            );
        }
        assert_eq!(PageCursor::parse_optional(Some("")).unwrap(), None);
    }
}
