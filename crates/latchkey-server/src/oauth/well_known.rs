//! Discovery additions for MCP clients (branch mcp, issue 10; MCP authorization "Authorization
//! Server Metadata Discovery"): the RFC 7591 `registration_endpoint` when the project allows
//! self-registration, the RFC 8414 document on the legacy per-project path as well, and the
//! path-insertion well-known URLs (RFC 8414 §3.1, OIDC Discovery §4.1 as MCP clients try them)
//! when the configured issuer has a path.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::oauth::OAuthError;
use serde_json::Value;

use super::envelope::OAuthFailure;
use crate::state::AppState;

/// Members that depend on the project's registration settings.
pub async fn extend(state: &AppState, project_id: &str, iss: &str, doc: &mut Value) {
    advertise_private_key_jwt(doc);
    // draft-ietf-oauth-client-id-metadata-document-02 "Authorization Server Metadata".
    // One read of the settings for both members (unreadable: both off, fail closed).
    let settings = super::registration_settings::cached(state, project_id)
        .await
        .ok();
    let cimd = settings
        .as_ref()
        .is_some_and(|s| s.client_id_metadata_document_enabled);
    if let Value::Object(m) = doc {
        m.insert("client_id_metadata_document_supported".into(), cimd.into());
    }
    if !settings.is_some_and(|s| s.idp_dynamic_client_registration_enabled) {
        return;
    }
    // The project-less path serves the default project only (as `jwks_uri` does).
    let served_here = state.config.default_project_id.is_none()
        || state.config.default_project_id.as_deref() == Some(project_id);
    let endpoint = if served_here {
        format!("{iss}{}", super::register::REGISTER)
    } else {
        format!("{iss}/v1/public/{project_id}/oauth2/register")
    };
    if let Value::Object(m) = doc {
        m.insert("registration_endpoint".into(), endpoint.into());
    }
}

/// The issuer's path, when the configured issuer has one (`https://idp.example/tenant`).
fn issuer_path(state: &AppState) -> Option<String> {
    let iss = state.config.issuer.as_deref()?;
    let url = url::Url::parse(iss).ok()?;
    let path = url.path().trim_end_matches('/');
    (!path.is_empty()).then(|| path.trim_start_matches('/').to_string())
}

fn not_found() -> OAuthFailure {
    OAuthError::invalid_request("No authorization server is configured at this path.").into()
}

/// `GET /.well-known/oauth-authorization-server/{issuer path}` (RFC 8414 §3.1).
pub async fn inserted_oauth_authorization_server(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(rest): Path<String>,
) -> Result<Response, OAuthFailure> {
    if issuer_path(&state).as_deref() != Some(rest.trim_end_matches('/')) {
        return Err(not_found());
    }
    super::discovery::oauth_authorization_server(State(state), headers).await
}

/// `GET /.well-known/openid-configuration/{issuer path}` (the form MCP clients also try).
pub async fn inserted_openid_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(rest): Path<String>,
) -> Result<Response, OAuthFailure> {
    if issuer_path(&state).as_deref() != Some(rest.trim_end_matches('/')) {
        return Err(not_found());
    }
    super::discovery::openid_configuration(State(state), headers).await
}

/// `GET /v1/public/{project_id}/.well-known/oauth-authorization-server`.
pub async fn project_oauth_authorization_server(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
) -> Result<Response, OAuthFailure> {
    if state.project_secrets(&project_id).await?.is_empty() {
        return Err(OAuthError::invalid_request("Unknown project.").into());
    }
    let doc = super::discovery::document(&state, &headers, &project_id, true).await?;
    Ok(super::discovery::served(&doc))
}

/// RFC 8414 §2: `private_key_jwt` (RFC 7523) at the token, introspection and revocation
/// endpoints, with the signature algorithms accepted.
fn advertise_private_key_jwt(doc: &mut Value) {
    let Value::Object(m) = doc else { return };
    for endpoint in ["token", "introspection", "revocation"] {
        if let Some(Value::Array(methods)) =
            m.get_mut(&format!("{endpoint}_endpoint_auth_methods_supported"))
        {
            methods.push("private_key_jwt".into());
        }
        m.insert(
            format!("{endpoint}_endpoint_auth_signing_alg_values_supported"),
            super::client_assertion::ALGORITHMS.to_vec().into(),
        );
    }
}
