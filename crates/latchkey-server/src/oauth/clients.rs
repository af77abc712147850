//! Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
//! Stytch §6.1): HTTP Basic (`client_secret_basic`), body parameters (`client_secret_post`),
//! or, for public clients, `client_id` alone (`none`). During secret rotation both secrets work.

use axum::http::{header, HeaderMap};
use base64::Engine;
use latchkey_core::connected_app::{authenticate_client, ClientCredentials};
use latchkey_core::oauth::{ClientType, OAuthError, OAuthErrorCode};
use latchkey_types::ConnectedApp;

use super::envelope::OAuthFailure;
use crate::state::AppState;

/// An authenticated client.
pub struct AuthedClient {
    pub creds: ClientCredentials,
    pub app: ConnectedApp,
}

impl AuthedClient {
    pub fn client_type(&self) -> ClientType {
        self.creds.client_type
    }
}

fn invalid_client(why: &str) -> OAuthFailure {
    OAuthError::new(OAuthErrorCode::InvalidClient, why).into()
}

/// Authenticates the caller as a client: HTTP Basic or body credentials, or a `private_key_jwt`
/// client assertion (`(client_assertion_type, client_assertion)`, RFC 7523 §2.2).
/// `path_project` is the `{project_id}` of the legacy path family, which the client must belong
/// to.
pub async fn authenticate_any(
    state: &AppState,
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
    assertion: Option<(&str, &str)>,
    path_project: Option<&str>,
) -> Result<AuthedClient, OAuthFailure> {
    if let Some((kind, jwt)) = assertion {
        if kind != super::client_assertion::JWT_BEARER_ASSERTION {
            return Err(invalid_client(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        if body_secret.is_some() || headers.contains_key(header::AUTHORIZATION) {
            // RFC 6749 §2.3: one authentication method per request.
            return Err(invalid_client(
                "Send either a client_assertion or a client secret, not both.",
            ));
        }
        return super::client_assertion::authenticate(state, headers, body_id, jwt, path_project)
            .await;
    }
    let (client_id, secret) = presented(headers, body_id, body_secret)?;
    let (creds, app) = super::cimd::find(state, &client_id, path_project)
        .await
        .map_err(super::cimd::CimdError::oauth)?
        .ok_or_else(|| invalid_client("Unknown client."))?;
    if path_project.is_some_and(|p| p != creds.project_id) {
        return Err(invalid_client("Unknown client."));
    }
    authenticate_client(&creds, secret.as_deref()).map_err(|e| invalid_client(&e.to_string()))?;
    Ok(AuthedClient { creds, app })
}

/// The client id and secret the caller presented: HTTP Basic (`client_secret_basic`) or body
/// (`client_secret_post`), never both (RFC 6749 §2.3). Project Basic credentials beside a body
/// `client_id` are ignored (see [`is_project_credential`]).
pub fn presented(
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<(String, Option<String>), OAuthFailure> {
    let basic = basic(headers)?.filter(|(id, _)| !is_project_credential(id, body_id));
    let out = match (basic, body_id) {
        (Some((id, _)), Some(body)) if id != body => {
            return Err(invalid_client(
                "client_id in the body and in the Authorization header differ.",
            ))
        }
        (Some((id, secret)), _) => {
            if body_secret.is_some() {
                // RFC 6749 §2.3: one authentication method per request.
                return Err(invalid_client(
                    "Send the client secret either by HTTP Basic or in the body, not both.",
                ));
            }
            (id, Some(secret))
        }
        (None, Some(id)) => (id.to_string(), body_secret.map(str::to_string)),
        (None, None) => {
            return Err(invalid_client(
                "Client authentication is required: send client_id.",
            ))
        }
    };
    Ok(out)
}

/// The official Python SDK (`stytch` 15.x, `idp.introspect_token_network`) sends the project's
/// own Basic credentials on every call, the client's in the form body. Project credentials
/// authenticate no client, so with a `client_id` in the body they are ignored.
fn is_project_credential(basic_id: &str, body_id: Option<&str>) -> bool {
    body_id.is_some() && basic_id.starts_with("project-")
}

/// `Authorization: Basic` credentials, form-urlencoded inside (RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthFailure> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| invalid_client("Malformed Authorization header."))?;
    let Some((scheme, b64)) = v.split_once(' ') else {
        return Err(invalid_client("Malformed Authorization header."));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid_client("Use HTTP Basic client authentication."));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid_client("Malformed Basic credentials."))?;
    let (id, secret) = raw
        .split_once(':')
        .ok_or_else(|| invalid_client("Malformed Basic credentials."))?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (decode(id), decode(secret));
    if id.is_empty() {
        return Err(invalid_client("Malformed Basic credentials."));
    }
    Ok(Some((id, secret)))
}
