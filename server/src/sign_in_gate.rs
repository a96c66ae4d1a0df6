//! Personal pages requested by a signed-out visitor are answered with a
//! redirect to sign-in (and back) before any rendering.

use app::backend::signed_in_user;
use app::{requires_sign_in, sign_in_url};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

pub async fn redirect_signed_out(session: Session, request: Request, next: Next) -> Response {
    if request.method() == Method::GET && requires_sign_in(request.uri().path()) {
        match signed_in_user(&session).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let wanted = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |path| path.as_str());
                return Redirect::to(&sign_in_url(wanted)).into_response();
            }
            Err(error) => return error.into_response(),
        }
    }
    next.run(request).await
}
