//! Token revocation (RFC 7009, Stytch §9): a client revokes its own access or refresh token.
//! Revoking either revokes the whole authorization it belongs to (the refresh token and every
//! access token issued with it); a token exchanged (RFC 8693) by another client is revoked
//! alone when that client revokes it. Unknown tokens and other clients' tokens answer 200 too, so
//! the endpoint reveals nothing (RFC 7009 §2.2).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::secret::SecretHash;
use serde_json::json;

use super::envelope::{oauth_ok, OAuthBody, OAuthFailure};
use super::introspect::{authenticated, IntrospectRequest};
use super::tokens::check_access;
use crate::state::AppState;

pub async fn revoke(
    state: State<AppState>,
    headers: HeaderMap,
    body: OAuthBody<IntrospectRequest>,
) -> Result<Response, OAuthFailure> {
    handle(state, headers, None, body).await
}

pub async fn legacy_revoke(
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
    let now = state.clock.now().unix_timestamp();
    let grant_id = if let Some(stored) = state
        .store
        .get_refresh(SecretHash::of(token).as_str())
        .await?
    {
        Some((stored.record.grant.grant_id, stored.record.grant.client_id))
    } else if let Ok(live) = check_access(&state, token).await {
        let holder = live.claims["client_id"].as_str();
        if live.status.client_id != client.app.client_id && holder == Some(&client.app.client_id) {
            // An exchanged token (RFC 8693) held by another client than its grant's: that
            // client may end its own token, not the grant it came from.
            if let Some(jti) = live.claims["jti"].as_str() {
                state.store.revoke_access_token(jti, now).await?;
            }
            return Ok(oauth_ok(json!({})));
        }
        Some((live.status.grant_id, live.status.client_id))
    } else {
        None
    };
    if let Some((grant_id, owner)) = grant_id {
        if owner == client.app.client_id {
            state.store.revoke_grant(&grant_id, now).await?;
        }
    }
    Ok(oauth_ok(json!({})))
}
