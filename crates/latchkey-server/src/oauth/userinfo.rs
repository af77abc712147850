//! UserInfo (OIDC Core §5.3, Stytch §7): `GET`/`POST` with a bearer access token; the claims
//! the token's scopes allow. An invalid, expired or revoked token is 401 with
//! `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use latchkey_core::oauth::claims;
use latchkey_store::MemberLookup;
use serde_json::Value;

use super::envelope::{oauth_ok, OAuthFailure};
use super::tokens::{check_access, Inactive};
use crate::state::AppState;

pub async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OAuthFailure> {
    let token = bearer(&headers)
        .ok_or_else(|| OAuthFailure::invalid_token("A bearer access token is required."))?;
    let live = check_access(&state, token).await.map_err(|e| match e {
        Inactive::Store(s) => OAuthFailure::from(s),
        Inactive::Revoked => OAuthFailure::invalid_token("The access token has been revoked."),
        Inactive::Invalid => OAuthFailure::invalid_token("The access token is invalid or expired."),
    })?;
    let org_id = live
        .claims
        .pointer("/https:~1~1stytch.com~1organization/organization_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let member = state
        .store
        .get_member(org_id, MemberLookup::IdOrExternalId(&live.status.member_id))
        .await?
        .ok_or_else(|| OAuthFailure::invalid_token("The member no longer exists."))?;
    let scopes: Vec<String> = live
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    Ok(oauth_ok(Value::Object(claims::userinfo(&member, &scopes))))
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
