//! Pages for signed-out visitors, rendered at most once a second per URL.
//!
//! Rendering `/` costs about 400 µs of CPU (a profile spreads it over the
//! view tree, allocation and serialisation, with no single hot spot), so a
//! crowd of signed-out visitors (a link shared before a talk) would keep
//! both cores busy rendering the same bytes. A signed-out page depends only
//! on its URL: no cookie means no session, and the app reads no other
//! header. So the first rendering of a URL is kept for [`FRESH_FOR`], and
//! every request in that time gets it with a fresh script nonce, the one
//! part of a page that must differ per response (the policy that names it
//! is written by `security::security_headers`, outside this layer).
//!
//! Compressing the page again per response would cost more than all the
//! rest, so it is kept gzipped in pieces cut at the nonce, each a deflate
//! stream of its own ended on a byte boundary: a response joins them with
//! its nonce as a stored (uncompressed) deflate block between each two,
//! and a checksum over the whole.
//!
//! Only a plain `200 text/html` page without a cookie of its own is kept;
//! concurrent first requests for a URL wait for one rendering instead of
//! each making one.

use crate::compression::{accepts, Encoding};
use crate::security::{script_nonce, ScriptNonce};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use mozi_core::AppError;
use std::sync::Arc;
use std::time::Duration;

/// How long a rendering is served: the schedule a signed-out visitor sees
/// is at most this old.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// At most this many bytes of pages are kept (a page is about 20 KB), so a
/// flood of distinct URLs evicts pages instead of growing the server.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The largest page kept; larger ones are rendered per request.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct PageCache {
    pages: moka::future::Cache<String, Arc<KeptPage>>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self {
            pages: moka::future::Cache::builder()
                .time_to_live(FRESH_FOR)
                .max_capacity(MAX_BYTES)
                .weigher(|url: &String, page: &Arc<KeptPage>| {
                    u32::try_from(url.len() + page.len()).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }
}

/// A rendered page cut at each occurrence of its nonce, as it is and
/// deflated.
struct KeptPage {
    headers: HeaderMap,
    pieces: Vec<Bytes>,
    deflated: Vec<Vec<u8>>,
}

impl KeptPage {
    /// The page when it can be kept, else the response as it came.
    async fn from_response(response: Response) -> Result<Self, Response> {
        let keepable = response.status() == StatusCode::OK
            && !response.headers().contains_key(header::SET_COOKIE)
            && !response.headers().contains_key(header::CONTENT_ENCODING)
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
        if !keepable {
            return Err(response);
        }
        let (parts, body) = response.into_parts();
        let Ok(page) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
            tracing::error!("a page too large to keep was rendered for a signed-out visitor");
            return Err(AppError::Internal.into_response());
        };
        let Some(nonce) = script_nonce(&page).map(str::as_bytes) else {
            return Err(Response::from_parts(parts, Body::from(page)));
        };
        let mut pieces = Vec::new();
        let mut rest = page.clone();
        while let Some(at) = find(&rest, nonce) {
            pieces.push(rest.slice(..at));
            rest = rest.slice(at + nonce.len()..);
        }
        pieces.push(rest);
        let last = pieces.len() - 1;
        let deflated = pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| deflate(piece, index == last))
            .collect::<Result<_, _>>();
        let Ok(deflated) = deflated else {
            tracing::error!("a page could not be compressed to keep");
            return Err(Response::from_parts(parts, Body::from(page)));
        };
        let mut headers = parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        Ok(Self {
            headers,
            pieces,
            deflated,
        })
    }

    fn len(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    /// The page under a nonce of its own wherever the rendering had one,
    /// gzipped when the browser takes gzip.
    fn respond(&self, gzip: bool) -> Response {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let body = if gzip {
            self.gzipped(nonce.as_bytes())
        } else {
            self.joined(nonce.as_bytes())
        };
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        if gzip {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response.extensions_mut().insert(ScriptNonce(nonce.into()));
        response
    }

    fn joined(&self, nonce: &[u8]) -> Vec<u8> {
        let mut page = Vec::with_capacity(self.len() + nonce.len() * self.pieces.len());
        for (index, piece) in self.pieces.iter().enumerate() {
            if index > 0 {
                page.extend_from_slice(nonce);
            }
            page.extend_from_slice(piece);
        }
        page
    }

    /// A gzip member (RFC 1952) whose deflate stream is the kept pieces
    /// with `nonce` as a stored block (RFC 1951, 3.2.4) between each two.
    fn gzipped(&self, nonce: &[u8]) -> Vec<u8> {
        let deflated: usize = self.deflated.iter().map(Vec::len).sum();
        let mut gzip = Vec::with_capacity(deflated + (nonce.len() + 5) * self.pieces.len() + 18);
        // Magic, deflate, no flags, no time, no extra flags, unknown OS.
        gzip.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let mut checksum = Crc::new();
        let stored_length = u16::try_from(nonce.len()).expect("a nonce is a few dozen bytes");
        for (index, (piece, deflated)) in self.pieces.iter().zip(&self.deflated).enumerate() {
            if index > 0 {
                // Not the last block, stored; its header bits padded to
                // the byte boundary the previous piece ended on.
                gzip.push(0);
                gzip.extend_from_slice(&stored_length.to_le_bytes());
                gzip.extend_from_slice(&(!stored_length).to_le_bytes());
                gzip.extend_from_slice(nonce);
                checksum.update(nonce);
            }
            gzip.extend_from_slice(deflated);
            checksum.update(piece);
        }
        gzip.extend_from_slice(&checksum.sum().to_le_bytes());
        gzip.extend_from_slice(&checksum.amount().to_le_bytes());
        gzip
    }
}

/// `piece` as a raw deflate stream of its own (it refers to no byte before
/// it), ended by a sync flush on a byte boundary, or as the final block.
fn deflate(piece: &[u8], last: bool) -> Result<Vec<u8>, flate2::CompressError> {
    let mut compressor = Compress::new(Compression::best(), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut output = Vec::with_capacity(piece.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(compressor.total_in()).unwrap_or(piece.len());
        let status = compressor.compress_vec(&piece[consumed..], &mut output, flush)?;
        let all_in = usize::try_from(compressor.total_in()).is_ok_and(|total| total == piece.len());
        // A flush is complete when it left room in the output.
        let done = if last {
            status == Status::StreamEnd
        } else {
            all_in && output.len() < output.capacity()
        };
        if done {
            return Ok(output);
        }
        output.reserve(output.capacity().max(64));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Answers a signed-out visitor's page from the kept rendering of its URL,
/// rendering it first when there is none.
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let signed_out_page = request.method() == Method::GET
        && !request.headers().contains_key(header::COOKIE)
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.uri().path().starts_with("/api/");
    if !signed_out_page {
        return next.run(request).await;
    }
    let url = request.uri().to_string();
    let takes_gzip = accepts(request.headers(), Encoding::Gzip);
    // Taken by the rendering when this request is the one that makes it;
    // still here when another request's rendering could not be kept.
    let mut waiting = Some((request, next));
    let mut not_kept = None;
    let page = cache
        .pages
        .optionally_get_with(url, async {
            let (request, next) = waiting.take()?;
            match KeptPage::from_response(next.run(request).await).await {
                Ok(page) => Some(Arc::new(page)),
                Err(response) => {
                    not_kept = Some(response);
                    None
                }
            }
        })
        .await;
    if let Some(page) = page {
        return page.respond(takes_gzip);
    }
    if let Some(response) = not_kept {
        return response;
    }
    match waiting {
        Some((request, next)) => next.run(request).await,
        None => {
            tracing::error!("a page was taken for rendering but neither kept nor sent");
            AppError::Internal.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    async fn kept(page: &'static str) -> KeptPage {
        let response = Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from(page))
            .unwrap();
        KeptPage::from_response(response).await.ok().unwrap()
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut page = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut page)
            .unwrap();
        page
    }

    #[tokio::test]
    async fn the_gzipped_page_is_the_page_under_the_new_nonce() {
        let body = "x".repeat(70_000);
        let page: &'static str = Box::leak(
            format!(
                "<head><script nonce=\"old\">a</script></head><p>{body}</p>\
                 <script nonce=\"old\">b</script><p>old news</p>"
            )
            .into_boxed_str(),
        );
        let kept = kept(page).await;
        assert_eq!(kept.pieces.len(), 4);
        let expected = page.replace("old", "fresh-nonce");
        assert_eq!(kept.joined(b"fresh-nonce"), expected.as_bytes());
        assert_eq!(gunzip(&kept.gzipped(b"fresh-nonce")), expected);
        assert!(kept.gzipped(b"fresh-nonce").len() < 1_000);
    }

    #[tokio::test]
    async fn a_page_without_scripts_or_a_failed_one_is_not_kept() {
        let plain = Response::builder()
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from("<p>no script</p>"))
            .unwrap();
        assert!(KeptPage::from_response(plain).await.is_err());
        let missing = Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from("<script nonce=\"n\"></script>"))
            .unwrap();
        assert!(KeptPage::from_response(missing).await.is_err());
    }
}
