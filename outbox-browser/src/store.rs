//! Typed records in the `outbox` object store. A record is stored as its
//! JSON next to its key: `{ id, record }`. Reading migrates older shapes
//! and leaves unknown (newer) ones in place, untouched.

use crate::database::OUTBOX;
use crate::OutboxError;
use idb::{ObjectStore, Transaction};
use js_sys::{Object, Reflect};
use mozi_core::IdempotencyKey;
use mozi_outbox::{Change, OutboxRecord, SCHEMA_VERSION};
use serde::Deserialize;
use std::collections::HashMap;
use wasm_bindgen::JsValue;

/// Which records a change is decided from.
pub enum Select {
    /// The whole queue.
    All,
    /// None: the change does not depend on what is queued.
    Nothing,
}

/// The one field read before knowing a stored record's shape. (Read into
/// this rather than a `serde_json::Value`, whose machinery is 16 KB of wasm.)
#[derive(Deserialize)]
struct Versioned {
    version: u64,
}

/// Decodes a stored record of any known version into the current shape;
/// `None` for a record written by a newer version, which stays stored.
pub fn decode(json: &str) -> Option<OutboxRecord> {
    let Versioned { version } = serde_json::from_str(json).ok()?;
    match version {
        // Version 1 is the current shape; a later version adds its
        // conversion from the previous one here.
        1 => serde_json::from_str(json).ok(),
        _ => None,
    }
}

fn encode(record: &OutboxRecord) -> Result<JsValue, OutboxError> {
    debug_assert_eq!(record.version, SCHEMA_VERSION);
    let json =
        serde_json::to_string(record).map_err(|error| OutboxError::Database(error.to_string()))?;
    let stored = Object::new();
    Reflect::set(&stored, &"id".into(), &record.key.to_string().into())?;
    Reflect::set(&stored, &"record".into(), &json.into())?;
    Ok(stored.into())
}

async fn read_from(store: &ObjectStore, select: Select) -> Result<Vec<OutboxRecord>, OutboxError> {
    let stored = match select {
        Select::All => store.get_all(None, None)?.await?,
        Select::Nothing => return Ok(Vec::new()),
    };
    Ok(stored
        .iter()
        .filter_map(|value| Reflect::get(value, &"record".into()).ok())
        .filter_map(|json| json.as_string())
        .filter_map(|json| decode(&json))
        .collect())
}

/// Every record this version can read.
pub async fn read_all() -> Result<Vec<OutboxRecord>, OutboxError> {
    let database = crate::database::open().await?;
    let transaction = database.read(&[OUTBOX])?;
    read_from(&transaction.object_store(OUTBOX)?, Select::All).await
}

/// Reads every record, lets `decide` choose changes, and writes them in the
/// same transaction: two tabs changing the queue at once never overwrite
/// each other's records.
pub async fn modify<T>(
    decide: impl FnOnce(Vec<OutboxRecord>) -> (Vec<Change>, T),
) -> Result<T, OutboxError> {
    modify_selected(Select::All, decide).await
}

/// [`modify`], deciding from the `select`ed records only.
pub async fn modify_selected<T>(
    select: Select,
    decide: impl FnOnce(Vec<OutboxRecord>) -> (Vec<Change>, T),
) -> Result<T, OutboxError> {
    let mut decide = Some(decide);
    let mut outcome = None;
    modify_records(select, &mut |records| {
        let (changes, decided) = match decide.take() {
            Some(decide) => decide(records),
            None => return Vec::new(),
        };
        outcome = Some(decided);
        changes
    })
    .await?;
    outcome.ok_or_else(|| OutboxError::Database("the queue was not read".into()))
}

/// The work of [`modify`], not generic: its code is in the wasm once rather
/// than once per caller.
async fn modify_records(
    select: Select,
    decide: &mut dyn FnMut(Vec<OutboxRecord>) -> Vec<Change>,
) -> Result<(), OutboxError> {
    let database = crate::database::open().await?;
    let transaction = database.write(&[OUTBOX])?;
    let store = transaction.object_store(OUTBOX)?;
    let records = read_from(&store, select).await?;
    let changes = decide(records);
    // One change per key, the last one asked for.
    let mut last: HashMap<IdempotencyKey, Change> = HashMap::new();
    for change in changes {
        let key = match &change {
            Change::Put(record) => record.key,
            Change::Delete(key) => *key,
        };
        last.insert(key, change);
    }
    for change in last.into_values() {
        match change {
            Change::Put(record) => {
                store.put(&encode(&record)?, None)?.await?;
            }
            Change::Delete(key) => {
                store.delete(JsValue::from(key.to_string()))?.await?;
            }
        }
    }
    commit(transaction).await
}

/// Waits until the transaction's writes are durable.
pub async fn commit(transaction: Transaction) -> Result<(), OutboxError> {
    let result = transaction.commit()?.await?;
    if result.is_committed() {
        Ok(())
    } else {
        Err(OutboxError::Database("the transaction was aborted".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::decode;
    use mozi_core::SessionId;
    use mozi_outbox::Scope;

    #[test]
    fn records_of_known_versions_are_read_and_newer_ones_left_alone() {
        let v1 = r#"{"version":1,"key":"7c9e6679-7425-40de-944b-e07fc1f90ae7","user":3,
            "scope":{"kind":"bookmark","id":4},
            "mutation":{"kind":"set_bookmark","session":4,"bookmarked":true},
            "created_at":10,"attempts":0,"last_error":null,
            "state":{"state":"pending"},"not_before":10}"#;
        let record = decode(v1).expect("a version 1 record is read");
        assert_eq!(record.user.0, 3);
        assert_eq!(record.scope, Scope::Bookmark(SessionId(4)));
        assert_eq!(record.retried_at, None);
        let newer = v1.replace(r#""version":1"#, r#""version":99"#);
        assert!(decode(&newer).is_none());
        assert!(decode("not json").is_none());
    }
}
