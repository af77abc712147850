//! The frontend SDK's form-post transport (`baseSubmitFormSDK` / `NetworkClient.submitFormSDK`
//! of `@stytch/vanilla-js` 6.x): instead of `fetch`, the SDK appends a hidden form to the page
//! and submits it, so the browser *navigates* to `/sdk/v1/...`. The credentials travel as form
//! fields (`__Authorization`, `__X-SDK-Client`, `__X-SDK-Parent-Host`), every other value as a
//! string (`input.value`: arrays comma-joined, booleans `"true"`/`"false"`). The SDK uses it
//! where the answer is a redirect, not data: the OAuth authorization (its form target is
//! `POST /sdk/v1/b2b/oauth/authorize`), which ends at the client's `redirect_uri` with a code
//! (or `error=access_denied`).
//!
//! A form post is a "simple" cross-site request (no CORS preflight), so it must not become a
//! CSRF hole:
//! - the member is only ever the session token of the `__Authorization` field, never a cookie,
//!   so a foreign page cannot ride the browser's session;
//! - the browser-set `Origin` is required (absent or `null` is refused) and must be an
//!   authorized origin of the public token's project, and so must `__X-SDK-Parent-Host`: a
//!   foreign page cannot log the browser into an attacker's account at the client (login CSRF);
//! - only the routes in [`FORM_PATHS`] take a form; any other `/sdk/v1` route refuses one;
//! - the answer is a `303` to the client's registered `redirect_uri` or an error page, never
//!   CORS headers or JSON data.
//!
//! The form is rewritten into the request the fetch transport would have sent (headers and a
//! JSON body), so the handlers and every decision behind them are the same.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use latchkey_core::{sdk_origin, ApiError};
use serde_json::{Map, Value};

use super::paths::{IDP_AUTHORIZE_SUBMIT, OAUTH_AUTHORIZE};
use super::transport::{authenticate, header_str, PARENT_HOST};
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::ui::page::{error_page, see_other};

/// The routes a form may be posted to: the authorization, whose answer is a redirect.
pub const FORM_PATHS: [&str; 2] = [OAUTH_AUTHORIZE, IDP_AUTHORIZE_SUBMIT];

/// Whether a request is a form post (`form.submit()` sends `application/x-www-form-urlencoded`).
pub fn is_form(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str()).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// A form as the fetch transport would have sent it.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub authorization: Option<String>,
    pub parent_host: Option<String>,
    pub body: Value,
}

fn bad(field: &str, why: &str) -> ApiError {
    ApiError::invalid_field(field, why)
}

/// Decodes the SDK's form: the `__` fields are the headers, `consent_granted` a boolean,
/// `scopes` / `resources` the SDK's comma-joined arrays, `scope` (space-delimited, RFC 6749
/// §3.3) and repeated `resource` (RFC 8707) as in an OAuth authorization request.
pub fn decode(body: &[u8]) -> Result<Decoded, ApiError> {
    let mut out = Decoded {
        authorization: None,
        parent_host: None,
        body: Value::Null,
    };
    let mut fields = Map::new();
    let mut scopes: Vec<Value> = Vec::new();
    let mut resources: Vec<Value> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        let (k, v) = (k.into_owned(), v.into_owned());
        match k.as_str() {
            "__Authorization" => out.authorization = Some(v),
            "__X-SDK-Parent-Host" => out.parent_host = Some(v),
            // Telemetry: accepted, never read or logged.
            "__X-SDK-Client" => {}
            "scopes" => scopes.extend(split(&v, ',')),
            "scope" => scopes.extend(split(&v, ' ')),
            "resources" => resources.extend(split(&v, ',')),
            "resource" => resources.push(Value::String(v)),
            "consent_granted" => {
                let b = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("consent_granted", "must be true or false")),
                };
                fields.insert(k, Value::Bool(b));
            }
            _ if fields.contains_key(&k) => return Err(bad(&k, "is given more than once")),
            _ => {
                fields.insert(k, Value::String(v));
            }
        }
    }
    if !scopes.is_empty() {
        fields.insert("scopes".into(), Value::Array(scopes));
    }
    if !resources.is_empty() {
        fields.insert("resources".into(), Value::Array(resources));
    }
    out.body = Value::Object(fields);
    Ok(out)
}

fn split(v: &str, sep: char) -> impl Iterator<Item = Value> + '_ {
    v.split(sep)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
}

/// Serves a form post; see the module header.
pub async fn serve(state: &AppState, req: Request, next: Next) -> Response {
    match rewrite(state, req).await {
        Ok(req) => navigation(state, next.run(req).await).await,
        Err(ApiFailure(e)) => page(state, &e),
    }
}

/// The form rewritten as the fetch transport's request, once its origin and project are checked.
async fn rewrite(state: &AppState, req: Request) -> Result<Request, ApiFailure> {
    let path = req.uri().path().to_owned();
    if !FORM_PATHS.contains(&path.as_str()) {
        return Err(ApiError::new(
            415,
            "invalid_content_type",
            "This SDK endpoint takes JSON; only the OAuth authorization accepts a form post.",
        )
        .into());
    }
    let origin = header_str(req.headers(), header::ORIGIN.as_str())
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .ok_or_else(|| sdk_origin::refused("null"))?;
    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| ApiError::bad_request("bad_request", "The form body could not be read."))?;
    let form = decode(&bytes)?;
    let h = &mut parts.headers;
    h.remove(header::AUTHORIZATION);
    h.remove(PARENT_HOST);
    h.remove(header::CONTENT_LENGTH);
    let value = |field: &str, v: &str| {
        HeaderValue::from_str(v).map_err(|_| bad(field, "is not a header value"))
    };
    if let Some(a) = &form.authorization {
        h.insert(header::AUTHORIZATION, value("__Authorization", a)?);
    }
    if let Some(p) = &form.parent_host {
        h.insert(PARENT_HOST, value("__X-SDK-Parent-Host", p)?);
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let caller = authenticate(state, &parts.headers, &path, Some(&origin)).await?;
    parts.extensions.insert(caller);
    Ok(Request::from_parts(
        parts,
        Body::from(form.body.to_string()),
    ))
}

/// A handler's `{"data": {"redirect_uri": ...}}` as the navigation's `303`; an error as a page.
async fn navigation(state: &AppState, resp: Response) -> Response {
    let status = resp.status();
    let json: Value = match to_bytes(resp.into_body(), usize::MAX).await {
        Ok(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    if status.is_success() {
        if let Some(u) = json["data"]["redirect_uri"].as_str() {
            return see_other(u);
        }
        return page(state, &ApiError::internal());
    }
    let e = ApiError {
        status: status.as_u16(),
        error_type: json["error_type"]
            .as_str()
            .unwrap_or("internal_server_error")
            .to_string()
            .into(),
        message: json["error_message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    page(state, &e)
}

fn page(state: &AppState, e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        return error_page(
            state,
            status,
            "Something went wrong",
            "We could not finish this step. Please try again in a moment.",
            None,
        );
    }
    error_page(
        state,
        status,
        "We could not continue",
        &e.message,
        Some(&e.error_type),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_sdk_form_as_its_json() {
        let d = decode(b"__Authorization=Basic+eHg6eXk%3D&__X-SDK-Client=e30%3D&__X-SDK-Parent-Host=http%3A%2F%2F127.0.0.1%3A3000&client_id=c&scopes=openid%2Cemail&consent_granted=true&state=s").unwrap();
        assert_eq!(d.authorization.as_deref(), Some("Basic eHg6eXk="));
        assert_eq!(d.parent_host.as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(
            d.body,
            json!({"client_id": "c", "scopes": ["openid", "email"], "consent_granted": true, "state": "s"})
        );
        let d = decode(b"scope=openid+profile&resource=https%3A%2F%2Fa.example%2F&resource=https%3A%2F%2Fb.example%2F").unwrap();
        assert_eq!(
            d.body,
            json!({"scopes": ["openid", "profile"], "resources": ["https://a.example/", "https://b.example/"]})
        );
        assert_eq!(d.authorization, None);
    }

    #[test]
    fn refuses_ambiguous_forms() {
        assert!(decode(b"consent_granted=yes").is_err());
        assert!(decode(b"client_id=a&client_id=b").is_err());
    }

    #[test]
    fn form_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_form(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        assert!(is_form(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!is_form(&h));
    }
}
