//! Parse, don't validate: each type here can only hold a valid value.

use crate::AppError;
use serde::{Deserialize, Serialize};

/// 3–32 characters of `a-z`, `0-9` and `_`; typed letters are lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(AppError::invalid("Enter a username."));
        }
        // The length first: the name is echoed below, so only a short one.
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&name.chars().count()) {
            return Err(AppError::invalid(format!(
                "A username has {} to {} characters.",
                Self::MIN_LEN,
                Self::MAX_LEN
            )));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(AppError::invalid(format!(
                "Username \"{}\" may only use letters a–z, digits and _.",
                raw.trim()
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The name shown to other people: 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::invalid("Enter a display name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(format!(
                "A display name has at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "A display name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–128 characters. Never serialised.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(AppError::invalid(format!(
                "A password has at least {} characters.",
                Self::MIN_CHARS
            )));
        }
        if count > Self::MAX_CHARS {
            return Err(AppError::invalid(format!(
                "A password has at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A message body: 1–4,000 characters after trimming surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_CHARS: usize = 4_000;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let body = raw.trim();
        if body.is_empty() {
            return Err(AppError::invalid("A message cannot be empty."));
        }
        let count = body.chars().count();
        if count > Self::MAX_CHARS {
            return Err(AppError::invalid(format!(
                "A message has at most {} characters; this one has {count}.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MessageBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The people to start a conversation with: 1–20 distinct usernames,
/// separated by commas or spaces, "@" prefixes allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameList(Vec<Username>);

impl UsernameList {
    pub const MAX_PEOPLE: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let mut names = Vec::new();
        for part in raw.split(|c: char| c == ',' || c.is_whitespace()) {
            let part = part.trim().trim_start_matches('@');
            if part.is_empty() {
                continue;
            }
            let name = Username::parse(part)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if names.is_empty() {
            return Err(AppError::invalid(
                "Enter at least one username to start a conversation.",
            ));
        }
        if names.len() > Self::MAX_PEOPLE {
            return Err(AppError::invalid(format!(
                "A conversation has at most {} other people.",
                Self::MAX_PEOPLE
            )));
        }
        Ok(Self(names))
    }

    pub fn names(&self) -> &[Username] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse(" Alice_1 ").unwrap().as_str(), "alice_1");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alïce").is_err());
        assert!(Username::parse("").is_err());
        let long_and_hostile = format!("<b>{}", "x".repeat(10_000));
        let error = Username::parse(&long_and_hostile).unwrap_err().to_string();
        assert!(!error.contains("<b>") && error.len() < 100, "{error}");
    }

    #[test]
    fn message_bodies_are_trimmed_and_bounded() {
        assert_eq!(MessageBody::parse("  hi \n").unwrap().as_str(), "hi");
        assert!(MessageBody::parse(" \n\t ").is_err());
        assert!(MessageBody::parse(&"é".repeat(4_000)).is_ok());
        let error = MessageBody::parse(&"x".repeat(4_001)).unwrap_err();
        assert_eq!(error.code(), "invalid");
        assert!(error.to_string().contains("4001"));
    }

    #[test]
    fn a_message_body_cannot_be_deserialised_invalid() {
        assert!(serde_json::from_str::<MessageBody>(r#""""#).is_err());
        assert!(serde_json::from_str::<MessageBody>(r#""ok""#).is_ok());
    }

    #[test]
    fn passwords_and_display_names_are_bounded() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        assert!(DisplayName::parse("  ").is_err());
        assert_eq!(DisplayName::parse(" Ada ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("a\u{7}b").is_err());
        assert!(DisplayName::parse(&"d".repeat(65)).is_err());
    }

    #[test]
    fn username_lists_split_and_deduplicate() {
        let list = UsernameList::parse("@bob, carol  bob,,dave").unwrap();
        let names: Vec<_> = list.names().iter().map(Username::as_str).collect();
        assert_eq!(names, ["bob", "carol", "dave"]);
        assert!(UsernameList::parse(" , ").is_err());
        assert!(UsernameList::parse("bob, x").is_err());
    }
}
