//! Trusted identity assertion issuers (a latchkey extension for enterprise-managed
//! authorization, issue 14; draft-ietf-oauth-identity-assertion-authz-grant, MCP's
//! Enterprise-Managed Authorization, what Stytch calls Cross App Access): the enterprise
//! identity providers an organization trusts to sign ID-JAGs for its members, and the bodies of
//! `/v1/b2b/organizations/{organization_id}/identity_assertion_issuers`.
//!
//! Stytch resolves an ID-JAG's issuer through the organization's OIDC SSO connection, which
//! latchkey does not have yet; this object is the part of such a connection the grant needs.

use serde::{Deserialize, Serialize};

/// An issuer an organization trusts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdentityAssertionIssuer {
    pub issuer_id: String,
    pub organization_id: String,
    /// The `iss` of the ID-JAGs it signs (exact string match, as OIDC Discovery §3 compares).
    pub issuer: String,
    /// Where its signing keys are published (a JWK set; https, or http on loopback in tests).
    pub jwks_url: String,
    /// The Connected App clients its assertions may be presented by (`client_id` claim); an
    /// empty list allows none.
    pub allowed_client_ids: Vec<String>,
    /// How an assertion's `sub` finds the member: `external_id` (the only mapping until SSO
    /// connections exist; never the email address, which an admin can edit).
    pub subject_mapping: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Create and update bodies, raw. On create `issuer` and `jwks_url` are required; on update
/// absent fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdentityAssertionIssuerSettings {
    pub issuer: Option<String>,
    pub jwks_url: Option<String>,
    pub allowed_client_ids: Option<Vec<String>>,
    pub subject_mapping: Option<String>,
}
