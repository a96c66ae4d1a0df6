use super::{store_in_background, LocalFuture, Strategy};
use crate::error::{code, SwError};
use crate::scope::fetch;
use crate::store::{is_cacheable, lookup, put_stamped};
use crate::url::cache_key;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{FetchEvent, Request, Response};

/// The stored copy at once while a fresh one is fetched for next time;
/// the network when nothing is stored.
pub struct StaleWhileRevalidate {
    pub cache: &'static str,
}

impl Strategy for StaleWhileRevalidate {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>> {
        Box::pin(async move {
            let key = cache_key(&request.url());
            match lookup(self.cache, &key).await? {
                Some(cached) => {
                    let cache = self.cache;
                    let request = request
                        .clone()
                        .map_err(SwError::from_js(code::NETWORK_FAILED))?;
                    let refresh = future_to_promise(async move {
                        let fresh = fetch(&request).await?;
                        if is_cacheable(&fresh) {
                            put_stamped(cache, &key, fresh).await?;
                        }
                        Ok(JsValue::UNDEFINED)
                    });
                    // Fails only once the event has finished.
                    let _ = event.wait_until(&refresh);
                    Ok(cached)
                }
                None => {
                    let response = fetch(request).await?;
                    store_in_background(event, self.cache, key, &response);
                    Ok(response)
                }
            }
        })
    }
}
