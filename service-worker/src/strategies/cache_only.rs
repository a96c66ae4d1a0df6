use super::{LocalFuture, Strategy};
use crate::error::{code, SwError};
use crate::store::lookup;
use crate::url::cache_key;
use web_sys::{FetchEvent, Request, Response};

/// Only the stored copy: what the precache serves.
pub struct CacheOnly {
    pub cache: String,
}

impl Strategy for CacheOnly {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        _event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>> {
        Box::pin(async move {
            let key = cache_key(&request.url());
            lookup(&self.cache, &key)
                .await?
                .ok_or_else(|| SwError::new(code::CACHE_MISS, key))
        })
    }
}
