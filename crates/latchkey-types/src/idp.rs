//! Bodies of the Connected Apps consent endpoints `POST /v1/b2b/idp/oauth/authorize/start` and
//! `POST /v1/b2b/idp/oauth/authorize` (Stytch §4, §5).

use serde::Deserialize;

/// Start and Submit share these fields; Submit adds the consent decision and code parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub prompt: Option<String>,
    // Submit only.
    pub consent_granted: Option<bool>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub resources: Option<Vec<String>>,
}
