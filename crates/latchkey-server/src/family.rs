//! Route families and their error envelopes (issue 9 item 10): every answer, including the
//! framework's own rejections (unknown route, wrong method, a path segment that is not UTF-8, a
//! query the extractor cannot parse), comes out in the envelope of the family the path belongs
//! to: RFC 6749 JSON for the OAuth endpoints and discovery, an HTML error page for the hosted
//! pages, Stytch's error JSON for everything else.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_core::oauth::{OAuthError, OAuthErrorCode};
use latchkey_core::ApiError;

use crate::envelope::ApiFailure;
use crate::oauth::envelope::OAuthFailure;
use crate::state::AppState;

/// Which envelope a path's errors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Stytch's management API (and anything unknown): `{status_code, request_id, error_type, …}`.
    Api,
    /// `/v1/oauth2/*`, `/v1/public/{project_id}/oauth2/*`, discovery: RFC 6749 §5.2 JSON.
    OAuth,
    /// The hosted pages under `/oauth2/`: an HTML page.
    Page,
    /// `/healthz`, `/readyz`, `/metrics` ([`crate::health`]): a small JSON document.
    Ops,
}

impl Family {
    /// The family of a request path (raw, still percent-encoded).
    pub fn of(path: &str) -> Family {
        if crate::health::is_probe_path(path) {
            return Family::Ops;
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        match segments.as_slice() {
            ["oauth2", ..] => Family::Page,
            ["v1", "oauth2", ..] => Family::OAuth,
            ["v1", "public", _, "oauth2" | ".well-known", ..] => Family::OAuth,
            [".well-known", rest] if *rest != "jwks.json" => Family::OAuth,
            _ => Family::Api,
        }
    }

    /// An error in this family's envelope with the given status.
    pub fn error(self, state: &AppState, status: StatusCode, message: &str) -> Response {
        match self {
            Family::Api => ApiFailure(ApiError::new(
                status.as_u16(),
                stytch_error_type(status),
                message,
            ))
            .into_response(),
            Family::OAuth => {
                let code = if status.is_server_error() {
                    OAuthErrorCode::ServerError
                } else {
                    OAuthErrorCode::InvalidRequest
                };
                OAuthFailure::from(OAuthError::new(code, message)).into_response_with_status(status)
            }
            Family::Page => {
                let (heading, text) = page_text(status);
                let page = crate::ui::page::error_page(state, status, heading, text, Some(message));
                with_page_headers(page)
            }
            Family::Ops => crate::health::error(status, message),
        }
    }
}

fn stytch_error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "route_not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "request_too_large",
        s if s >= 500 => "internal_server_error",
        _ => "bad_request",
    }
}

fn page_text(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        404 => ("Page not found", "There is no page at this address."),
        405 => (
            "This page cannot be used this way",
            "The browser sent a kind of request this page does not accept. Go back and try again.",
        ),
        s if s >= 500 => (
            "Something went wrong",
            "We could not finish this step. Please try again in a moment.",
        ),
        _ => (
            "This request is not valid",
            "The address or the form sent to this page could not be read. Go back to the app and \
             start again.",
        ),
    }
}

/// The hosted pages' security headers, for pages rendered outside the pages' router.
fn with_page_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Largest rejection body read back as the message (axum's are one line).
const MAX_REJECTION_BYTES: usize = 2048;

/// Re-renders an error response that none of our envelopes produced (axum's `text/plain`
/// extractor rejections, empty-bodied 405s) in the family's envelope, keeping its status and
/// its `Allow` header. Responses already in JSON or HTML pass untouched.
pub async fn envelope_rejections(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let family = Family::of(req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_ours(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_REJECTION_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let message = match text.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("The request was refused."),
        t => t,
    };
    let mut out = family.error(&state, status, message);
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

fn is_ours(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::Family;

    #[test]
    fn paths_map_to_families() {
        for (path, family) in [
            ("/v1/oauth2/token", Family::OAuth),
            ("/v1/oauth2/userinfo", Family::OAuth),
            ("/v1/public/project-test-x/oauth2/introspect", Family::OAuth),
            (
                "/v1/public/project-test-x/.well-known/openid-configuration",
                Family::OAuth,
            ),
            ("/.well-known/openid-configuration", Family::OAuth),
            ("/.well-known/oauth-authorization-server", Family::OAuth),
            ("/.well-known/jwks.json", Family::Api),
            ("/oauth2/authorize", Family::Page),
            ("/oauth2/authorize/consent", Family::Page),
            ("/v1/b2b/organizations/%ff%fe", Family::Api),
            ("/v1/b2b/sessions/jwks/%ff%fe", Family::Api),
            ("/", Family::Api),
            ("/healthz", Family::Ops),
            ("/readyz", Family::Ops),
            ("/metrics", Family::Ops),
            ("/healthz/x", Family::Api),
        ] {
            assert_eq!(Family::of(path), family, "{path}");
        }
    }
}
