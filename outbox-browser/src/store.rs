//! Typed records in the `outbox` object store. A record is stored as its
//! JSON (`mozi_outbox::json`) next to its key: `{ id, record }`. Reading
//! migrates older shapes and leaves unknown (newer) ones in place, untouched.

use crate::database::{ObjectStore, OUTBOX};
use crate::json::{parse, stringify, Js};
use crate::OutboxError;
use js_sys::{Object, Reflect};
use mozi_core::IdempotencyKey;
use mozi_outbox::json::ToJson;
use mozi_outbox::{Change, OutboxRecord, SCHEMA_VERSION};
use std::collections::HashMap;
use wasm_bindgen::JsValue;

/// Which records a change is decided from.
pub enum Select {
    /// The whole queue.
    All,
    /// None: the change does not depend on what is queued.
    Nothing,
}

fn encode(record: &OutboxRecord) -> Result<JsValue, OutboxError> {
    debug_assert_eq!(record.version, SCHEMA_VERSION);
    let stored = Object::new();
    Reflect::set(&stored, &"id".into(), &record.key.to_json::<Js>().0)?;
    Reflect::set(&stored, &"record".into(), &stringify(record).into())?;
    Ok(stored.into())
}

async fn read_from(store: &ObjectStore, select: Select) -> Result<Vec<OutboxRecord>, OutboxError> {
    let stored = match select {
        Select::All => store.get_all(None).await?,
        Select::Nothing => return Ok(Vec::new()),
    };
    Ok(stored
        .iter()
        .filter_map(|value| Reflect::get(value, &"record".into()).ok())
        .filter_map(|json| json.as_string())
        .filter_map(|json| parse::<OutboxRecord>(&json))
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
                store.put(&encode(&record)?).await?;
            }
            Change::Delete(key) => {
                store.delete(&key.to_json::<Js>().0).await?;
            }
        }
    }
    transaction.commit().await
}
