//! The Connected App object and the client management bodies
//! (`api_connectedapps_v1_ConnectedApp`, `ConnectedAppWithClientSecret`,
//! `ConnectedAppWithNextClientSecret`, `connected_apps_clients_CreateRequest`, `UpdateRequest`,
//! `SearchRequest`; https://stytch.com/docs/b2b/api/connected-apps).

use serde::{Deserialize, Serialize};

/// A Connected App client. Every field Stytch marks required is always serialized; the
/// optional ones are `null` when unset. Secrets never appear here, only their last four
/// characters. `id_token_template_content` is absent from Stytch's OpenAPI document but required
/// by the Python SDK (15.x) and the Node SDK's types.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectedApp {
    pub client_id: String,
    pub client_name: String,
    pub client_description: String,
    pub status: String,
    pub full_access_allowed: bool,
    pub client_type: String,
    pub redirect_urls: Vec<String>,
    pub access_token_expiry_minutes: i64,
    pub access_token_template_content: String,
    pub post_logout_redirect_urls: Vec<String>,
    pub bypass_consent_for_offline_access: bool,
    pub creation_method: String,
    pub id_token_template_content: String,
    pub client_secret_last_four: Option<String>,
    pub next_client_secret_last_four: Option<String>,
    pub access_token_custom_audience: Option<String>,
    pub logo_url: Option<String>,
    pub client_id_metadata_url: Option<String>,
    /// latchkey extension (issue 14): the client may use the `client_credentials` grant, as
    /// itself (no member); off by default. Confidential clients only.
    #[serde(default)]
    pub client_credentials_allowed: bool,
    /// The scopes a `client_credentials` token may carry.
    #[serde(default)]
    pub client_credentials_scopes: Vec<String>,
    /// latchkey extension (issue 14 item 7): the client may use the RFC 8693 token exchange
    /// grant; off by default.
    #[serde(default)]
    pub token_exchange_allowed: bool,
    /// latchkey extension (issue 14 item 7): the client may redeem ID-JAGs with the RFC 7523
    /// `jwt-bearer` grant (enterprise-managed authorization); off by default. Confidential
    /// clients only, as Stytch's Cross App Access requires.
    #[serde(default)]
    pub jwt_bearer_allowed: bool,
    /// latchkey extension (issue 14 item 5): the client may start RFC 8628 device
    /// authorization requests; off by default.
    #[serde(default)]
    pub device_code_allowed: bool,
}

/// The create response's `connected_app`: the client plus `client_secret`, shown this once
/// (confidential types only; `null` for public clients).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConnectedAppWithClientSecret {
    #[serde(flatten)]
    pub connected_app: ConnectedApp,
    pub client_secret: Option<String>,
}

/// The rotate/start response's `connected_app`: the client plus `next_client_secret`, shown
/// this once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConnectedAppWithNextClientSecret {
    #[serde(flatten)]
    pub connected_app: ConnectedApp,
    pub next_client_secret: String,
}

/// Create and update bodies, raw. On create `client_type` is required; on update it is not
/// accepted (a client's type never changes) and absent fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectedAppSettings {
    pub client_type: Option<String>,
    pub client_name: Option<String>,
    pub client_description: Option<String>,
    pub redirect_urls: Option<Vec<String>>,
    pub full_access_allowed: Option<bool>,
    pub access_token_expiry_minutes: Option<i64>,
    pub access_token_custom_audience: Option<String>,
    pub access_token_template_content: Option<String>,
    pub id_token_template_content: Option<String>,
    pub post_logout_redirect_urls: Option<Vec<String>>,
    pub logo_url: Option<String>,
    pub bypass_consent_for_offline_access: Option<bool>,
    /// latchkey extension (issue 14).
    pub client_credentials_allowed: Option<bool>,
    pub client_credentials_scopes: Option<Vec<String>>,
    pub token_exchange_allowed: Option<bool>,
    pub jwt_bearer_allowed: Option<bool>,
    pub device_code_allowed: Option<bool>,
}

/// `POST /v1/connected_apps/clients/search` body: paging only, no filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectedAppSearchRequest {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}
