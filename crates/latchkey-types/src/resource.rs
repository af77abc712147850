//! Resource servers (a latchkey extension: Stytch has no such object): the APIs and MCP servers
//! a project's access tokens may be bound to with RFC 8707 resource indicators, and the bodies
//! of `/v1/connected_apps/resources`.

use serde::{Deserialize, Serialize};

/// A scope a resource server accepts, with the text the consent page shows for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceScope {
    pub scope: String,
    #[serde(default)]
    pub description: String,
}

/// A registered resource server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceServer {
    pub resource_id: String,
    /// The canonical resource URL (RFC 8707 §2, RFC 9728 §3): what clients send as `resource`
    /// and what access tokens minted for it carry in `aud`.
    pub url: String,
    pub name: String,
    pub scopes: Vec<ResourceScope>,
    /// Lifetime of access tokens minted for this resource; `null`: the client's.
    pub access_token_expiry_minutes: Option<i64>,
    /// Also put the project id in `aud` (for resource servers validating with Stytch's SDKs).
    pub audience_includes_project_id: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Create and update bodies, raw. On create `url` and `name` are required; on update absent
/// fields are left unchanged (`access_token_expiry_minutes: 0` clears the lifetime).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceServerSettings {
    pub url: Option<String>,
    pub name: Option<String>,
    pub scopes: Option<Vec<ResourceScope>>,
    pub access_token_expiry_minutes: Option<i64>,
    pub audience_includes_project_id: Option<bool>,
}

/// `POST /v1/connected_apps/resources/search` body: paging, and an optional exact `url`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceServerSearchRequest {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub url: Option<String>,
}
