//! The `client_credentials` grant for Connected Apps confidential clients that are allowed to
//! use it (issue 14; RFC 6749 §4.4, MCP's client-credentials extension): the client, already
//! authenticated by `client_secret_basic`, `client_secret_post` or `private_key_jwt`
//! ([`super::clients`]), gets an access token about itself, with no member and no
//! organization, bound to the registered resources it names (RFC 8707). No refresh token
//! (RFC 6749 §4.4.3). Stytch M2M clients are answered before this by [`super::m2m_token`].

use axum::response::Response;
use latchkey_core::oauth::client_credentials as cc;
use latchkey_core::oauth::resource::resolve_targets;
use latchkey_core::oauth::OAuthError;

use super::clients::AuthedClient;
use super::envelope::OAuthFailure;
use super::tokens::{jti, sign_stateless};
use crate::state::AppState;

pub async fn grant(
    state: &AppState,
    client: &AuthedClient,
    scope: Option<&str>,
    resources: &[String],
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    let project_id = &client.creds.project_id;
    let scopes = cc::token_scopes(&client.app, client.client_type(), scope)?;
    let targets = if resources.is_empty() {
        vec![]
    } else {
        let registered = crate::api::resources::registered(state, project_id).await?;
        resolve_targets(resources, &registered).map_err(OAuthError::from)?
    };
    let minutes = client.app.access_token_expiry_minutes;
    let (audience, scopes, minutes) = cc::bind(project_id, &targets, scopes, minutes);
    let (now, jti) = (state.clock.now().unix_timestamp(), jti(state));
    let lifetime_secs = minutes.max(1) * 60;
    let facts = cc::TokenFacts {
        issuer: iss,
        audience: &audience,
        jti: &jti,
        now,
        lifetime_secs,
    };
    let claims = cc::access_token_claims(&client.app.client_id, &scopes, &facts);
    sign_stateless(state, project_id, &claims, &scopes, lifetime_secs, jkt).await
}
