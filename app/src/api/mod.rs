//! Server functions: thin wrappers that check the session, parse the input
//! into domain types and call the repository.
//!
//! Every endpoint has a fixed URL under `/api` (no build hash), so requests
//! queued on a device still find it after a deploy. Reads are GET-encoded so
//! the service worker can cache them.

pub mod auth;
pub mod messaging;
pub mod schedule;

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The answer of every read: JSON, as server functions send it by default,
/// but decoded from text. A resource decodes the same value from text
/// when it hydrates, so each type read gets one JSON decoder in the wasm
/// instead of one for text and another for bytes.
pub type ReadAnswer = Post<JsonText>;

pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// Only same-site paths of printable ASCII (anything else would break the
/// Location header) may be redirected to after signing in.
pub fn safe_next_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path
                    .bytes()
                    .all(|byte| byte.is_ascii_graphic() && byte != b'\\') =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::{safe_next_path, JsonText};
    use leptos::server_fn::{Bytes, Decodes, Encodes};
    use mozi_core::{ConversationId, Thread};

    #[test]
    fn a_read_answer_decodes_what_the_server_encoded() {
        let thread = Thread {
            id: ConversationId(uuid::Uuid::from_u128(7)),
            title: "Ada & Grace".to_owned(),
            members: Vec::new(),
            messages: Vec::new(),
            older: None,
        };
        let bytes = <JsonText as Encodes<Thread>>::encode(&thread).expect("encodes");
        let decoded = <JsonText as Decodes<Thread>>::decode(bytes).expect("decodes");
        assert_eq!(decoded, thread);
    }

    #[test]
    fn a_read_answer_that_is_not_utf8_is_an_error() {
        let bytes = Bytes::from_static(b"\"\xff\"");
        assert!(<JsonText as Decodes<String>>::decode(bytes).is_err());
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next_path(Some("/messages/1")), "/messages/1");
        assert_eq!(safe_next_path(Some("//evil.example")), "/");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_next_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next_path(None), "/");
    }
}
