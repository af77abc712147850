//! Token introspection (RFC 7662, Stytch §8.1) at `/v1/oauth2/introspect` and the legacy
//! path: for a client of the project, the claims of a live access or refresh token, else
//! `{"active": false}` with 200 (unknown, expired, revoked and foreign tokens alike).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::secret::SecretHash;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{oauth_ok, OAuthBody, OAuthFailure};
use super::tokens::{check_access, Inactive};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct IntrospectRequest {
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

/// The client authentication and `token` parameter shared by introspection and revocation.
pub async fn authenticated(
    state: &AppState,
    headers: &HeaderMap,
    path_project: Option<&str>,
    req: &IntrospectRequest,
) -> Result<(super::clients::AuthedClient, String), OAuthFailure> {
    let assertion = req
        .client_assertion
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| (req.client_assertion_type.as_deref().unwrap_or_default(), a));
    let client = super::clients::authenticate_any(
        state,
        headers,
        req.client_id.as_deref().filter(|c| !c.is_empty()),
        req.client_secret.as_deref(),
        assertion,
        path_project,
    )
    .await?;
    let token =
        req.token.clone().filter(|t| !t.is_empty()).ok_or_else(|| {
            latchkey_core::oauth::OAuthError::invalid_request("token is required.")
        })?;
    Ok((client, token))
}

pub async fn introspect(
    state: State<AppState>,
    headers: HeaderMap,
    body: OAuthBody<IntrospectRequest>,
) -> Result<Response, OAuthFailure> {
    handle(state, headers, None, body).await
}

pub async fn legacy_introspect(
    state: State<AppState>,
    headers: HeaderMap,
    Path(p): Path<String>,
    body: OAuthBody<IntrospectRequest>,
) -> Result<Response, OAuthFailure> {
    handle(state, headers, Some(p), body).await
}

async fn handle(
    State(state): State<AppState>,
    headers: HeaderMap,
    path_project: Option<String>,
    OAuthBody(req): OAuthBody<IntrospectRequest>,
) -> Result<Response, OAuthFailure> {
    let (client, token) = authenticated(&state, &headers, path_project.as_deref(), &req).await?;
    let token = token.as_str();
    let project = client.creds.project_id.as_str();
    let refresh_first = req.token_type_hint.as_deref() == Some("refresh_token");
    let looks_like_jwt = token.split('.').count() == 3;
    let answer = if looks_like_jwt && !refresh_first {
        access(&state, token, project).await?
    } else {
        match refresh(&state, token, project).await? {
            Some(v) => Some(v),
            None if looks_like_jwt => access(&state, token, project).await?,
            None => None,
        }
    };
    Ok(oauth_ok(answer.unwrap_or_else(|| json!({"active": false}))))
}

/// Every claim of a live access token, plus `active` and `token_type`.
async fn access(
    state: &AppState,
    token: &str,
    project: &str,
) -> Result<Option<Value>, OAuthFailure> {
    match check_access(state, token).await {
        Ok(live) if live.project_id == project => {
            let mut claims = live.claims;
            if let Value::Object(m) = &mut claims {
                m.remove("jti");
                m.insert("active".into(), true.into());
                // RFC 9449 §6.2: a DPoP-bound token introspects as `DPoP`, with its `cnf`.
                let kind = if m.contains_key("cnf") {
                    "DPoP"
                } else {
                    "access_token"
                };
                m.insert("token_type".into(), kind.into());
            }
            Ok(Some(claims))
        }
        Ok(_) | Err(Inactive::Invalid) | Err(Inactive::Revoked) => Ok(None),
        Err(Inactive::Store(e)) => Err(e.into()),
    }
}

async fn refresh(
    state: &AppState,
    token: &str,
    project: &str,
) -> Result<Option<Value>, OAuthFailure> {
    let now = state.clock.now().unix_timestamp();
    let Some(stored) = state
        .store
        .get_refresh(SecretHash::of(token).as_str())
        .await?
    else {
        return Ok(None);
    };
    let g = &stored.record.grant;
    if stored.revoked
        || stored.record.rotated_at.is_some()
        || stored.record.expires_at <= now
        || g.project_id != project
    {
        return Ok(None);
    }
    let slug = state
        .store
        .get_organization(project, &g.organization_id)
        .await?
        .map(|o| o.organization_slug)
        .unwrap_or_default();
    Ok(Some(json!({
        "active": true,
        "token_type": "refresh_token",
        "client_id": g.client_id,
        "scope": g.scope_string(),
        "sub": g.member_id,
        "aud": [g.project_id],
        "exp": stored.record.expires_at,
        "https://stytch.com/organization": {"organization_id": g.organization_id, "slug": slug},
    })))
}
