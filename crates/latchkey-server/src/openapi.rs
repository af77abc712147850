//! `GET /openapi.json` (issue 15 item 3): the OpenAPI 3.1 document of latchkey's own HTTP API,
//! written once (`openapi.json` beside this file) and embedded. The Stytch-compatible operations
//! and their schemas keep the names of Stytch's OpenAPI document. The test
//! `tests/api/openapi.rs` compares its paths and methods with every `.route(...)` in this crate,
//! both ways, so neither can change without the other, and validates it with
//! `openapi-spec-validator` (PyPI).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub const PATH: &str = "/openapi.json";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(document))
}

async fn document() -> Response {
    let mut res = DOCUMENT.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Same for everyone; cacheable for a short while (it changes only with the binary).
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}
