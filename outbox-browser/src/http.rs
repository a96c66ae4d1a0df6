//! `fetch` from a page or the worker alike.

use js_sys::Promise;
use std::future::Future;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, present in windows and workers.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// What came back, read whole.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

/// POSTs `json` to `path` with this origin's cookies; `Err` when no answer
/// came (offline, refused, dropped connection). The request goes out at
/// once, before the returned future is first awaited, so the caller can do
/// other work while it is on the way.
pub fn post_json(path: &str, json: &str) -> impl Future<Output = Result<Reply, JsValue>> {
    let sent = send(path, json);
    async move {
        let response: Response = JsFuture::from(sent?).await?.dyn_into()?;
        let body = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok(Reply {
            status: response.status(),
            retry_after: response.headers().get("retry-after")?,
            body,
        })
    }
}

fn send(path: &str, json: &str) -> Result<Promise, JsValue> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&json.into());
    let request = Request::new_with_str_and_init(path, &init)?;
    request.headers().set("content-type", "application/json")?;
    Ok(global_fetch(&request))
}
