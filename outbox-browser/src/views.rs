//! Offline analytics: each page view is stored with its time and reported
//! by the replayer; `mozi_outbox::replayable_views` drops (and counts) the
//! ones too old to mean anything. Views are deleted only once the server
//! has taken the report.

use crate::database::{self, VIEWS};
use crate::http::post_json;
use crate::OutboxError;
use js_sys::{Object, Reflect};
use mozi_outbox::{replayable_views, PageView, ViewReport};

const ENDPOINT: &str = "/api/views";
/// Keeps each report well under the server's 64 KiB body limit.
const MAX_VIEWS_PER_REPORT: usize = 200;

/// Keeps a view of `path`, made now.
pub async fn record_view(path: &str) -> Result<(), OutboxError> {
    let view = PageView {
        path: path.to_owned(),
        viewed_at: crate::now(),
    };
    let json = crate::json::stringify(&view);
    let stored = Object::new();
    Reflect::set(
        &stored,
        &"id".into(),
        &crate::random_uuid()?.to_string().into(),
    )?;
    Reflect::set(&stored, &"view".into(), &json.into())?;
    let database = database::open().await?;
    let transaction = database.write(&[VIEWS])?;
    transaction.object_store(VIEWS)?.put(&stored.into()).await?;
    transaction.commit().await
}

/// Reports the stored views; keeps them if the server did not take them.
pub async fn send() -> Result<(), OutboxError> {
    let database = database::open().await?;
    let transaction = database.read(&[VIEWS])?;
    let stored = transaction
        .object_store(VIEWS)?
        .get_all(Some(MAX_VIEWS_PER_REPORT as u32))
        .await?;
    if stored.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(stored.len());
    let mut views = Vec::with_capacity(stored.len());
    for value in &stored {
        let id = Reflect::get(value, &"id".into())?;
        let view = Reflect::get(value, &"view".into())?
            .as_string()
            .and_then(|json| crate::json::parse::<PageView>(&json));
        if let Some(view) = view {
            views.push(view);
        }
        ids.push(id);
    }
    let (views, dropped) = replayable_views(&views, crate::now());
    let report = ViewReport { views, dropped };
    match post_json(ENDPOINT, &crate::json::stringify(&report)).await {
        Ok(reply) if (200..300).contains(&reply.status) => {
            let transaction = database.write(&[VIEWS])?;
            let store = transaction.object_store(VIEWS)?;
            for id in ids {
                store.delete(&id).await?;
            }
            transaction.commit().await
        }
        _ => Ok(()),
    }
}
