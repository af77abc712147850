//! The Organization object and the organization endpoints' bodies
//! (`api_organization_v1_Organization`, `CreateRequest`, `UpdateRequest`, `SearchRequest`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SearchQuery;

/// `rbac_email_implicit_role_assignments[]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmailImplicitRoleAssignment {
    pub domain: String,
    pub role_id: String,
}

/// `sso_active_connections[]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActiveSsoConnection {
    pub connection_id: String,
    pub display_name: String,
    pub identity_provider: String,
}

/// A permission of a custom role: `{resource_id, actions[]}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Permission {
    pub resource_id: String,
    pub actions: Vec<String>,
}

/// `custom_roles[]`: organization-scoped roles.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomRole {
    pub role_id: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

/// The Organization object. Every field Stytch marks required is always serialized (the
/// Python SDK rejects a response lacking one); optional ones are `null` when unset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Organization {
    pub organization_id: String,
    pub organization_name: String,
    pub organization_logo_url: String,
    pub organization_slug: String,
    pub organization_external_id: Option<String>,
    pub trusted_metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    pub sso_jit_provisioning: String,
    pub sso_jit_provisioning_allowed_connections: Vec<String>,
    pub sso_active_connections: Vec<ActiveSsoConnection>,
    pub sso_default_connection_id: Option<String>,
    pub scim_active_connection: Option<Value>,
    pub email_allowed_domains: Vec<String>,
    pub email_jit_provisioning: String,
    pub email_invites: String,
    pub auth_methods: String,
    pub allowed_auth_methods: Vec<String>,
    pub mfa_policy: String,
    pub rbac_email_implicit_role_assignments: Vec<EmailImplicitRoleAssignment>,
    pub mfa_methods: String,
    pub allowed_mfa_methods: Vec<String>,
    pub oauth_tenant_jit_provisioning: String,
    pub allowed_oauth_tenants: Map<String, Value>,
    pub claimed_email_domains: Vec<String>,
    pub first_party_connected_apps_allowed_type: String,
    pub allowed_first_party_connected_apps: Vec<String>,
    pub third_party_connected_apps_allowed_type: String,
    pub allowed_third_party_connected_apps: Vec<String>,
    pub custom_roles: Vec<CustomRole>,
    /// latchkey extension (issue 11 item 5; absent from Stytch's Organization object): which
    /// self-registered clients (CIMD, DCR) members may authorize. Absent in stored documents
    /// written before it existed: the defaults (all allowed).
    #[serde(default)]
    pub client_registration_policy: ClientRegistrationPolicy,
}

/// latchkey extension: the organization's policy per client registration path, beside
/// Stytch's first/third-party policies (which keep governing pre-registered apps).
/// `cimd_allowed_type`: `ALL_ALLOWED` | `RESTRICTED` (only `allowed_cimd_hosts`) |
/// `NOT_ALLOWED`, for Client ID Metadata Document clients; `dcr_allowed_type`: `ALL_ALLOWED` |
/// `APPROVAL_REQUIRED` | `NOT_ALLOWED`, for RFC 7591 dynamically registered clients.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientRegistrationPolicy {
    pub cimd_allowed_type: String,
    pub allowed_cimd_hosts: Vec<String>,
    pub dcr_allowed_type: String,
}

impl Default for ClientRegistrationPolicy {
    fn default() -> Self {
        Self {
            cimd_allowed_type: "ALL_ALLOWED".into(),
            allowed_cimd_hosts: Vec::new(),
            dcr_allowed_type: "ALL_ALLOWED".into(),
        }
    }
}

/// The update form of [`ClientRegistrationPolicy`]: absent fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ClientRegistrationPolicySettings {
    pub cimd_allowed_type: Option<String>,
    pub allowed_cimd_hosts: Option<Vec<String>>,
    pub dcr_allowed_type: Option<String>,
}

/// Settings shared by create and update: every one optional; on update, absent means unchanged.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct OrganizationSettings {
    pub organization_name: Option<String>,
    pub organization_slug: Option<String>,
    pub organization_logo_url: Option<String>,
    pub trusted_metadata: Option<Map<String, Value>>,
    pub organization_external_id: Option<String>,
    pub sso_jit_provisioning: Option<String>,
    pub sso_jit_provisioning_allowed_connections: Option<Vec<String>>,
    pub sso_default_connection_id: Option<String>,
    pub email_allowed_domains: Option<Vec<String>>,
    pub email_jit_provisioning: Option<String>,
    pub email_invites: Option<String>,
    pub auth_methods: Option<String>,
    pub allowed_auth_methods: Option<Vec<String>>,
    pub mfa_policy: Option<String>,
    pub rbac_email_implicit_role_assignments: Option<Vec<EmailImplicitRoleAssignment>>,
    pub mfa_methods: Option<String>,
    pub allowed_mfa_methods: Option<Vec<String>>,
    pub oauth_tenant_jit_provisioning: Option<String>,
    pub allowed_oauth_tenants: Option<Map<String, Value>>,
    pub claimed_email_domains: Option<Vec<String>>,
    pub first_party_connected_apps_allowed_type: Option<String>,
    pub allowed_first_party_connected_apps: Option<Vec<String>>,
    pub third_party_connected_apps_allowed_type: Option<String>,
    pub allowed_third_party_connected_apps: Option<Vec<String>>,
    /// latchkey extension: see [`ClientRegistrationPolicy`].
    pub client_registration_policy: Option<ClientRegistrationPolicySettings>,
}

/// `POST /v1/b2b/organizations/search` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganizationSearchRequest {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub query: Option<SearchQuery>,
}
