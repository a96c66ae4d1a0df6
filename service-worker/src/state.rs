//! What the worker knows about itself: its version, whether it is a
//! development build, and the precache manifest, handed over by the
//! bootstrap from the script the server generated.

use crate::caches::precache_name;
use crate::error::{code, SwError};
use crate::precache::Entry;
use js_sys::{Array, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

pub struct WorkerState {
    pub version: String,
    /// Development builds replace the previous worker at once.
    pub dev: bool,
    pub manifest: Vec<Entry>,
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
    /// Reads `{version, dev, precache: [[url, hash]]}` (and ignores `wasm`,
    /// the bootstrap's).
    pub fn parse(config: &JsValue) -> Result<Self, SwError> {
        let entries =
            Reflect::get(config, &"precache".into()).map_err(SwError::from_js(code::BAD_CONFIG))?;
        let manifest = Array::from(&entries)
            .iter()
            .map(|entry| {
                let pair = Array::from(&entry);
                match (pair.get(0).as_string(), pair.get(1).as_string()) {
                    (Some(url), Some(hash)) => Ok(Entry { url, hash }),
                    _ => Err(SwError::new(
                        code::BAD_CONFIG,
                        "a precache entry is not [url, hash]",
                    )),
                }
            })
            .collect::<Result<Vec<_>, SwError>>()?;
        Ok(Self {
            version: string_field(config, "version")?,
            dev: Reflect::get(config, &"dev".into())
                .ok()
                .and_then(|value| value.as_bool())
                .unwrap_or(false),
            manifest,
        })
    }

    pub fn precache_name(&self) -> String {
        precache_name(&self.version)
    }

    pub fn is_precached(&self, path: &str) -> bool {
        self.manifest.iter().any(|entry| entry.url == path)
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
