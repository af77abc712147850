//! Health, readiness and metrics endpoints for load balancers, orchestrators and Prometheus
//! (issue 15 items 1 and 2), the way Keycloak and Ory Hydra expose them:
//!
//! - `GET /healthz`: the process serves (no I/O at all);
//! - `GET /readyz`: the database answers, this build's migrations are applied, and the
//!   default (or only) project's signing keys load; 503 naming the failing check otherwise;
//! - `GET /metrics`: the Prometheus text exposition ([`crate::metrics`]), on the main listener
//!   or, with `metrics_listen`, only on that one ([`metrics_router`]).
//!
//! All are cheap enough to probe every second: reads only, the key set comes from the key
//! cache, nothing is generated or written. Answers are never cached (`Cache-Control: no-store`),
//! and the request log writes them at `debug` ([`is_probe_path`]). Their errors are small JSON
//! documents, not Stytch's envelope ([`crate::family::Family::Ops`]).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::keys::KeyError;
use crate::state::AppState;

/// The paths this module serves.
pub const PROBE_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// A hung database must not hang the probe: the check fails after this long.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz` and `/readyz`, plus `/metrics` unless a separate metrics listener is configured.
pub fn router(metrics_here: bool) -> Router<AppState> {
    let r = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if metrics_here {
        r.route("/metrics", get(metrics))
    } else {
        r
    }
}

/// The router of the separate metrics listener (`metrics_listen`): `/metrics` only.
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Whether a request path is a probe (logged at `debug`, not `info`).
pub fn is_probe_path(path: &str) -> bool {
    PROBE_PATHS.contains(&path)
}

/// An error of a probe path: JSON, never cached.
pub fn error(status: StatusCode, message: &str) -> Response {
    no_store(status, json!({"status": "error", "error": message}))
}

async fn healthz() -> Response {
    no_store(StatusCode::OK, json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let mut checks = Map::new();
    let db = tokio::time::timeout(DB_CHECK_TIMEOUT, state.store.migration_status()).await;
    let db_ok = match db {
        Ok(Ok(m)) => {
            checks.insert("database".into(), json!({"status": "ok"}));
            let migrations = if m.current() {
                json!({"status": "ok", "applied": m.expected})
            } else {
                json!({"status": "fail", "error": "migrations not applied", "missing": m.missing})
            };
            checks.insert("migrations".into(), migrations);
            true
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            checks.insert("database".into(), fail("the database did not answer"));
            false
        }
        Err(_) => {
            tracing::warn!("readiness: database check timed out");
            checks.insert(
                "database".into(),
                fail("the database did not answer in time"),
            );
            false
        }
    };
    let keys = if db_ok {
        signing_keys(&state).await
    } else {
        json!({"status": "skipped", "reason": "database unavailable"})
    };
    checks.insert("signing_keys".into(), keys);
    if !db_ok {
        checks.insert(
            "migrations".into(),
            json!({"status": "skipped", "reason": "database unavailable"}),
        );
    }
    let failed: Vec<&String> = checks
        .iter()
        .filter(|(_, v)| v["status"] == "fail")
        .map(|(k, _)| k)
        .collect();
    let (status, word) = if failed.is_empty() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "fail")
    };
    let body = json!({"status": word, "failed": failed, "checks": checks});
    no_store(status, body)
}

fn fail(message: &str) -> Value {
    json!({"status": "fail", "error": message})
}

/// The default (or only) project's key set loads from the key cache or the store, read only
/// (`verifying_set` never generates keys). A project with no key yet is fine: its first keys
/// are made at the first signing.
async fn signing_keys(state: &AppState) -> Value {
    let Some(project_id) = probe_project(state).await else {
        return json!({"status": "skipped", "reason": "no single default project"});
    };
    let now = state.clock.now().unix_timestamp();
    match state
        .keys
        .verifying_set(&project_id, now, state.tokens.as_ref())
        .await
    {
        Ok(_) => json!({"status": "ok"}),
        Err(KeyError::NoActiveKey) => json!({"status": "ok", "note": "created at first signing"}),
        Err(KeyError::UnknownProject) => fail("the default project does not exist"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: signing keys cannot be loaded");
            fail("the signing keys cannot be loaded (is the master key the one they were sealed with?)")
        }
    }
}

/// `default_project_id`, else the only project; `None` with zero or several projects.
async fn probe_project(state: &AppState) -> Option<String> {
    if let Some(p) = &state.config.default_project_id {
        return Some(p.clone());
    }
    match state.store.list_projects().await.ok()?.as_slice() {
        [only] => Some(only.project_id.clone()),
        _ => None,
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let stats = state.store.pool_stats();
    crate::metrics::pool(stats.size, stats.idle);
    if let Some(age) = signing_key_age(&state).await {
        crate::metrics::signing_key_age(age);
    }
    match crate::metrics::render() {
        Some(text) => {
            let mut res = (StatusCode::OK, text).into_response();
            let h = res.headers_mut();
            // The Prometheus text exposition format, version 0.0.4.
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not available: another metrics recorder is installed",
        ),
    }
}

/// Seconds since the default (or only) project's active key became active; one read.
async fn signing_key_age(state: &AppState) -> Option<i64> {
    let project_id = probe_project(state).await?;
    let keys = state.store.signing_keys(&project_id).await.ok()?;
    let active = keys
        .iter()
        .find(|k| k.record.state == latchkey_core::jwt::KeyState::Active)?;
    let since = active
        .record
        .activated_at
        .unwrap_or(active.record.created_at);
    Some(state.clock.now().unix_timestamp() - since)
}

fn no_store(status: StatusCode, body: Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
