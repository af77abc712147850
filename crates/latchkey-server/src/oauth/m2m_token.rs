//! The `client_credentials` grant (RFC 6749 §4.4) for Stytch M2M clients (issue 14;
//! https://stytch.com/docs/b2b/api/m2m-token), at both token endpoint paths: the client
//! authenticates with its secret (body or HTTP Basic; during a rotation the next secret works
//! too) and gets a one-hour RS256 access JWT signed with the project's key, which the SDKs'
//! `m2m.authenticateToken` verifies against the project JWKS. The token is stateless, as
//! Stytch's: deactivating a client stops new tokens, not issued ones.

use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::m2m;
use latchkey_core::oauth::token_request::BodyCredentials;
use latchkey_core::oauth::{OAuthError, OAuthErrorCode};

use super::envelope::OAuthFailure;
use super::tokens::{issuer, jti, sign_stateless};
use crate::state::AppState;

/// Answers the grant when the caller is an M2M client; `None` when the client id is not one
/// (the caller then tries Connected Apps).
pub async fn try_grant(
    state: &AppState,
    headers: &HeaderMap,
    path_project: Option<&str>,
    creds: &BodyCredentials,
    scope: Option<&str>,
    jkt: Option<&str>,
) -> Result<Option<Response>, OAuthFailure> {
    if creds.client_assertion.is_some() {
        return Ok(None);
    }
    let (client_id, secret) = super::clients::presented(
        headers,
        creds.client_id.as_deref(),
        creds.client_secret.as_deref(),
    )?;
    let Some(found) = state.store.m2m_client_credentials(&client_id).await? else {
        return Ok(None);
    };
    if path_project.is_some_and(|p| p != found.project_id) {
        return Err(OAuthError::new(OAuthErrorCode::InvalidClient, "Unknown client.").into());
    }
    m2m::authenticate(&found, secret.as_deref())?;
    let scopes = m2m::token_scopes(&found.client, scope)?;
    let iss = issuer(state, headers)?;
    let (now, jti) = (state.clock.now().unix_timestamp(), jti(state));
    let facts = m2m::TokenFacts {
        issuer: &iss,
        project_id: &found.project_id,
        jti: &jti,
        now,
    };
    let claims = m2m::access_token_claims(&found.client, &scopes, &facts);
    let expires = m2m::TOKEN_LIFETIME_SECS;
    let resp = sign_stateless(state, &found.project_id, &claims, &scopes, expires, jkt).await?;
    crate::metrics::m2m_token_issued();
    Ok(Some(resp))
}
