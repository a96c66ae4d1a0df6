//! Static files and the worker: compressed once at the best levels, cached
//! by the browser as long as their names allow.

use crate::support::{TestApp, STYLESHEET};
use axum::http::{header, StatusCode};

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut output = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut output).expect("valid brotli");
    output
}

#[tokio::test]
async fn static_files_come_precompressed_and_revalidate_by_etag() {
    let app = TestApp::new().await;
    let brotli = app
        .get_with(
            "/pkg/mozi.css",
            &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
        )
        .await;
    assert_eq!(brotli.status, StatusCode::OK);
    assert_eq!(brotli.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(brotli.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(
        brotli.headers[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    assert_eq!(unbrotli(&brotli.bytes), STYLESHEET.as_bytes());

    let gzip = app
        .get_with("/pkg/mozi.css", &[(header::ACCEPT_ENCODING, "gzip")])
        .await;
    assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
    let plain = app.get_with("/pkg/mozi.css", &[]).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.text, STYLESHEET);

    let etag = plain.headers[header::ETAG].to_str().unwrap().to_owned();
    let unchanged = app
        .get_with("/pkg/mozi.css", &[(header::IF_NONE_MATCH, &etag)])
        .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.bytes.is_empty());
}

#[tokio::test]
async fn the_worker_script_names_its_wasm_which_is_immutable() {
    let app = TestApp::new().await;
    let script = app
        .get_with("/sw.js", &[(header::ACCEPT_ENCODING, "br")])
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(script.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(script.headers[header::CONTENT_ENCODING], "br");
    let source = String::from_utf8(unbrotli(&script.bytes)).expect("the script is text");
    let wasm_url = source
        .split("\"wasm\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the script names its wasm");
    assert!(wasm_url.starts_with("/pkg/mozi-sw."), "{wasm_url}");
    assert!(
        !source.contains("AGFzbQ"),
        "the wasm is not inlined any more"
    );

    let wasm = app.get_with(wasm_url, &[]).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        wasm.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(wasm.bytes.starts_with(b"\0asm"));
    // The precache records the wasm by its hash, which its name carries.
    assert!(source.contains(&wasm_url["/pkg/mozi-sw.".len()..wasm_url.len() - ".wasm".len()]));
}

#[tokio::test]
async fn pages_are_still_compressed_and_unknown_files_are_not_found() {
    let app = TestApp::new().await;
    let page = app.get_with("/", &[(header::ACCEPT_ENCODING, "br")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CONTENT_ENCODING], "br");
    assert!(page.headers.get(header::ETAG).is_none());
    let missing = app.get_with("/pkg/missing.js", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Servers behind a load balancer: every instance of one build serves the
/// same worker, byte for byte, so switching servers never looks like an
/// update. (Two instances in turn, each with its own folder and database.)
#[tokio::test]
async fn every_instance_of_a_build_serves_the_same_worker() {
    let mut served = Vec::new();
    for _ in 0..2 {
        let app = TestApp::new().await;
        let script = app.get_with("/sw.js", &[]).await;
        assert_eq!(script.status, StatusCode::OK);
        served.push((script.bytes, script.headers[header::ETAG].clone()));
    }
    assert_eq!(served[0], served[1]);
}
