//! The device database: its name, its version and every object store, in
//! one place. Upgrades only add: queued records written by an older version
//! are read by the newer one (`store` migrates each record's shape), so an
//! update never strands anything.
//!
//! IndexedDB through web-sys, each request made a promise as idb-keyval
//! does it: the few operations the outbox uses, without a wrapper crate
//! whose futures bring an async runtime's channels into the worker.

use crate::OutboxError;
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStore, IdbObjectStoreParameters, IdbOpenDbRequest,
    IdbRequest, IdbTransaction, IdbVersionChangeEvent,
};

pub const NAME: &str = "mozi";
/// Raise it, and add a step to [`upgrade`], to change the stores.
pub const VERSION: u32 = 2;

/// Queued mutations, keyed by their idempotency key.
pub const OUTBOX: &str = "outbox";
/// Page views waiting to be reported, keyed by a random id.
pub const VIEWS: &str = "views";
/// What the server applied from the queue in the last minute, keyed by a
/// random id (version 2).
pub const DELIVERED: &str = "delivered";
/// Every store names its key `id`.
const KEY: &str = "id";

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase`, for the one method web-sys offers only behind its
    /// unstable flag: `transaction(stores, mode, options)` (durability).
    type Connection;
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &Connection,
        stores: &Array,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;
}

fn upgrade(database: &IdbDatabase, old_version: f64) -> Result<(), JsValue> {
    let create = |name: &str| {
        let params = IdbObjectStoreParameters::new();
        params.set_key_path(&KEY.into());
        database
            .create_object_store_with_optional_parameters(name, &params)
            .map(drop)
    };
    if old_version < 1.0 {
        create(OUTBOX)?;
        create(VIEWS)?;
    }
    if old_version < 2.0 {
        create(DELIVERED)?;
    }
    Ok(())
}

/// A failed IndexedDB call as an outbox error: the DOMException's name and
/// message (which `JSON.stringify` would turn into `{}`).
fn database_error(error: JsValue) -> OutboxError {
    if let Some(text) = error.as_string() {
        return OutboxError::Database(text);
    }
    let part = |name: &str| {
        Reflect::get(&error, &name.into())
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    };
    OutboxError::Database(format!("{}: {}", part("name"), part("message")))
}

/// Settles once `request` succeeded (with its result) or failed.
async fn settled(request: &IdbRequest) -> Result<JsValue, OutboxError> {
    let done = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(done).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result().map_err(database_error),
        Err(_) => Err(database_error(
            request
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_default(),
        )),
    }
}

/// Opens (creating or upgrading) the database. Connections are short-lived:
/// one per operation, so a newer version's upgrade is never blocked by an
/// idle connection in an old tab.
pub async fn open() -> Result<Database, OutboxError> {
    let factory: IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .filter(|factory| !factory.is_undefined() && !factory.is_null())
        .ok_or_else(|| OutboxError::Database("IndexedDB is unavailable".into()))?
        .unchecked_into();
    let request: IdbOpenDbRequest = factory
        .open_with_u32(NAME, VERSION)
        .map_err(database_error)?;
    let on_upgrade = Closure::<dyn FnMut(IdbVersionChangeEvent)>::new({
        let request = request.clone();
        move |event: IdbVersionChangeEvent| {
            let upgraded = request
                .result()
                .and_then(|database| upgrade(database.unchecked_ref(), event.old_version()));
            if let Err(error) = upgraded {
                // The open request then fails too, with the cause.
                web_sys::console::error_2(&"outbox-database: upgrade failed".into(), &error);
            }
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = settled(&request).await;
    request.set_onupgradeneeded(None);
    Ok(Database(opened?.unchecked_into()))
}

pub struct Database(IdbDatabase);

impl Database {
    fn connection(&self) -> &Connection {
        self.0.unchecked_ref()
    }

    /// A read-write transaction that completes only once its writes are on
    /// disk (`durability: "strict"`): a queued change must survive a crash
    /// right after the user saw it as saved.
    pub fn write(&self, stores: &[&str]) -> Result<Transaction, OutboxError> {
        self.transaction(stores, "readwrite", Some("strict"))
    }

    /// A read-write transaction for what may be lost in a crash (a hint
    /// for the UI): no wait for the disk.
    pub fn write_relaxed(&self, stores: &[&str]) -> Result<Transaction, OutboxError> {
        self.transaction(stores, "readwrite", Some("relaxed"))
    }

    pub fn read(&self, stores: &[&str]) -> Result<Transaction, OutboxError> {
        self.transaction(stores, "readonly", None)
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: &str,
        durability: Option<&str>,
    ) -> Result<Transaction, OutboxError> {
        let options = Object::new();
        if let Some(durability) = durability {
            Reflect::set(&options, &"durability".into(), &durability.into())?;
        }
        let names: Array = stores.iter().map(|name| JsValue::from(*name)).collect();
        let transaction = self
            .connection()
            .transaction_with_options(&names, mode, &options)
            .map_err(database_error)?;
        // Listened to from the start: a transaction may complete before
        // its last result is read.
        let completed = Promise::new(&mut |resolve, reject| {
            transaction.set_oncomplete(Some(&resolve));
            transaction.set_onabort(Some(&reject));
        });
        Ok(Transaction {
            transaction,
            completed,
        })
    }
}

pub struct Transaction {
    transaction: IdbTransaction,
    /// Resolves on `complete`, rejects on `abort`.
    completed: Promise,
}

impl Transaction {
    pub fn object_store(&self, name: &str) -> Result<ObjectStore, OutboxError> {
        self.transaction
            .object_store(name)
            .map(ObjectStore)
            .map_err(database_error)
    }

    /// Waits until the transaction committed, which it does by itself once
    /// its last request finished, and its writes are as durable as it asked.
    pub async fn commit(self) -> Result<(), OutboxError> {
        let completed = JsFuture::from(self.completed).await;
        self.transaction.set_oncomplete(None);
        self.transaction.set_onabort(None);
        completed.map(drop).map_err(|_| {
            database_error(
                self.transaction
                    .error()
                    .map(JsValue::from)
                    .unwrap_or_else(|| JsValue::from_str("the transaction was aborted")),
            )
        })
    }
}

pub struct ObjectStore(IdbObjectStore);

impl ObjectStore {
    /// Every value, or the first `limit` in key order.
    pub async fn get_all(&self, limit: Option<u32>) -> Result<Vec<JsValue>, OutboxError> {
        let request = match limit {
            Some(limit) => self
                .0
                .get_all_with_key_and_limit(&JsValue::UNDEFINED, limit),
            None => self.0.get_all(),
        }
        .map_err(database_error)?;
        Ok(Array::from(&settled(&request).await?).to_vec())
    }

    pub async fn put(&self, value: &JsValue) -> Result<(), OutboxError> {
        settled(&self.0.put(value).map_err(database_error)?)
            .await
            .map(drop)
    }

    pub async fn delete(&self, key: &JsValue) -> Result<(), OutboxError> {
        settled(&self.0.delete(key).map_err(database_error)?)
            .await
            .map(drop)
    }

    pub async fn clear(&self) -> Result<(), OutboxError> {
        settled(&self.0.clear().map_err(database_error)?)
            .await
            .map(drop)
    }
}
