//! What the worker knows about itself: its version, whether it is a
//! development build, and the precache manifest, handed over by the
//! bootstrap from the script the server generated.

use crate::caches::precache_name;
use crate::error::{code, SwError};
use crate::precache::Entry;
use js_sys::{Array, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

pub struct WorkerState {
    pub version: String,
    /// Development builds replace the previous worker at once.
    pub dev: bool,
    pub manifest: Vec<Entry>,
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
    /// Reads `{version, dev, precache: [[url, hash]]}` (and ignores `wasm`,
    /// the bootstrap's).
    pub fn parse(config: &JsValue) -> Result<Self, SwError> {
        let entries =
            Reflect::get(config, &"precache".into()).map_err(SwError::from_js(code::BAD_CONFIG))?;
        if !Array::is_array(&entries) {
            return Err(SwError::new(code::BAD_CONFIG, "precache is not a list"));
        }
        // Read in place: `Array::from` would copy every array in JS first.
        let manifest = entries
            .unchecked_ref::<Array>()
            .iter()
            .map(|entry| {
                let pair = entry.dyn_ref::<Array>();
                match pair.map(|pair| (pair.get(0).as_string(), pair.get(1).as_string())) {
                    Some((Some(url), Some(hash))) => Ok(Entry { url, hash }),
                    _ => Err(SwError::new(
                        code::BAD_CONFIG,
                        "a precache entry is not [url, hash]",
                    )),
                }
            })
            .collect::<Result<Vec<_>, SwError>>()?;
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
