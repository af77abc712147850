//! `/sdk/v1` magic links and session exchanges (`HeadlessB2BMagicLinksClient`,
//! `HeadlessB2BSessionClient.exchange` / `exchangeAccessToken`): the management handlers with
//! the fields the SDK sends. Sending a login link and authenticating one are logins (no
//! session needed); an invite is `stytch.member:create` as the session's member, in its
//! organization; a session exchange starts from the caller's session.

use axum::extract::State;
use latchkey_types::{
    MagicLinkAuthenticateRequest, MagicLinkInviteRequest, MagicLinkLoginOrSignupRequest,
    SessionExchangeRequest,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::b2b::{me, project};
use super::transport::{wrap, SdkCaller, SdkResult};
use crate::api::{magic_links, sessions as api_sessions};
use crate::envelope::ApiJson;
use crate::state::AppState;

/// What `magicLinks.email.loginOrSignup` sends (PKCE challenge included when configured).
#[derive(Deserialize)]
pub struct LoginOrSignup {
    organization_id: Option<String>,
    email_address: Option<String>,
    login_redirect_url: Option<String>,
    signup_redirect_url: Option<String>,
    pkce_code_challenge: Option<String>,
    login_template_id: Option<String>,
    signup_template_id: Option<String>,
    locale: Option<String>,
    login_expiration_minutes: Option<i64>,
    signup_expiration_minutes: Option<i64>,
}

/// `POST /sdk/v1/b2b/magic_links/email/login_or_signup`.
pub async fn login_or_signup(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(b): ApiJson<LoginOrSignup>,
) -> SdkResult {
    let req = MagicLinkLoginOrSignupRequest {
        organization_id: b.organization_id,
        email_address: b.email_address,
        login_redirect_url: b.login_redirect_url,
        signup_redirect_url: b.signup_redirect_url,
        pkce_code_challenge: b.pkce_code_challenge,
        login_template_id: b.login_template_id,
        signup_template_id: b.signup_template_id,
        locale: b.locale,
        login_expiration_minutes: b.login_expiration_minutes,
        signup_expiration_minutes: b.signup_expiration_minutes,
    };
    wrap(magic_links::login_or_signup(State(state), project(&caller), ApiJson(req)).await)
}

/// What `magicLinks.email.invite` sends: no organization (the session's) and no trusted
/// metadata (never set as a member).
#[derive(Deserialize)]
pub struct Invite {
    email_address: Option<String>,
    invite_redirect_url: Option<String>,
    invite_template_id: Option<String>,
    name: Option<String>,
    untrusted_metadata: Option<Map<String, Value>>,
    locale: Option<String>,
    roles: Option<Vec<String>>,
    invite_expiration_minutes: Option<i64>,
}

/// `POST /sdk/v1/b2b/magic_links/email/invite`: `stytch.member:create` (and
/// `update.settings.roles` with roles), invited by the caller.
pub async fn invite(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(b): ApiJson<Invite>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let req = MagicLinkInviteRequest {
        organization_id: Some(l.org.organization_id),
        email_address: b.email_address,
        invite_redirect_url: b.invite_redirect_url,
        invited_by_member_id: Some(l.member.member_id),
        name: b.name,
        trusted_metadata: None,
        untrusted_metadata: b.untrusted_metadata,
        invite_template_id: b.invite_template_id,
        locale: b.locale,
        roles: b.roles,
        invite_expiration_minutes: b.invite_expiration_minutes,
    };
    let p = project(&caller);
    wrap(magic_links::invite(State(state), p, actor, ApiJson(req)).await)
}

/// What `magicLinks.authenticate` sends (the PKCE verifier of the SDK's own transaction).
#[derive(Deserialize)]
pub struct Authenticate {
    magic_links_token: Option<String>,
    pkce_code_verifier: Option<String>,
    session_duration_minutes: Option<i64>,
    locale: Option<String>,
    intermediate_session_token: Option<String>,
}

/// `POST /sdk/v1/b2b/magic_links/authenticate`: a caller already logged in adds the factor.
pub async fn authenticate(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: crate::client_address::ClientAddress,
    ApiJson(b): ApiJson<Authenticate>,
) -> SdkResult {
    let req = MagicLinkAuthenticateRequest {
        magic_links_token: b.magic_links_token,
        pkce_code_verifier: b.pkce_code_verifier,
        session_token: caller.session_token.clone(),
        session_duration_minutes: b.session_duration_minutes,
        locale: b.locale,
        intermediate_session_token: b.intermediate_session_token,
        ..Default::default()
    };
    wrap(magic_links::authenticate(State(state), project(&caller), ip, ApiJson(req)).await)
}

/// What `session.exchange` sends.
#[derive(Deserialize)]
pub struct Exchange {
    organization_id: Option<String>,
    session_duration_minutes: Option<i64>,
}

/// `POST /sdk/v1/b2b/sessions/exchange`: the caller's session into another organization.
pub async fn exchange(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(b): ApiJson<Exchange>,
) -> SdkResult {
    let req = SessionExchangeRequest {
        organization_id: b.organization_id,
        session_token: Some(caller.session()?.to_owned()),
        session_duration_minutes: b.session_duration_minutes,
        ..Default::default()
    };
    wrap(api_sessions::exchange(State(state), project(&caller), ApiJson(req)).await)
}

/// What `session.exchangeAccessToken` sends.
#[derive(Deserialize)]
pub struct ExchangeAccessToken {
    access_token: Option<String>,
    session_duration_minutes: Option<i64>,
}

/// `POST /sdk/v1/b2b/sessions/exchange_access_token`: a `full_access` access token of a
/// first-party Connected App back into its session (the token is the credential).
pub async fn exchange_access_token(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(b): ApiJson<ExchangeAccessToken>,
) -> SdkResult {
    let req = api_sessions::ExchangeAccessTokenRequest {
        access_token: b.access_token,
        session_duration_minutes: b.session_duration_minutes,
        session_custom_claims: None,
    };
    let p = project(&caller);
    wrap(api_sessions::exchange_access_token(State(state), p, ApiJson(req)).await)
}
