//! JSON through the browser's own `JSON.parse` and `JSON.stringify`: the
//! outbox's values are read and built as JS values (`mozi_outbox::json`),
//! so neither the page nor the worker carries a JSON library for them.

use js_sys::{Array, Object, Reflect, JSON};
use mozi_outbox::json::{FromJson, Json, ToJson};
use wasm_bindgen::{JsCast, JsValue};

/// A JS value read or built as JSON.
pub struct Js(pub JsValue);

impl Json for Js {
    fn field(&self, name: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        Reflect::get(&self.0, &JsValue::from_str(name))
            .ok()
            .filter(|value| !value.is_null() && !value.is_undefined())
            .map(Js)
    }

    fn text(&self) -> Option<String> {
        self.0.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        let array: &Array = self.0.dyn_ref()?;
        Some(array.iter().map(Js).collect())
    }

    fn null() -> Self {
        Js(JsValue::NULL)
    }

    fn from_text(text: &str) -> Self {
        Js(JsValue::from_str(text))
    }

    fn from_number(number: f64) -> Self {
        Js(JsValue::from_f64(number))
    }

    fn from_boolean(value: bool) -> Self {
        Js(JsValue::from_bool(value))
    }

    fn from_items(items: Vec<Self>) -> Self {
        Js(items
            .into_iter()
            .map(|item| item.0)
            .collect::<Array>()
            .into())
    }

    fn object(fields: Vec<(&'static str, Self)>) -> Self {
        let object = Object::new();
        for (name, value) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &JsValue::from_str(name), &value.0);
        }
        Js(object.into())
    }
}

/// `value` as JSON text.
pub fn stringify<T: ToJson + ?Sized>(value: &T) -> String {
    let Js(built) = value.to_json();
    // A value built from strings, numbers, booleans, arrays and plain
    // objects always stringifies.
    JSON::stringify(&built)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// Reads `text`; `None` when it is not JSON or not a `T`.
pub fn parse<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&Js(JSON::parse(text).ok()?))
}
