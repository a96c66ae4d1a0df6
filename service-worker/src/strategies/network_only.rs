use super::{LocalFuture, Strategy};
use crate::error::SwError;
use crate::scope::fetch;
use web_sys::{FetchEvent, Request, Response};

/// Always the network; nothing is stored.
pub struct NetworkOnly;

impl Strategy for NetworkOnly {
    fn handle<'a>(
        &'a self,
        request: &'a Request,
        _event: &'a FetchEvent,
    ) -> LocalFuture<'a, Result<Response, SwError>> {
        Box::pin(fetch(request))
    }
}
