//! What the server applied from this device's queue in the last minute.
//! A page loaded while its change was on the way may have been rendered by
//! the server just before the change was applied, and the announcement on
//! the channel came before the page was listening; it reads these on start
//! instead, so it shows the change (and fetches again).

use crate::database::{self, DELIVERED};
use crate::OutboxError;
use js_sys::{Object, Reflect};
use mozi_core::{Applied, UnixMillis};
use wasm_bindgen::JsValue;

/// Longer than any page takes to load, short enough to stay small.
const KEEP_MS: UnixMillis = 60_000;

/// Keeps `applied`, made now, and forgets what is older than a minute.
pub async fn remember(applied: &[Applied]) -> Result<(), OutboxError> {
    if applied.is_empty() {
        return Ok(());
    }
    let now = crate::now();
    let database = database::open().await?;
    let transaction = database.write_relaxed(&[DELIVERED])?;
    let store = transaction.object_store(DELIVERED)?;
    for value in store.get_all(None).await? {
        if entry_time(&value).is_none_or(|at| at < now - KEEP_MS) {
            store.delete(&Reflect::get(&value, &"id".into())?).await?;
        }
    }
    for result in applied {
        let json = crate::json::stringify(result);
        let entry = Object::new();
        Reflect::set(
            &entry,
            &"id".into(),
            &crate::random_uuid()?.to_string().into(),
        )?;
        Reflect::set(&entry, &"at".into(), &JsValue::from_f64(now as f64))?;
        Reflect::set(&entry, &"applied".into(), &json.into())?;
        store.put(&entry.into()).await?;
    }
    transaction.commit().await
}

/// What was applied in the last minute, oldest first.
pub async fn recently_delivered() -> Result<Vec<Applied>, OutboxError> {
    let since = crate::now() - KEEP_MS;
    let database = database::open().await?;
    let transaction = database.read(&[DELIVERED])?;
    let mut entries: Vec<(UnixMillis, Applied)> = transaction
        .object_store(DELIVERED)?
        .get_all(None)
        .await?
        .iter()
        .filter_map(|value| {
            let at = entry_time(value).filter(|at| *at >= since)?;
            let json = Reflect::get(value, &"applied".into()).ok()?.as_string()?;
            Some((at, crate::json::parse(&json)?))
        })
        .collect();
    // Entries of one time were applied together, in any order.
    entries.sort_unstable_by_key(|(at, _)| *at);
    Ok(entries.into_iter().map(|(_, applied)| applied).collect())
}

fn entry_time(value: &JsValue) -> Option<UnixMillis> {
    Reflect::get(value, &"at".into())
        .ok()?
        .as_f64()
        .map(|at| at as UnixMillis)
}
