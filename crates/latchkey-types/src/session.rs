//! Member sessions (`api_b2b_session_v1_MemberSession`, `api_session_v1_AuthenticationFactor`)
//! and the sessions endpoints' bodies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `email_factor` of an authentication factor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmailFactor {
    pub email_id: String,
    pub email_address: String,
}

/// `oauth_access_token_exchange_factor` (a session made from a Connected App access token).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OAuthAccessTokenExchangeFactor {
    pub client_id: String,
}

/// `phone_number_factor` of an authentication factor (an SMS passcode, issue 13 item 3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PhoneNumberFactor {
    pub phone_id: String,
    pub phone_number: String,
}

/// One way the member proved who they are in this session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthenticationFactor {
    /// `password`, `magic_link`, `imported`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `knowledge`, `email`, `oauth_access_token_exchange`, ...
    pub delivery_method: String,
    pub last_authenticated_at: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_factor: Option<EmailFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_access_token_exchange_factor: Option<OAuthAccessTokenExchangeFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_factor: Option<PhoneNumberFactor>,
}

/// The MemberSession object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MemberSession {
    pub member_session_id: String,
    pub member_id: String,
    pub organization_id: String,
    pub organization_slug: String,
    pub started_at: String,
    pub last_accessed_at: String,
    pub expires_at: String,
    pub authentication_factors: Vec<AuthenticationFactor>,
    pub roles: Vec<String>,
    pub custom_claims: Map<String, Value>,
}

/// `authorization_check` of sessions/authenticate.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AuthorizationCheck {
    pub organization_id: Option<String>,
    pub resource_id: Option<String>,
    pub action: Option<String>,
}

/// `verdict` of sessions/authenticate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthorizationVerdict {
    pub authorized: bool,
    pub granting_roles: Vec<String>,
}

/// `POST /v1/b2b/sessions/authenticate` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionAuthenticateRequest {
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub authorization_check: Option<AuthorizationCheck>,
}

/// `POST /v1/b2b/sessions/revoke` body: exactly one selector.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionRevokeRequest {
    pub member_session_id: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub member_id: Option<String>,
}

/// `POST /v1/b2b/sessions/exchange` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionExchangeRequest {
    pub organization_id: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
}
