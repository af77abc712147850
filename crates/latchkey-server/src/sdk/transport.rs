//! The frontend SDK's transport, as `@stytch/vanilla-js` 6.x speaks it (`NetworkClient`,
//! `baseFetchSDK`): `Authorization: Basic base64(public_token:session_token)` (or
//! `public_token:public_token` before login), `X-SDK-Client` (base64 telemetry: accepted, never
//! required, never logged), `X-SDK-Parent-Host` (the page's origin) and `credentials: 'include'`.
//! Successes are `{"data": {...}}` (the SDK returns `respData.data`); errors are Stytch's error
//! JSON, so the SDK raises its typed `StytchAPIError`.
//!
//! [`guard`] runs before every `/sdk/v1` handler: it answers CORS preflights, finds the project
//! of the public token (401 `invalid_public_token_id` otherwise), refuses a browser `Origin` or
//! `X-SDK-Parent-Host` the project has not authorized (403 `bad_domain_for_stytch_sdk`, with no
//! CORS headers, so the page cannot read anything), and adds CORS headers for authorized
//! origins only: the origin echoed, `Vary: Origin`, `Access-Control-Allow-Credentials: true`,
//! never `*`. A form post (the SDK's other transport, `__Authorization` fields) is
//! [`super::form`]'s.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_core::ids::Environment;
use latchkey_core::{sdk_origin, ApiError};
use serde::Serialize;

use crate::api::auth::basic_from_headers;
use crate::envelope::{request_id, ApiFailure, Stytch};
use crate::state::AppState;

pub const PARENT_HOST: &str = "x-sdk-parent-host";
const ALLOWED_HEADERS: &str = "authorization, content-type, x-sdk-client, x-sdk-parent-host";
const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";

/// The caller of an SDK endpoint: the project its public token names, and the session token
/// of its Basic password (`None` before login).
#[derive(Debug, Clone)]
pub struct SdkCaller {
    pub project_id: String,
    pub public_token: String,
    pub session_token: Option<String>,
}

impl SdkCaller {
    /// The session token, or 401 for an endpoint that needs a logged-in member.
    pub fn session(&self) -> Result<&str, ApiFailure> {
        self.session_token.as_deref().ok_or_else(|| {
            ApiError::new(
                401,
                "unauthorized_credentials",
                "This SDK method needs a logged-in member: the request carries no session.",
            )
            .into()
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SdkCaller {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Put there by `guard`, which every SDK route runs behind.
        parts
            .extensions
            .get::<SdkCaller>()
            .cloned()
            .ok_or_else(|| ApiError::internal().into())
    }
}

fn invalid_public_token() -> ApiError {
    ApiError::new(
        401,
        "invalid_public_token_id",
        "The public token in the Authorization header is not a public token of this server.",
    )
}

pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
}

/// The CORS headers of an authorized origin.
fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

fn vary_origin(headers: &mut HeaderMap) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// A preflight names no project (browsers send no `Authorization` on it): it is answered for
/// an origin some project authorizes, and for loopback origins (test projects accept them).
/// The request itself is checked against its own project before anything runs.
async fn preflight(state: &AppState, origin: Option<&str>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    vary_origin(h);
    let Some(origin) = origin else {
        return resp;
    };
    if origin_plausible(state, origin).await {
        allow_origin(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    resp
}

/// The `OPTIONS` handler of every SDK route (the guard answers it first; this is what the
/// router needs to route the method at all).
pub async fn preflight_route(State(state): State<AppState>, headers: HeaderMap) -> Response {
    preflight(&state, header_str(&headers, header::ORIGIN.as_str())).await
}

/// An origin some project authorizes, or a loopback one (test projects accept those).
async fn origin_plausible(state: &AppState, origin: &str) -> bool {
    match sdk_origin::normalize(origin) {
        Ok(o) if sdk_origin::is_loopback(&o) => true,
        Ok(o) => state.store.sdk_origin_known(&o).await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Finds the caller's project and checks its origins; see the module header.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let origin = header_str(req.headers(), header::ORIGIN.as_str()).map(str::to_owned);
    if req.method() == Method::OPTIONS {
        return preflight(&state, origin.as_deref()).await;
    }
    if req.method() == Method::POST && super::form::is_form(req.headers()) {
        return super::form::serve(&state, req, next).await;
    }
    let headers = req.headers().clone();
    let path = req.uri().path().to_owned();
    if path == super::paths::EVENTS {
        // The SDK's event logger posts telemetry without the Authorization header; it is
        // dropped, so it needs no project, only CORS for the pages preflights answer.
        let mut resp = next.run(req).await;
        if let Some(o) = origin.as_deref() {
            if origin_plausible(&state, o).await {
                allow_origin(resp.headers_mut(), o);
            }
        }
        vary_origin(resp.headers_mut());
        return resp;
    }
    let caller = match authenticate(&state, &headers, &path, origin.as_deref()).await {
        Ok(c) => c,
        Err(e) => {
            let mut resp = e.into_response();
            vary_origin(resp.headers_mut());
            return resp;
        }
    };
    req.extensions_mut().insert(caller);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    vary_origin(h);
    if let Some(o) = origin.as_deref() {
        allow_origin(h, o);
    }
    resp
}

pub(super) async fn authenticate(
    state: &AppState,
    parts_headers: &HeaderMap,
    path: &str,
    origin: Option<&str>,
) -> Result<SdkCaller, ApiFailure> {
    let (public_token, password) = basic_from_headers(parts_headers)
        .or_else(|| bootstrap_token(path).map(|t| (t.clone(), t)))
        .ok_or_else(invalid_public_token)?;
    let project = state
        .store
        .project_by_public_token(&public_token)
        .await?
        .ok_or_else(invalid_public_token)?;
    let env = Environment::of_project(&project.project_id);
    let authorized = state.store.sdk_origins(&project.project_id).await?;
    for claimed in [origin, header_str(parts_headers, PARENT_HOST)]
        .into_iter()
        .flatten()
    {
        if !sdk_origin::allowed(claimed, &authorized, env) {
            return Err(sdk_origin::refused(claimed).into());
        }
    }
    let session_token = (password != public_token && !password.is_empty()).then_some(password);
    Ok(SdkCaller {
        project_id: project.project_id,
        public_token,
        session_token,
    })
}

/// `GET /sdk/v1/projects/bootstrap/{public_token}` names its project in the path too.
fn bootstrap_token(path: &str) -> Option<String> {
    path.strip_prefix("/sdk/v1/projects/bootstrap/")
        .filter(|t| !t.is_empty() && !t.contains('/'))
        .map(str::to_owned)
}

/// A success as the SDK reads it: the management response's fields under `data`.
pub struct SdkOk(pub StatusCode, pub serde_json::Value);

impl IntoResponse for SdkOk {
    fn into_response(self) -> Response {
        let SdkOk(status, mut data) = self;
        let rid = request_id();
        if let serde_json::Value::Object(m) = &mut data {
            m.insert("request_id".into(), rid.clone().into());
            m.insert("status_code".into(), status.as_u16().into());
        }
        let body = serde_json::json!({
            "data": data,
            "request_id": rid,
            "status_code": status.as_u16(),
        });
        (status, axum::Json(body)).into_response()
    }
}

pub type SdkResult = Result<SdkOk, ApiFailure>;

/// Re-wraps a management handler's answer for the SDK.
pub fn wrap<T: Serialize>(r: Result<Stytch<T>, ApiFailure>) -> SdkResult {
    let Stytch(status, body) = r?;
    let data = serde_json::to_value(body).map_err(|e| {
        tracing::error!(error = %e, "SDK response did not serialize");
        ApiFailure(ApiError::internal())
    })?;
    Ok(SdkOk(status, data))
}

/// `{"data": value}` for handlers that build their answer here.
pub fn data(value: serde_json::Value) -> SdkResult {
    Ok(SdkOk(StatusCode::OK, value))
}
