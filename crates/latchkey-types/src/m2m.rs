//! Stytch M2M clients (`api_m2m_v1_M2MClient`, `M2MClientWithClientSecret`,
//! `M2MClientWithNextClientSecret`, `m2m_clients_CreateRequest`, `UpdateRequest`,
//! `SearchRequest`; https://stytch.com/docs/b2b/api/m2m-client).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SearchQuery;

/// An M2M client. Secrets never appear here, only their last four characters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct M2MClient {
    pub client_id: String,
    pub client_name: String,
    pub client_description: String,
    /// `active` or `inactive`.
    pub status: String,
    pub scopes: Vec<String>,
    pub client_secret_last_four: String,
    pub trusted_metadata: Map<String, Value>,
    pub next_client_secret_last_four: Option<String>,
}

/// The create response's `m2m_client`: the client plus `client_secret`, shown this once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct M2MClientWithClientSecret {
    #[serde(flatten)]
    pub m2m_client: M2MClient,
    pub client_secret: String,
}

/// The rotate/start response's `m2m_client`: the client plus `next_client_secret`, shown once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct M2MClientWithNextClientSecret {
    #[serde(flatten)]
    pub m2m_client: M2MClient,
    pub next_client_secret: String,
}

/// `POST /v1/m2m/clients` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct M2MClientCreateRequest {
    pub scopes: Option<Vec<String>>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_name: Option<String>,
    pub client_description: Option<String>,
    pub trusted_metadata: Option<Value>,
}

/// `PUT /v1/m2m/clients/{client_id}` body: absent fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct M2MClientUpdateRequest {
    pub client_name: Option<String>,
    pub client_description: Option<String>,
    pub status: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub trusted_metadata: Option<Value>,
}

/// `POST /v1/m2m/clients/search` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct M2MClientSearchRequest {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub query: Option<SearchQuery>,
}
