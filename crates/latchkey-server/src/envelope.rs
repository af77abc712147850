//! Stytch's response envelope, in one place: every JSON body carries `request_id` and
//! `status_code`; every error is `{status_code, request_id, error_type, error_message,
//! error_url}` (https://stytch.com/docs/api/errors). Also the extractors that turn framework
//! rejections (bad JSON, wrong types, oversized bodies) into that shape instead of axum's
//! plain-text errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::ApiError;
use latchkey_store::{Conflict, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;

tokio::task_local! {
    /// The id of the request being handled, set by [`crate::middleware::request_context`].
    pub static REQUEST_ID: String;
}

/// The current request's id (empty outside a request).
pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// A request body a handler has no use for (the SDKs send `{"client_id": …}` to endpoints that
/// take it from the path): read to the end all the same, because hyper closes a keep-alive
/// connection whose body was left unread, and a client that reuses it at that moment sees the
/// connection drop without a response.
pub type ReadBody = Bytes;

/// A successful Stytch response: `body`'s fields plus `request_id` and `status_code`.
pub struct Stytch<T>(pub StatusCode, pub T);

/// 200 with `body`.
pub fn ok<T>(body: T) -> Stytch<T> {
    Stytch(StatusCode::OK, body)
}

impl<T: Serialize> IntoResponse for Stytch<T> {
    fn into_response(self) -> Response {
        let Stytch(status, body) = self;
        match serde_json::to_value(body) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.insert("request_id".into(), request_id().into());
                map.insert("status_code".into(), status.as_u16().into());
                json_response(status, &serde_json::Value::Object(map))
            }
            _ => {
                tracing::error!("response body did not serialize to a JSON object");
                ApiFailure(ApiError::internal()).into_response()
            }
        }
    }
}

/// A JSON object serialized once and served many times (the JWKS, discovery): its bytes
/// with this request's `request_id` and `status_code` appended before the closing brace, so
/// the document is not rebuilt and reserialized per request. `object` must be a serialized
/// JSON object without those two members (serde_json output of a map or struct).
pub fn prebuilt_json(
    status: StatusCode,
    object: &[u8],
    headers: &[(header::HeaderName, HeaderValue)],
) -> Response {
    let id = serde_json::to_string(&request_id()).unwrap_or_else(|_| "\"\"".into());
    let inner = object
        .strip_suffix(b"}")
        .filter(|_| object.first() == Some(&b'{'))
        .unwrap_or(b"{");
    let mut out = Vec::with_capacity(object.len() + id.len() + 40);
    out.extend_from_slice(inner);
    if inner.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"request_id\":");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(format!(",\"status_code\":{}}}", status.as_u16()).as_bytes());
    let mut resp = (status, out).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        h.insert(name.clone(), value.clone());
    }
    resp
}

/// An error in Stytch's shape. Handlers return `Result<_, ApiFailure>` and use `?` on
/// [`ApiError`] and [`StoreError`].
#[derive(Debug)]
pub struct ApiFailure(pub ApiError);

impl From<ApiError> for ApiFailure {
    fn from(e: ApiError) -> Self {
        ApiFailure(e)
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        let api = match e {
            StoreError::Conflict(Conflict::OrganizationSlug) => ApiError::bad_request(
                "organization_slug_already_used",
                "The provided organization_slug is already used in another organization.",
            ),
            StoreError::Conflict(Conflict::OrganizationExternalId) => ApiError::bad_request(
                "organization_external_id_already_used",
                "The provided organization_external_id is already used by another organization in this project.",
            ),
            StoreError::Conflict(Conflict::MemberEmail) => ApiError::bad_request(
                "duplicate_member_email",
                "A member with the specified email already exists in this organization.",
            ),
            StoreError::Conflict(Conflict::MemberExternalId) => ApiError::bad_request(
                "duplicate_member_external_id",
                "A member with the specified external_id already exists in this organization.",
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::internal()
            }
        };
        ApiFailure(api)
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({
            "status_code": status.as_u16(),
            "request_id": request_id(),
            "error_type": e.error_type,
            "error_message": e.message,
            "error_url": format!("https://stytch.com/docs/api-reference/b2b/api/errors/{}#{}", status.as_u16(), e.error_type),
        });
        // No `WWW-Authenticate: Basic` challenge (security review #19): a browser that was
        // once made to prompt would cache the credentials and attach them to forged requests.
        json_response(status, &body)
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

/// A JSON body parsed into `T`, an empty body read as `{}` (Stytch's bodiless POSTs). A body
/// must be sent as `application/json` (security review #19: a `text/plain` POST is what a
/// cross-site form can send without a preflight). Failures come out as Stytch errors.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = is_json_content_type(req.headers().get(header::CONTENT_TYPE));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| body_error(e.status()))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        if !json_type && !bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiFailure(ApiError::new(
                415,
                "unsupported_media_type",
                "The request body must be JSON, sent with Content-Type: application/json.",
            )));
        }
        if has_nul_escape(text) {
            return Err(nul_error());
        }
        serde_json::from_slice(text).map(ApiJson).map_err(|e| {
            let (kind, what) = match e.classify() {
                serde_json::error::Category::Data => {
                    ("invalid_field_type", "has a field of the wrong type")
                }
                _ => ("invalid_json", "is not valid JSON"),
            };
            ApiFailure(ApiError::bad_request(
                kind,
                format!("The request body {what}: {e}"),
            ))
        })
    }
}

/// Why a body could not be read: over `max_body_bytes` (413), else not received in time or cut
/// off (408; `request_body_timeout_secs`).
pub fn body_error(status: StatusCode) -> ApiFailure {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiFailure(ApiError::new(
            413,
            "request_too_large",
            "The request body is larger than this server accepts.",
        ));
    }
    ApiFailure(ApiError::new(
        408,
        "request_timeout",
        "The request body did not arrive completely in time.",
    ))
}

/// `application/json` or a `+json` type, parameters (`; charset=utf-8`) allowed.
fn is_json_content_type(v: Option<&HeaderValue>) -> bool {
    let Some(v) = v.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// True when JSON text holds an escaped NUL (`\u0000` not itself escaped). No identifier or
/// name may contain one, and PostgreSQL cannot store it in text.
pub(crate) fn has_nul_escape(text: &[u8]) -> bool {
    text.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && text[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// The error for a NUL character anywhere in a request.
pub fn nul_error() -> ApiFailure {
    ApiFailure(ApiError::bad_request(
        "invalid_character",
        "The request contains a NUL character, which no field accepts.",
    ))
}

/// Query parameters parsed into `T`, failures as Stytch errors.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        if q.contains("%00") {
            return Err(nul_error());
        }
        serde_urlencoded::from_str(q).map(ApiQuery).map_err(|e| {
            ApiFailure(ApiError::bad_request(
                "invalid_query_parameter",
                format!("The query string is not valid: {e}"),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    async fn body(object: &[u8]) -> serde_json::Value {
        let resp = super::REQUEST_ID
            .scope("request-id-test-1".into(), async {
                super::prebuilt_json(StatusCode::OK, object, &[])
            })
            .await;
        assert_eq!(resp.headers()["content-type"], "application/json");
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn prebuilt_bodies_get_the_envelope() {
        let v = body(br#"{"keys":[{"kid":"a"}]}"#).await;
        assert_eq!(
            v,
            serde_json::json!({"keys": [{"kid": "a"}], "request_id": "request-id-test-1", "status_code": 200})
        );
        let v = body(b"{}").await;
        assert_eq!(
            v,
            serde_json::json!({"request_id": "request-id-test-1", "status_code": 200})
        );
    }

    #[test]
    fn finds_only_real_nul_escapes() {
        assert!(super::has_nul_escape(br#"{"a":"x\u0000"}"#));
        assert!(!super::has_nul_escape(br#"{"a":"x\\u0000"}"#));
        assert!(super::has_nul_escape(br#"{"a":"x\\\u0000"}"#));
        assert!(!super::has_nul_escape(br#"{"a":"u0000"}"#));
    }
}
