//! Cross-cutting request handling: the request id (Stytch's `request-id-<env>-<uuid>`) and the
//! one structured log line per request; the answers for unknown routes, wrong methods and
//! panics, so that no response ever leaves without its family's envelope ([`crate::family`]).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::ApiError;

use crate::envelope::{ApiFailure, REQUEST_ID};
use crate::family::Family;
use crate::state::AppState;

/// Gives the request an id, runs it inside that id's scope, logs one line when it ends (probes
/// at `debug`: an orchestrator asks every second) and counts it by route template.
pub async fn request_context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let env = environment_hint(&req);
    let id = make_id("request-id", env, state.tokens.uuid());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // The template, never the raw path (ids would make one series per object).
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let started = Instant::now();
    let mut resp = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    let latency_us = elapsed.as_micros() as u64;
    let route = route.as_deref().unwrap_or("unmatched");
    crate::metrics::request(route, &method, status, elapsed.as_secs_f64());
    if status >= 500 {
        tracing::error!(request_id = %id, %method, %path, status, latency_us, "request");
    } else if crate::health::is_probe_path(&path) {
        tracing::debug!(request_id = %id, %method, %path, status, latency_us, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, latency_us, "request");
    }
    if let Ok(v) = id.parse() {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// `live` when the Basic credentials name a live project, else `test`; only the id prefix is
/// looked at, never the secret.
fn environment_hint(req: &Request) -> Environment {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|raw| Environment::of_project(&String::from_utf8_lossy(&raw)))
        .unwrap_or(Environment::Test)
}

/// Rejects a NUL (`%00`) in the path before any handler sees it: no id or slug contains one.
pub async fn reject_nul_in_path(req: Request, next: Next) -> Response {
    if req.uri().path().contains("%00") {
        return crate::envelope::nul_error().into_response();
    }
    next.run(req).await
}

/// 404 for paths latchkey does not serve, in the path's family envelope.
pub async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let message = format!("No route matches {} {}.", req.method(), req.uri().path());
    Family::of(req.uri().path()).error(&state, StatusCode::NOT_FOUND, &message)
}

/// 405 for a known path with the wrong method, in the path's family envelope (an OAuth
/// endpoint answers RFC 6749 `invalid_request`, not Stytch JSON).
pub async fn method_not_allowed(State(state): State<AppState>, req: Request) -> Response {
    let message = format!(
        "The method used is not supported: {} {}.",
        req.method(),
        req.uri().path()
    );
    Family::of(req.uri().path()).error(&state, StatusCode::METHOD_NOT_ALLOWED, &message)
}

/// A panic becomes a logged 500 in the envelope, never a dropped connection.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = what, "handler panicked");
    ApiFailure(ApiError::internal()).into_response()
}
