//! The Member object and the member endpoints' bodies (`api_organization_v1_Member`,
//! `organizations_members_CreateRequest`, `UpdateRequest`, `SearchRequest`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SearchQuery;

/// Why a member holds a role: `direct_assignment`, `email_assignment`, `sso_connection`, ...
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MemberRoleSource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub details: Map<String, Value>,
}

/// `roles[]` of the Member object. Requests carry role ids as plain strings instead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MemberRole {
    pub role_id: String,
    pub sources: Vec<MemberRoleSource>,
}

/// `retired_email_addresses[]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RetiredEmail {
    pub email_id: String,
    pub email_address: String,
}

/// The Member object; required fields always serialized, optional ones `null` when unset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub organization_id: String,
    pub member_id: String,
    pub email_address: String,
    pub email_address_verified: bool,
    pub status: String,
    pub name: String,
    pub trusted_metadata: Map<String, Value>,
    pub untrusted_metadata: Map<String, Value>,
    pub is_breakglass: bool,
    pub member_password_id: String,
    pub oauth_registrations: Vec<Value>,
    pub sso_registrations: Vec<Value>,
    pub scim_registration: Option<Value>,
    pub mfa_enrolled: bool,
    pub mfa_phone_number: String,
    pub mfa_phone_number_verified: bool,
    pub default_mfa_method: String,
    pub totp_registration_id: String,
    pub retired_email_addresses: Vec<RetiredEmail>,
    pub is_admin: bool,
    pub is_locked: bool,
    pub lock_created_at: Option<String>,
    pub lock_expires_at: Option<String>,
    pub external_id: Option<String>,
    pub roles: Vec<MemberRole>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/b2b/organizations/{organization_id}/members` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberCreateRequest {
    pub email_address: Option<String>,
    pub name: Option<String>,
    pub trusted_metadata: Option<Map<String, Value>>,
    pub untrusted_metadata: Option<Map<String, Value>>,
    pub create_member_as_pending: Option<bool>,
    pub is_breakglass: Option<bool>,
    pub mfa_phone_number: Option<String>,
    pub mfa_enrolled: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub external_id: Option<String>,
}

/// `PUT /v1/b2b/organizations/{organization_id}/members/{member_id}` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberUpdateRequest {
    pub name: Option<String>,
    pub trusted_metadata: Option<Map<String, Value>>,
    pub untrusted_metadata: Option<Map<String, Value>>,
    pub is_breakglass: Option<bool>,
    pub mfa_phone_number: Option<String>,
    pub mfa_enrolled: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub preserve_existing_sessions: Option<bool>,
    pub default_mfa_method: Option<String>,
    pub email_address: Option<String>,
    pub external_id: Option<String>,
    pub unlink_email: Option<bool>,
}

/// `POST /v1/b2b/organizations/members/search` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberSearchRequest {
    pub organization_ids: Option<Vec<String>>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub query: Option<SearchQuery>,
}
