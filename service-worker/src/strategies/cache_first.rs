use super::{store_in_background, LocalFuture, Strategy};
use crate::error::SwError;
use crate::scope::fetch;
use crate::store::lookup;
use crate::url::cache_key;
use web_sys::{FetchEvent, Request, Response};

/// The stored copy if there is one, else the network (and keep its answer).
pub struct CacheFirst {
    pub cache: &'static str,
}

impl Strategy for CacheFirst {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>> {
        Box::pin(async move {
            let key = cache_key(&request.url());
            if let Some(cached) = lookup(self.cache, &key).await? {
                return Ok(cached);
            }
            let response = fetch(request).await?;
            store_in_background(event, self.cache, key, &response);
            Ok(response)
        })
    }
}
