//! CORS for the endpoints browser-based OAuth and MCP clients call cross-origin (MCP
//! authorization, "CORS"; security review #21): discovery, JWKS, registration, token,
//! revocation, introspection and userinfo, on both path families. Preflights (`OPTIONS`) are
//! answered here, before routing could answer 405; responses get `Access-Control-Allow-Origin:
//! *`. Never with credentials (no `Access-Control-Allow-Credentials`: these endpoints take
//! client credentials or bearer tokens in headers, not cookies), and never on management
//! endpoints or pages, which are not in the list.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Request headers allowed when the preflight names none we can echo.
const ALLOWED_HEADERS: &str = "authorization, content-type, accept, mcp-protocol-version";

/// Whether `path` is one of the public OAuth endpoints.
pub fn is_public(path: &str) -> bool {
    const FIXED: &[&str] = &[
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/v1/oauth2/token",
        "/v1/oauth2/userinfo",
        "/v1/oauth2/introspect",
        "/v1/oauth2/revoke",
        "/v1/oauth2/register",
    ];
    if FIXED.contains(&path)
        || path.starts_with("/.well-known/openid-configuration/")
        || path.starts_with("/.well-known/oauth-authorization-server/")
        || path.starts_with("/v1/oauth2/register/")
    {
        return true;
    }
    if let Some(rest) = path.strip_prefix("/v1/b2b/sessions/jwks/") {
        return !rest.is_empty() && !rest.contains('/');
    }
    let Some(rest) = path.strip_prefix("/v1/public/") else {
        return false;
    };
    let Some((project, tail)) = rest.split_once('/') else {
        return false;
    };
    !project.is_empty()
        && (matches!(
            tail,
            "oauth2/token"
                | "oauth2/userinfo"
                | "oauth2/introspect"
                | "oauth2/revoke"
                | "oauth2/register"
                | ".well-known/openid-configuration"
                | ".well-known/oauth-authorization-server"
        ) || tail
            .strip_prefix("oauth2/register/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/')))
}

/// The middleware: see the module documentation.
pub async fn public_cors(req: Request, next: Next) -> Response {
    if !is_public(req.uri().path()) {
        return next.run(req).await;
    }
    if req.method() == Method::OPTIONS {
        return preflight(req.headers());
    }
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .entry(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .or_insert(HeaderValue::from_static("*"));
    resp
}

fn preflight(headers: &HeaderMap) -> Response {
    // Echo the requested headers when they are a plain list of header names (no credentials
    // are involved, so any header may be allowed); otherwise allow the usual ones.
    let requested = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            v.len() <= 1024
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_, ".contains(&b))
        })
        .and_then(|v| HeaderValue::from_str(v).ok())
        .unwrap_or(HeaderValue::from_static(ALLOWED_HEADERS));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, requested),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            ),
            (
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn public_endpoints_only() {
        for p in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server/tenant",
            "/v1/oauth2/token",
            "/v1/oauth2/register/connected-app-test-1",
            "/v1/public/project-test-1/oauth2/revoke",
            "/v1/public/project-test-1/.well-known/openid-configuration",
            "/v1/b2b/sessions/jwks/project-test-1",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/v1/b2b/organizations",
            "/v1/connected_apps/clients",
            "/v1/connected_apps/registration_settings",
            "/oauth2/authorize",
            "/v1/b2b/idp/oauth/authorize",
            "/v1/public/project-test-1/oauth2/register/a/b",
            "/v1/b2b/sessions/jwks/a/b",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }
}
