//! `/images/speakers/<name>.svg`: a speaker's picture. The demo conference
//! has no photographs, so each speaker gets a drawn portrait with their
//! initials, stable per name.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const COLOURS: &[&str] = &[
    "#1d3557", "#457b9d", "#2a9d8f", "#e76f51", "#6d597a", "#264653",
];

pub async fn photo(Path(file): Path<String>) -> Response {
    let Some(slug) = file.strip_suffix(".svg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let parts: Vec<&str> = slug.split('-').filter(|part| !part.is_empty()).collect();
    if parts.is_empty() || !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return StatusCode::NOT_FOUND.into_response();
    }
    let initials: String = parts
        .iter()
        .take(2)
        .filter_map(|part| part.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let colour = COLOURS[slug.bytes().map(usize::from).sum::<usize>() % COLOURS.len()];
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96"><rect width="96" height="96" rx="48" fill="{colour}"/><text x="48" y="58" font-family="system-ui,sans-serif" font-size="34" font-weight="700" fill="#fff" text-anchor="middle">{initials}</text></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}
