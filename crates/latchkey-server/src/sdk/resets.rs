//! `/sdk/v1/b2b/passwords/*/reset*`: the password reset calls of `@stytch/vanilla-js`'s
//! `HeadlessB2BPasswordsClient` (`resetByEmailStart`, `resetByEmail`, `resetByExistingPassword`,
//! `resetBySession`), answered by the management handlers of `api::password_reset` (issue 13
//! item 6). The SDK's bodies are the API's minus the session, which comes from the caller's
//! cookie or header; `captcha_token` and `dfp_telemetry_id` are ignored like everywhere else.

use axum::extract::State;
use latchkey_types::PasswordInput;
use serde::Deserialize;

use super::b2b::{me, project};
use super::transport::{wrap, SdkCaller, SdkResult};
use crate::api::password_reset::{
    self as reset, EmailResetRequest, ExistingPasswordResetRequest, ResetStartRequest,
    SessionResetRequest,
};
use crate::client_address::ClientAddress;
use crate::envelope::ApiJson;
use crate::state::AppState;

/// `POST /sdk/v1/b2b/passwords/email/reset/start`.
pub async fn email_reset_start(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(req): ApiJson<ResetStartRequest>,
) -> SdkResult {
    wrap(reset::email_reset_start(State(state), project(&caller), ip, ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/passwords/email/reset`: a logged-in caller's session is kept.
pub async fn email_reset(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(mut req): ApiJson<EmailResetRequest>,
) -> SdkResult {
    req.session_token = caller.session_token.clone();
    req.session_jwt = None;
    wrap(reset::email_reset(State(state), project(&caller), ip, ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/passwords/existing_password/reset`.
pub async fn existing_password_reset(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(mut req): ApiJson<ExistingPasswordResetRequest>,
) -> SdkResult {
    req.session_token = caller.session_token.clone();
    req.session_jwt = None;
    wrap(reset::existing_password_reset(State(state), project(&caller), ip, ApiJson(req)).await)
}

/// What `resetBySession` sends: the password only.
#[derive(Deserialize)]
pub struct SessionResetBody {
    password: Option<PasswordInput>,
    session_duration_minutes: Option<i64>,
    locale: Option<String>,
}

/// `POST /sdk/v1/b2b/passwords/session/reset`: the caller's session (401 without one) names the
/// organization.
pub async fn session_reset(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(b): ApiJson<SessionResetBody>,
) -> SdkResult {
    let (loaded, _) = me(&state, &caller).await?;
    let req = SessionResetRequest {
        organization_id: Some(loaded.org.organization_id),
        password: b.password,
        session_token: caller.session_token.clone(),
        session_jwt: None,
        session_duration_minutes: b.session_duration_minutes,
        session_custom_claims: None,
        locale: b.locale,
        telemetry_id: None,
    };
    wrap(reset::session_reset(State(state), project(&caller), ip, ApiJson(req)).await)
}
