//! The messages between pages and the service worker, defined once for
//! both sides. On the wire each is a plain object whose `type` names it
//! (`{type: "SKIP_WAITING"}`); `to_js`/`from_js` (feature `js`) are the
//! only code that writes or reads that shape.

/// What a page asks of the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageToWorker {
    /// The waiting worker takes over now ("New version available" tapped).
    SkipWaiting,
    /// Forget the runtime caches of the user who signed out.
    ClearUserData,
    /// Answered with [`WorkerToPage::Version`].
    GetVersion,
}

/// What the worker tells its pages.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerToPage {
    /// Whether the network answers; offline, the time (ms since the epoch)
    /// the copy just served was saved.
    Connectivity { online: bool, saved_at: Option<f64> },
    /// The version of the worker in charge.
    Version { version: String },
}

/// The names on the wire, read and written only by the `js` conversions.
#[cfg(any(feature = "js", test))]
impl PageToWorker {
    fn kind(&self) -> &'static str {
        match self {
            Self::SkipWaiting => "SKIP_WAITING",
            Self::ClearUserData => "CLEAR_USER_DATA",
            Self::GetVersion => "GET_VERSION",
        }
    }

    fn from_kind(kind: &str) -> Option<Self> {
        [Self::SkipWaiting, Self::ClearUserData, Self::GetVersion]
            .into_iter()
            .find(|message| message.kind() == kind)
    }
}

#[cfg(feature = "js")]
mod js {
    use super::{PageToWorker, WorkerToPage};
    use js_sys::{Object, Reflect};
    use wasm_bindgen::JsValue;

    const CONNECTIVITY: &str = "CONNECTIVITY";
    const VERSION: &str = "VERSION";

    fn object(fields: &[(&str, JsValue)]) -> JsValue {
        let object = Object::new();
        for (name, value) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &(*name).into(), value);
        }
        object.into()
    }

    fn field(object: &JsValue, name: &str) -> Option<JsValue> {
        Reflect::get(object, &name.into()).ok()
    }

    fn kind(data: &JsValue) -> Option<String> {
        field(data, "type")?.as_string()
    }

    impl PageToWorker {
        pub fn to_js(&self) -> JsValue {
            object(&[("type", self.kind().into())])
        }

        /// `None` for anything that is not one of these messages.
        pub fn from_js(data: &JsValue) -> Option<Self> {
            Self::from_kind(&kind(data)?)
        }
    }

    impl WorkerToPage {
        pub fn to_js(&self) -> JsValue {
            match self {
                Self::Connectivity { online, saved_at } => object(&[
                    ("type", CONNECTIVITY.into()),
                    ("online", (*online).into()),
                    ("savedAt", saved_at.map_or(JsValue::NULL, JsValue::from)),
                ]),
                Self::Version { version } => object(&[
                    ("type", VERSION.into()),
                    ("version", version.as_str().into()),
                ]),
            }
        }

        /// `None` for anything that is not one of these messages.
        pub fn from_js(data: &JsValue) -> Option<Self> {
            match kind(data)?.as_str() {
                CONNECTIVITY => Some(Self::Connectivity {
                    online: field(data, "online")?.as_bool()?,
                    saved_at: field(data, "savedAt").and_then(|at| at.as_f64()),
                }),
                VERSION => Some(Self::Version {
                    version: field(data, "version")?.as_string()?,
                }),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_message_is_read_back_from_its_own_name() {
        for message in [
            PageToWorker::SkipWaiting,
            PageToWorker::ClearUserData,
            PageToWorker::GetVersion,
        ] {
            assert_eq!(PageToWorker::from_kind(message.kind()), Some(message));
        }
        assert_eq!(PageToWorker::from_kind("skip_waiting"), None);
    }
}
