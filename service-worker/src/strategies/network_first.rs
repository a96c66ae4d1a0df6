use super::{store_in_background, LocalFuture, Strategy};
use crate::error::{code, SwError};
use crate::navigation_preload;
use crate::scope::{fetch, first_of, sleep, Either};
use crate::store::lookup;
use crate::url::cache_key;
use web_sys::{FetchEvent, Request, Response};

/// The network if it answers within `timeout_ms` (using the navigation
/// preload response when there is one), else the last stored copy.
pub struct NetworkFirst {
    pub cache: &'static str,
    pub timeout_ms: u32,
}

impl Strategy for NetworkFirst {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>> {
        Box::pin(async move {
            let key = cache_key(&request.url());
            let network = async {
                match navigation_preload::response(event).await {
                    Some(response) => Ok(response),
                    None => fetch(request).await,
                }
            };
            let outcome = match first_of(network, sleep(self.timeout_ms)).await {
                Either::Left(result) => result,
                Either::Right(()) => Err(SwError::new(
                    code::NETWORK_TIMEOUT,
                    format!("no answer within {} ms", self.timeout_ms),
                )),
            };
            match outcome {
                Ok(response) => {
                    store_in_background(event, self.cache, key, &response);
                    Ok(response)
                }
                Err(network_error) => lookup(self.cache, &key).await?.ok_or(network_error),
            }
        })
    }
}
