//! What the worker knows about itself: its version, whether it is a
//! development build, and the precache manifest, handed over by the
//! bootstrap from the script the server generated.

use crate::caches::precache_name;
use crate::error::{code, SwError};
use crate::precache::Entry;
use js_sys::Reflect;
use mozi_core::PrecacheManifest;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

pub struct WorkerState {
    pub version: String,
    /// Development builds replace the previous worker at once.
    pub dev: bool,
    pub manifest: PrecacheManifest,
    /// The name of this version's precache cache, made once.
    pub precache: String,
}

thread_local! {
    static STATE: RefCell<Option<Rc<WorkerState>>> = const { RefCell::new(None) };
}

fn string_field(object: &JsValue, name: &str) -> Result<String, SwError> {
    Reflect::get(object, &name.into())
        .ok()
        .and_then(|value| value.as_string())
        .ok_or_else(|| SwError::new(code::BAD_CONFIG, format!("missing {name}")))
}

impl WorkerState {
    /// Reads `{version, dev, precache}`, where `precache` is the manifest's
    /// text; `wasm`, `outbox` and `precacheName` are the bootstrap's.
    pub fn parse(config: &JsValue) -> Result<Self, SwError> {
        let manifest = PrecacheManifest::parse(string_field(config, "precache")?)
            .map_err(|problem| SwError::new(code::BAD_CONFIG, problem))?;
        let version = string_field(config, "version")?;
        Ok(Self {
            precache: precache_name(&version),
            version,
            dev: Reflect::get(config, &"dev".into())
                .ok()
                .and_then(|value| value.as_bool())
                .unwrap_or(false),
            manifest,
        })
    }

    /// The manifest's files, for installing them.
    pub fn entries(&self) -> Vec<Entry> {
        self.manifest
            .files()
            .map(|(url, hash)| Entry {
                url: url.to_owned(),
                hash: hash.to_owned(),
            })
            .collect()
    }

    pub fn is_precached(&self, path: &str) -> bool {
        self.manifest.lists(path)
    }

    pub fn set(state: WorkerState) {
        STATE.with(|current| *current.borrow_mut() = Some(Rc::new(state)));
    }

    /// Shared, not copied: every request reads it.
    pub fn get() -> Result<Rc<WorkerState>, SwError> {
        STATE
            .with(|current| current.borrow().clone())
            .ok_or_else(|| SwError::new(code::NOT_STARTED, "start() was not called"))
    }
}
