//! The device database: its name, its version and every object store, in
//! one place. Upgrades only add: queued records written by an older version
//! are read by the newer one (`store` migrates each record's shape), so an
//! update never strands anything.

use crate::OutboxError;
use idb::{Factory, KeyPath, ObjectStoreParams, Transaction};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbTransaction};

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

fn upgrade(database: &idb::Database, old_version: u32) -> Result<(), idb::Error> {
    let create = |name: &str| {
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single(KEY)));
        database.create_object_store(name, params).map(drop)
    };
    if old_version < 1 {
        create(OUTBOX)?;
        create(VIEWS)?;
    }
    if old_version < 2 {
        create(DELIVERED)?;
    }
    Ok(())
}

/// Opens (creating or upgrading) the database. Connections are short-lived:
/// one per operation, so a newer version's upgrade is never blocked by an
/// idle connection in an old tab.
pub async fn open() -> Result<Database, OutboxError> {
    let mut request = Factory::new()?.open(NAME, Some(VERSION))?;
    request.on_upgrade_needed(|event| {
        use idb::Event;
        let upgraded = event.old_version().and_then(|old| {
            let database = event.target()?.database()?;
            upgrade(&database, old)
        });
        if let Err(error) = upgraded {
            web_sys::console::error_1(&format!("outbox-database: upgrade failed: {error}").into());
        }
    });
    let database: IdbDatabase = request.await?.into();
    Ok(Database(database))
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
            .transaction_with_options(&names, mode, &options)?;
        Ok(transaction.into())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Closes once its transactions are done.
        self.0.close();
    }
}
