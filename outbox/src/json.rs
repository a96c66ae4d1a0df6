//! The outbox's values as JSON, without a JSON library.
//!
//! The browser side reads and writes them as JS values (`JSON.parse`, then
//! typed accessors), which costs the service worker's wasm a few KB where
//! serde_json cost about a hundred. The traits are generic over the JSON
//! value so that plain `cargo test` checks every type here against the
//! serde form the server reads and writes (`tests` below): one format,
//! whichever side encodes it.
//!
//! Outbox records, page views and what was applied live only on the
//! device; their stored form is defined here, and a record written by an
//! earlier version is read by [`OutboxRecord::from_json`].

use crate::{FailReason, ItemState, OutboxRecord, PageView, ReplayedView, Scope, ViewReport};
use mozi_core::{
    AppError, Applied, BatchResponse, ConversationId, IdempotencyKey, ItemResult, MessageId,
    MessageView, Mutation, MutationBatch, Outcome, SessionId, UserId, UserView,
};
use uuid::Uuid;

/// A JSON value: what a decoder reads and an encoder builds.
pub trait Json: Sized {
    /// The field `name` of an object; `None` when absent, null or not an object.
    fn field(&self, name: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    fn items(&self) -> Option<Vec<Self>>;
    fn null() -> Self;
    fn from_text(text: &str) -> Self;
    fn from_number(number: f64) -> Self;
    fn from_boolean(value: bool) -> Self;
    fn from_items(items: Vec<Self>) -> Self;
    fn object(fields: Vec<(&'static str, Self)>) -> Self;
}

/// A value the outbox writes as JSON.
pub trait ToJson {
    fn to_json<J: Json>(&self) -> J;
}

/// A value the outbox reads from JSON; `None` for anything else.
pub trait FromJson: Sized {
    fn from_json<J: Json>(json: &J) -> Option<Self>;
}

/// The largest integer a JSON number (an f64) holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn integer<J: Json>(json: &J) -> Option<i64> {
    let number = json.number()?;
    (number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER).then_some(number as i64)
}

fn unsigned<J: Json, T: TryFrom<i64>>(json: &J) -> Option<T> {
    T::try_from(integer(json)?).ok()
}

fn int_field<J: Json>(json: &J, name: &str) -> Option<i64> {
    integer(&json.field(name)?)
}

fn text_field<J: Json>(json: &J, name: &str) -> Option<String> {
    json.field(name)?.text()
}

fn from_integer<J: Json>(value: i64) -> J {
    J::from_number(value as f64)
}

fn uuid_json<J: Json>(uuid: &Uuid) -> J {
    // Encoded into a buffer rather than through `Display`: no formatting
    // machinery in the worker for it.
    let mut buffer = Uuid::encode_buffer();
    J::from_text(uuid.hyphenated().encode_lower(&mut buffer))
}

fn uuid_field<J: Json>(json: &J, name: &str) -> Option<Uuid> {
    text_field(json, name)?.parse().ok()
}

impl ToJson for IdempotencyKey {
    fn to_json<J: Json>(&self) -> J {
        uuid_json(&self.0)
    }
}

impl ToJson for Mutation {
    fn to_json<J: Json>(&self) -> J {
        match self {
            Mutation::SendMessage {
                conversation,
                id,
                body,
                created_at,
            } => J::object(vec![
                ("kind", J::from_text("send_message")),
                ("conversation", uuid_json(&conversation.0)),
                ("id", uuid_json(&id.0)),
                ("body", J::from_text(body)),
                ("created_at", from_integer(*created_at)),
            ]),
            Mutation::StartConversation {
                conversation,
                usernames,
            } => J::object(vec![
                ("kind", J::from_text("start_conversation")),
                ("conversation", uuid_json(&conversation.0)),
                ("usernames", J::from_text(usernames)),
            ]),
            Mutation::SetBookmark {
                session,
                bookmarked,
            } => J::object(vec![
                ("kind", J::from_text("set_bookmark")),
                ("session", from_integer(session.0)),
                ("bookmarked", J::from_boolean(*bookmarked)),
            ]),
        }
    }
}

impl FromJson for Mutation {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(match text_field(json, "kind")?.as_str() {
            "send_message" => Mutation::SendMessage {
                conversation: ConversationId(uuid_field(json, "conversation")?),
                id: MessageId(uuid_field(json, "id")?),
                body: text_field(json, "body")?,
                created_at: int_field(json, "created_at")?,
            },
            "start_conversation" => Mutation::StartConversation {
                conversation: ConversationId(uuid_field(json, "conversation")?),
                usernames: text_field(json, "usernames")?,
            },
            "set_bookmark" => Mutation::SetBookmark {
                session: SessionId(int_field(json, "session")?),
                bookmarked: json.field("bookmarked")?.boolean()?,
            },
            _ => return None,
        })
    }
}

impl ToJson for AppError {
    fn to_json<J: Json>(&self) -> J {
        let mut fields = vec![
            ("code", J::from_text(self.code())),
            ("message", J::from_text(&self.to_string())),
        ];
        if let Some(secs) = self.retry_after_secs() {
            fields.push(("retry_after_secs", J::from_number(secs as f64)));
        }
        J::object(fields)
    }
}

impl FromJson for AppError {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(AppError::from_wire(
            &text_field(json, "code")?,
            text_field(json, "message").unwrap_or_default(),
            json.field("retry_after_secs")
                .and_then(|secs| unsigned(&secs)),
        ))
    }
}

impl ToJson for UserView {
    fn to_json<J: Json>(&self) -> J {
        J::object(vec![
            ("id", from_integer(self.id.0)),
            ("username", J::from_text(&self.username)),
            ("display_name", J::from_text(&self.display_name)),
        ])
    }
}

impl FromJson for UserView {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(UserView {
            id: UserId(int_field(json, "id")?),
            username: text_field(json, "username")?,
            display_name: text_field(json, "display_name")?,
        })
    }
}

impl ToJson for MessageView {
    fn to_json<J: Json>(&self) -> J {
        J::object(vec![
            ("id", uuid_json(&self.id.0)),
            ("conversation_id", uuid_json(&self.conversation_id.0)),
            ("author", self.author.to_json()),
            ("body", J::from_text(&self.body)),
            ("created_at", from_integer(self.created_at)),
        ])
    }
}

impl FromJson for MessageView {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(MessageView {
            id: MessageId(uuid_field(json, "id")?),
            conversation_id: ConversationId(uuid_field(json, "conversation_id")?),
            author: UserView::from_json(&json.field("author")?)?,
            body: text_field(json, "body")?,
            created_at: int_field(json, "created_at")?,
        })
    }
}

impl ToJson for Applied {
    fn to_json<J: Json>(&self) -> J {
        match self {
            Applied::Message { message } => J::object(vec![
                ("kind", J::from_text("message")),
                ("message", message.to_json()),
            ]),
            Applied::Conversation { conversation } => J::object(vec![
                ("kind", J::from_text("conversation")),
                ("conversation", uuid_json(&conversation.0)),
            ]),
            Applied::Bookmark {
                session,
                bookmarked,
            } => J::object(vec![
                ("kind", J::from_text("bookmark")),
                ("session", from_integer(session.0)),
                ("bookmarked", J::from_boolean(*bookmarked)),
            ]),
        }
    }
}

impl FromJson for Applied {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(match text_field(json, "kind")?.as_str() {
            "message" => Applied::Message {
                message: MessageView::from_json(&json.field("message")?)?,
            },
            "conversation" => Applied::Conversation {
                conversation: ConversationId(uuid_field(json, "conversation")?),
            },
            "bookmark" => Applied::Bookmark {
                session: SessionId(int_field(json, "session")?),
                bookmarked: json.field("bookmarked")?.boolean()?,
            },
            _ => return None,
        })
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json<J: Json>(&self) -> J {
        J::from_items(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        json.items()?.iter().map(T::from_json).collect()
    }
}

impl FromJson for ItemResult {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        // The outcome is flattened into the item: `applied` or `failed`.
        let outcome = match (json.field("applied"), json.field("failed")) {
            (Some(applied), None) => Outcome::Applied(Applied::from_json(&applied)?),
            (None, Some(failed)) => Outcome::Failed(AppError::from_json(&failed)?),
            _ => return None,
        };
        Some(ItemResult {
            key: IdempotencyKey(uuid_field(json, "key")?),
            status: unsigned(&json.field("status")?)?,
            outcome,
        })
    }
}

impl FromJson for BatchResponse {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(BatchResponse {
            results: Vec::from_json(&json.field("results")?)?,
        })
    }
}

impl ToJson for MutationBatch {
    fn to_json<J: Json>(&self) -> J {
        let items = self
            .items
            .iter()
            .map(|item| {
                J::object(vec![
                    ("key", item.key.to_json()),
                    ("mutation", item.mutation.to_json()),
                ])
            })
            .collect();
        J::object(vec![
            ("user", from_integer(self.user.0)),
            ("items", J::from_items(items)),
        ])
    }
}

impl ToJson for Scope {
    fn to_json<J: Json>(&self) -> J {
        let (kind, id) = match self {
            Scope::Conversation(conversation) => ("conversation", uuid_json(&conversation.0)),
            Scope::Bookmark(session) => ("bookmark", from_integer(session.0)),
        };
        J::object(vec![("kind", J::from_text(kind)), ("id", id)])
    }
}

impl ToJson for ItemState {
    fn to_json<J: Json>(&self) -> J {
        let state = |name| ("state", J::from_text(name));
        match self {
            ItemState::Pending => J::object(vec![state("pending")]),
            ItemState::Sending => J::object(vec![state("sending")]),
            ItemState::NeedsSignIn => J::object(vec![state("needs_sign_in")]),
            ItemState::Failed { reason } => {
                let reason = match reason {
                    FailReason::Refused { error } => J::object(vec![
                        ("reason", J::from_text("refused")),
                        ("error", error.to_json()),
                    ]),
                    FailReason::Expired => J::object(vec![("reason", J::from_text("expired"))]),
                };
                J::object(vec![state("failed"), ("reason", reason)])
            }
        }
    }
}

impl FromJson for ItemState {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(match text_field(json, "state")?.as_str() {
            "pending" => ItemState::Pending,
            "sending" => ItemState::Sending,
            "needs_sign_in" => ItemState::NeedsSignIn,
            "failed" => {
                let reason = json.field("reason")?;
                let reason = match text_field(&reason, "reason")?.as_str() {
                    "refused" => FailReason::Refused {
                        error: AppError::from_json(&reason.field("error")?)?,
                    },
                    "expired" => FailReason::Expired,
                    _ => return None,
                };
                ItemState::Failed { reason }
            }
            _ => return None,
        })
    }
}

impl ToJson for OutboxRecord {
    fn to_json<J: Json>(&self) -> J {
        let optional_integer = |value: Option<i64>| value.map_or_else(J::null, from_integer);
        J::object(vec![
            ("version", J::from_number(f64::from(self.version))),
            ("key", self.key.to_json()),
            ("user", from_integer(self.user.0)),
            // Derived from the mutation when read; written for people
            // reading the database in the browser's tools.
            ("scope", self.scope.to_json()),
            ("mutation", self.mutation.to_json()),
            ("created_at", from_integer(self.created_at)),
            ("attempts", J::from_number(f64::from(self.attempts))),
            (
                "last_error",
                self.last_error
                    .as_deref()
                    .map_or_else(J::null, J::from_text),
            ),
            ("state", self.state.to_json()),
            ("not_before", from_integer(self.not_before)),
            ("retried_at", optional_integer(self.retried_at)),
        ])
    }
}

impl FromJson for OutboxRecord {
    /// A record of any known version, in the current shape; `None` for one
    /// written by a newer version, which stays stored, untouched.
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        match int_field(json, "version")? {
            // Version 1 is the current shape; a later version adds its
            // conversion from the previous one here.
            1 => {}
            _ => return None,
        }
        let mutation = Mutation::from_json(&json.field("mutation")?)?;
        Some(OutboxRecord {
            version: crate::SCHEMA_VERSION,
            key: IdempotencyKey(uuid_field(json, "key")?),
            user: UserId(int_field(json, "user")?),
            scope: Scope::of(&mutation),
            mutation,
            created_at: int_field(json, "created_at")?,
            attempts: unsigned(&json.field("attempts")?)?,
            last_error: text_field(json, "last_error"),
            state: ItemState::from_json(&json.field("state")?)?,
            not_before: int_field(json, "not_before")?,
            retried_at: int_field(json, "retried_at"),
        })
    }
}

impl ToJson for PageView {
    fn to_json<J: Json>(&self) -> J {
        J::object(vec![
            ("path", J::from_text(&self.path)),
            ("viewed_at", from_integer(self.viewed_at)),
        ])
    }
}

impl FromJson for PageView {
    fn from_json<J: Json>(json: &J) -> Option<Self> {
        Some(PageView {
            path: text_field(json, "path")?,
            viewed_at: int_field(json, "viewed_at")?,
        })
    }
}

impl ToJson for ReplayedView {
    fn to_json<J: Json>(&self) -> J {
        J::object(vec![
            ("path", J::from_text(&self.path)),
            ("ago_ms", from_integer(self.ago_ms)),
        ])
    }
}

impl ToJson for ViewReport {
    fn to_json<J: Json>(&self) -> J {
        J::object(vec![
            ("views", self.views.to_json()),
            ("dropped", J::from_number(self.dropped as f64)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    impl Json for Value {
        fn field(&self, name: &str) -> Option<Self> {
            self.get(name).filter(|value| !value.is_null()).cloned()
        }
        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn boolean(&self) -> Option<bool> {
            self.as_bool()
        }
        fn items(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
        fn null() -> Self {
            Value::Null
        }
        fn from_text(text: &str) -> Self {
            Value::from(text)
        }
        fn from_number(number: f64) -> Self {
            // serde writes integers as integers; JS has only one number type.
            if number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER {
                Value::from(number as i64)
            } else {
                Value::from(number)
            }
        }
        fn from_boolean(value: bool) -> Self {
            Value::from(value)
        }
        fn from_items(items: Vec<Self>) -> Self {
            Value::Array(items)
        }
        fn object(fields: Vec<(&'static str, Self)>) -> Self {
            Value::Object(
                fields
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect(),
            )
        }
    }

    const KEY: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const MESSAGE: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const CONVERSATION: &str = "b5e0ad3e-7f8a-4c55-9c0e-6b3a1f2d4e5f";

    fn key() -> IdempotencyKey {
        IdempotencyKey(KEY.parse().unwrap())
    }

    fn mutations() -> Vec<Mutation> {
        vec![
            Mutation::SendMessage {
                conversation: ConversationId(CONVERSATION.parse().unwrap()),
                id: MessageId(MESSAGE.parse().unwrap()),
                body: "Hé \"you\" <b>".into(),
                created_at: 1_764_000_000_123,
            },
            Mutation::StartConversation {
                conversation: ConversationId(CONVERSATION.parse().unwrap()),
                usernames: "ada, grace".into(),
            },
            Mutation::SetBookmark {
                session: SessionId(4),
                bookmarked: false,
            },
        ]
    }

    fn errors() -> Vec<AppError> {
        vec![
            AppError::invalid("Too long"),
            AppError::BadRequest("unreadable".into()),
            AppError::sign_in_required(),
            AppError::not_found("No such conversation"),
            AppError::Conflict("taken".into()),
            AppError::Forbidden("Cross-site".into()),
            AppError::RateLimited {
                retry_after_secs: 30,
            },
            AppError::Unreachable,
            AppError::Internal,
        ]
    }

    fn applied() -> Vec<Applied> {
        vec![
            Applied::Message {
                message: MessageView {
                    id: MessageId(MESSAGE.parse().unwrap()),
                    conversation_id: ConversationId(CONVERSATION.parse().unwrap()),
                    author: UserView {
                        id: UserId(3),
                        username: "ada".into(),
                        display_name: "Ada <L>".into(),
                    },
                    body: "hello".into(),
                    created_at: 1_764_000_000_000,
                },
            },
            Applied::Conversation {
                conversation: ConversationId(CONVERSATION.parse().unwrap()),
            },
            Applied::Bookmark {
                session: SessionId(4),
                bookmarked: true,
            },
        ]
    }

    /// Encodes as serde does, and decodes what serde encodes.
    fn agrees_with_serde<T>(value: &T)
    where
        T: ToJson + FromJson + serde::Serialize + PartialEq + std::fmt::Debug,
    {
        let serde_form = serde_json::to_value(value).unwrap();
        assert_eq!(value.to_json::<Value>(), serde_form, "{value:?}");
        assert_eq!(T::from_json(&serde_form).as_ref(), Some(value));
    }

    #[test]
    fn shared_values_have_the_serde_wire_form() {
        mutations().iter().for_each(agrees_with_serde);
        errors().iter().for_each(agrees_with_serde);
        applied().iter().for_each(agrees_with_serde);
        let list = applied();
        let serde_form = serde_json::to_value(&list).unwrap();
        assert_eq!(list.to_json::<Value>(), serde_form);
        assert_eq!(Vec::<Applied>::from_json(&serde_form), Some(list));
    }

    #[test]
    fn a_batch_is_sent_as_the_server_reads_it() {
        let batch = MutationBatch {
            user: UserId(3),
            items: mutations()
                .into_iter()
                .map(|mutation| mozi_core::QueuedMutation {
                    key: key(),
                    mutation,
                })
                .collect(),
        };
        let sent: Value = batch.to_json();
        assert_eq!(
            serde_json::from_value::<MutationBatch>(sent).unwrap(),
            batch
        );
    }

    #[test]
    fn the_server_s_answers_are_read() {
        let mut results: Vec<ItemResult> = applied()
            .into_iter()
            .map(|applied| ItemResult::applied(key(), applied))
            .collect();
        results.extend(
            errors()
                .into_iter()
                .map(|error| ItemResult::failed(key(), error)),
        );
        let response = BatchResponse { results };
        let answer = serde_json::to_value(&response).unwrap();
        assert_eq!(BatchResponse::from_json(&answer), Some(response));
        let neither = json!({"key": KEY, "status": 200});
        assert_eq!(ItemResult::from_json(&neither), None);
    }

    #[test]
    fn an_error_with_an_unknown_code_or_no_message_is_still_an_error() {
        let unknown = json!({"code": "teapot", "message": "?"});
        assert_eq!(AppError::from_json(&unknown), Some(AppError::Internal));
        let bare = json!({"code": "rate_limited"});
        assert_eq!(
            AppError::from_json(&bare),
            Some(AppError::RateLimited {
                retry_after_secs: 1
            })
        );
        assert_eq!(AppError::from_json(&json!({"message": "no code"})), None);
    }

    fn states() -> Vec<ItemState> {
        let mut states = vec![
            ItemState::Pending,
            ItemState::Sending,
            ItemState::NeedsSignIn,
            ItemState::Failed {
                reason: FailReason::Expired,
            },
        ];
        states.extend(errors().into_iter().map(|error| ItemState::Failed {
            reason: FailReason::Refused { error },
        }));
        states
    }

    #[test]
    fn every_record_reads_back_as_written() {
        for (state, mutation) in states().into_iter().zip(mutations().into_iter().cycle()) {
            let mut record = OutboxRecord::new(key(), UserId(3), mutation, 10);
            record.state = state;
            record.attempts = 2;
            record.last_error = Some("The server is busy".into());
            record.retried_at = Some(20);
            let stored: Value = record.to_json();
            assert_eq!(OutboxRecord::from_json(&stored), Some(record));
        }
    }

    /// The shape version 1 has written since it shipped: a device updated
    /// with records still queued reads them all.
    #[test]
    fn records_of_known_versions_are_read_and_newer_ones_left_alone() {
        let v1 = json!({"version": 1, "key": KEY, "user": 3,
            "scope": {"kind": "bookmark", "id": 4},
            "mutation": {"kind": "set_bookmark", "session": 4, "bookmarked": true},
            "created_at": 10, "attempts": 0, "last_error": null,
            "state": {"state": "failed", "reason": {"reason": "refused",
                "error": {"code": "conflict", "message": "taken"}}},
            "not_before": 10});
        let record = OutboxRecord::from_json(&v1).expect("a version 1 record is read");
        assert_eq!(record.user, UserId(3));
        assert_eq!(record.scope, Scope::Bookmark(SessionId(4)));
        assert_eq!(record.retried_at, None);
        assert_eq!(
            record.state,
            ItemState::Failed {
                reason: FailReason::Refused {
                    error: AppError::Conflict("taken".into())
                }
            }
        );
        let mut newer = v1.clone();
        newer["version"] = json!(99);
        assert_eq!(OutboxRecord::from_json(&newer), None);
        for (field, broken) in [
            ("state", json!({"state": "lost"})),
            ("state", json!({"state": "failed"})),
            ("attempts", json!(-1)),
            ("created_at", json!(1.5)),
            ("key", json!("not a uuid")),
        ] {
            let mut record = v1.clone();
            record[field] = broken;
            assert_eq!(OutboxRecord::from_json(&record), None, "{field}");
        }
    }

    #[test]
    fn page_views_and_reports_have_the_server_s_form() {
        let view = PageView {
            path: "/sessions/1".into(),
            viewed_at: 10,
        };
        agrees_with_serde(&view);
        let report = ViewReport {
            views: vec![ReplayedView {
                path: "/".into(),
                ago_ms: 5,
            }],
            dropped: 2,
        };
        let sent: Value = report.to_json();
        assert_eq!(serde_json::from_value::<ViewReport>(sent).unwrap(), report);
    }
}
