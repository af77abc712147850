//! Email magic links' request bodies (`api_magic_v1_b2b_magic_links_email_LoginOrSignupRequest`,
//! `..._InviteRequest`, `api_magic_v1_AuthenticateRequest`). Responses are built by the server
//! from the Member, Organization and session objects.

use serde::Deserialize;
use serde_json::{Map, Value};

/// `POST /v1/b2b/magic_links/email/login_or_signup` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MagicLinkLoginOrSignupRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub login_redirect_url: Option<String>,
    pub signup_redirect_url: Option<String>,
    pub pkce_code_challenge: Option<String>,
    pub login_template_id: Option<String>,
    pub signup_template_id: Option<String>,
    pub locale: Option<String>,
    pub login_expiration_minutes: Option<i64>,
    pub signup_expiration_minutes: Option<i64>,
}

/// `POST /v1/b2b/magic_links/email/invite` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MagicLinkInviteRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub invite_redirect_url: Option<String>,
    pub invited_by_member_id: Option<String>,
    pub name: Option<String>,
    pub trusted_metadata: Option<Map<String, Value>>,
    pub untrusted_metadata: Option<Map<String, Value>>,
    pub invite_template_id: Option<String>,
    pub locale: Option<String>,
    pub roles: Option<Vec<String>>,
    pub invite_expiration_minutes: Option<i64>,
}

/// `POST /v1/b2b/magic_links/authenticate` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MagicLinkAuthenticateRequest {
    pub magic_links_token: Option<String>,
    pub pkce_code_verifier: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub locale: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub telemetry_id: Option<String>,
}
