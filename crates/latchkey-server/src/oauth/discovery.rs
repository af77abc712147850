//! Discovery: OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`) and RFC 8414
//! (`/.well-known/oauth-authorization-server`), plus Stytch's per-project legacy path
//! `/v1/public/{project_id}/.well-known/openid-configuration` (Stytch §10). Served without
//! authentication and with permissive CORS (browser-based MCP clients read them).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::scope::BuiltinScope;
use latchkey_core::oauth::{id_jag, token_exchange};
use serde_json::{json, Value};

use super::envelope::OAuthFailure;
use super::paths;
use crate::cache::Document;
use crate::state::AppState;

pub async fn openid_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OAuthFailure> {
    let project_id = default_project(&state).await?;
    let doc = document(&state, &headers, &project_id, false).await?;
    Ok(served(&doc))
}

pub async fn oauth_authorization_server(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OAuthFailure> {
    let project_id = default_project(&state).await?;
    let doc = document(&state, &headers, &project_id, true).await?;
    Ok(served(&doc))
}

pub async fn project_openid_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
) -> Result<Response, OAuthFailure> {
    if state.project_secrets(&project_id).await?.is_empty() {
        return Err(latchkey_core::oauth::OAuthError::invalid_request("Unknown project.").into());
    }
    let doc = document(&state, &headers, &project_id, false).await?;
    Ok(served(&doc))
}

async fn default_project(state: &AppState) -> Result<String, OAuthFailure> {
    crate::state::default_project(state)
        .await
        .map_err(|f| latchkey_core::oauth::OAuthError::invalid_request(f.0.message).into())
}

/// The document, built and serialized once per `cache_ttl_seconds` (`cache.rs`): discovery
/// is read by every client and never needs the database on the way.
pub(crate) async fn document(
    state: &AppState,
    headers: &HeaderMap,
    project_id: &str,
    rfc8414: bool,
) -> Result<Arc<Document>, OAuthFailure> {
    let iss = crate::issuer::issuer(state, headers)?;
    let key = (project_id.to_string(), iss.clone(), rfc8414);
    let build = async {
        build(state, project_id, iss, rfc8414)
            .await
            .map(|doc| Document::new(&doc))
    };
    state.cache.document(key, build).await
}

/// The cached bytes with this request's `request_id` and `status_code`, as
/// [`super::envelope::oauth_ok`] sends them.
pub(crate) fn served(doc: &Document) -> Response {
    let no_store = (header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    crate::envelope::prebuilt_json(StatusCode::OK, &doc.json, &[no_store])
}

async fn build(
    state: &AppState,
    project_id: &str,
    iss: String,
    rfc8414: bool,
) -> Result<Value, OAuthFailure> {
    let mut scopes: Vec<String> = BuiltinScope::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    if let Ok(policy) = state.effective_policy(project_id).await {
        for s in policy.scopes_supported() {
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
    }
    // latchkey's own page honours every OIDC prompt value; a customer's page is held only to
    // what Stytch's Start / Submit accept.
    let (authorization_endpoint, prompts) = match &state.config.authorization_url {
        Some(url) => (url.clone(), json!(["consent"])),
        None => (
            format!("{iss}{}", paths::AUTHORIZE_PAGE),
            json!(["none", "login", "consent", "select_account"]),
        ),
    };
    let jwks_uri = format!("{iss}{}", jwks_path(state, project_id).await);
    let mut doc = json!({
        "issuer": iss,
        "authorization_endpoint": authorization_endpoint,
        "token_endpoint": format!("{iss}{}", paths::TOKEN),
        "userinfo_endpoint": format!("{iss}{}", paths::USERINFO),
        "jwks_uri": jwks_uri,
        "introspection_endpoint": format!("{iss}{}", paths::INTROSPECT),
        "revocation_endpoint": format!("{iss}{}", paths::REVOKE),
        // RFC 8628 §4.
        "device_authorization_endpoint": format!("{iss}{}", paths::DEVICE_AUTHORIZATION),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        // Every grant the token endpoint answers (issue 14 item 8); which client may use which
        // is a per-client setting.
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  id_jag::GRANT_TYPE, token_exchange::GRANT_TYPE,
                                  latchkey_core::oauth::device::GRANT_TYPE],
        // draft-ietf-oauth-identity-assertion-authz-grant §6.1: ID-JAGs are redeemed here.
        "authorization_grant_profiles_supported": [id_jag::PROFILE],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        // RFC 9449 §5.1.
        "dpop_signing_alg_values_supported": latchkey_core::oauth::dpop::ALGORITHMS,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "at_hash", "email", "email_verified",
                             "name", "given_name", "family_name", "phone_number", "phone_number_verified"],
        "prompt_values_supported": prompts,
        // OpenID Connect RP-Initiated Logout 1.0 §2.1.
        "end_session_endpoint": format!("{iss}{}", crate::ui::paths::LOGOUT),
    });
    super::well_known::extend(state, project_id, &iss, &mut doc).await;
    if rfc8414 {
        // RFC 8414 §2 has no subject types; OIDC clients reading this document ignore it anyway.
        if let Value::Object(m) = &mut doc {
            m.remove("subject_types_supported");
        }
    }
    Ok(doc)
}

/// Where this project's keys are published: `/.well-known/jwks.json` only when the project is
/// the one served there (configured, or the only one), else Stytch's per-project
/// `/v1/b2b/sessions/jwks/{project_id}` (security review #20: the well-known path answered 404
/// for every project but the default).
async fn jwks_path(state: &AppState, project_id: &str) -> String {
    match crate::state::default_project(state).await {
        Ok(default) if default == project_id => crate::api::paths::WELL_KNOWN_JWKS.to_string(),
        _ => crate::api::paths::SESSIONS_JWKS.replace("{project_id}", project_id),
    }
}
