//! RFC 7591 client metadata, raw, as a dynamic client registration request sends it (and as
//! RFC 7592 updates resend it). Every field optional, unknown fields ignored; the core checks
//! them once (`latchkey_core::oauth::registration`).

use serde::Deserialize;

/// `POST /v1/oauth2/register` (RFC 7591 §2, §3.1) and RFC 7592 `PUT` bodies.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientRegistrationRequest {
    pub redirect_uris: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub application_type: Option<String>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub scope: Option<String>,
    pub contacts: Option<Vec<String>>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    pub jwks_uri: Option<String>,
    pub jwks: Option<serde_json::Value>,
    /// RFC 7592 §2.2: an update repeats the `client_id`.
    pub client_id: Option<String>,
}
