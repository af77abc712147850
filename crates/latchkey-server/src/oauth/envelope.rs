//! The OAuth error envelope (RFC 6749 §5.2, RFC 6750 §3) with Stytch's extra `request_id` and
//! `status_code` members, and the body extractor of the token, introspection and revocation
//! endpoints, which take form or JSON bodies (Stytch §6.1).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::oauth::{OAuthError, OAuthErrorCode};
use serde::de::DeserializeOwned;

use crate::envelope::request_id;

/// An OAuth error response. `bearer` marks a protected-resource error (userinfo), answered with
/// `WWW-Authenticate: Bearer` instead of `Basic`.
#[derive(Debug)]
pub struct OAuthFailure {
    pub error: OAuthError,
    pub bearer: bool,
}

impl From<OAuthError> for OAuthFailure {
    fn from(error: OAuthError) -> Self {
        OAuthFailure {
            error,
            bearer: false,
        }
    }
}

impl From<latchkey_store::StoreError> for OAuthFailure {
    fn from(e: latchkey_store::StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        OAuthError::new(
            OAuthErrorCode::ServerError,
            "The server could not complete the request.",
        )
        .into()
    }
}

impl OAuthFailure {
    /// 401 `invalid_token` for a protected resource (RFC 6750 §3.1).
    pub fn invalid_token(description: &str) -> Self {
        OAuthFailure {
            error: OAuthError::new(OAuthErrorCode::InvalidToken, description),
            bearer: true,
        }
    }

    pub fn server_error() -> Self {
        OAuthError::new(
            OAuthErrorCode::ServerError,
            "The server could not complete the request.",
        )
        .into()
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        self.into_response_with_status(status)
    }
}

impl OAuthFailure {
    /// The error body with an HTTP status its code does not imply (405, 404, 413 for requests
    /// the framework refused before any handler ran; see [`crate::family`]).
    pub fn into_response_with_status(self, status: StatusCode) -> Response {
        let body = serde_json::json!({
            "error": self.error.code.as_str(),
            "error_description": self.error.description,
            "status_code": status.as_u16(),
            "request_id": request_id(),
        });
        let mut resp = (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            serde_json::to_vec(&body).unwrap_or_default(),
        )
            .into_response();
        if self.error.code.needs_www_authenticate() {
            let value = if self.bearer {
                format!("Bearer error=\"{}\"", self.error.code.as_str())
            } else {
                "Basic realm=\"latchkey\"".to_string()
            };
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

/// A form (`application/x-www-form-urlencoded`) or JSON body, by content type.
pub struct OAuthBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OAuthBody<T> {
    type Rejection = OAuthFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let failure = crate::envelope::body_error(e.status());
            OAuthFailure::from(OAuthError::invalid_request(failure.0.message))
        })?;
        if bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))
            || bytes.contains(&0)
            || crate::envelope::has_nul_escape(&bytes)
        {
            return Err(
                OAuthError::invalid_request("The request contains a NUL character.").into(),
            );
        }
        let parsed = if is_json {
            let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &bytes
            };
            serde_json::from_slice(text).map_err(|e| {
                OAuthError::invalid_request(format!("The JSON body is not valid: {e}"))
            })
        } else {
            serde_urlencoded::from_bytes(&bytes).map_err(|e| {
                OAuthError::invalid_request(format!("The form body is not valid: {e}"))
            })
        };
        Ok(OAuthBody(parsed?))
    }
}

/// A success body: the fields plus Stytch's `request_id` and `status_code`, never cached
/// (RFC 6749 §5.1).
pub fn oauth_ok(body: serde_json::Value) -> Response {
    let mut body = body;
    if let serde_json::Value::Object(m) = &mut body {
        m.insert("request_id".into(), request_id().into());
        m.insert("status_code".into(), 200.into());
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        serde_json::to_vec(&body).unwrap_or_default(),
    )
        .into_response()
}
