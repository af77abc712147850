//! RBAC policy (Stytch §15.7 JSON shape), a member's effective permissions, and which
//! requested scopes that member can grant to a client (`is_grantable`, spec §14.2).
//!
//! Sources: <https://stytch.com/docs/api-reference/b2b/api/rbac/scope-object> ;
//! <https://stytch.com/docs/b2b/guides/rbac/stytch-default> ; `GET /v1/b2b/rbac/policy`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::client::{ClientType, FullAccess};
use super::scope::{BuiltinScope, Scope, ScopeError, ScopeSet};

mod default_policy;

pub use default_policy::default_policy;

/// The reserved action meaning "every action on this resource".
pub const WILDCARD_ACTION: &str = "*";
/// Role every member holds implicitly (Stytch "RBAC defaults").
pub const STYTCH_MEMBER_ROLE: &str = "stytch_member";
/// Role of members who created their organization via discovery.
pub const STYTCH_ADMIN_ROLE: &str = "stytch_admin";

/// `{resource_id, actions[]}`; `*` in `actions` = every action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// Resource the actions apply to, e.g. `stytch.member` or `documents`.
    pub resource_id: String,
    /// Allowed (or, on a scope, required) actions.
    pub actions: Vec<String>,
}

/// A role: `{role_id, description, permissions[]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Role id, e.g. `stytch_admin`.
    pub role_id: String,
    /// Human-readable text.
    #[serde(default)]
    pub description: String,
    /// What holders of the role may do.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// A resource: `{resource_id, description, actions[]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource id.
    pub resource_id: String,
    /// Human-readable text.
    #[serde(default)]
    pub description: String,
    /// Every action defined on the resource.
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A custom OAuth scope: `{scope, description, permissions[]}` (spec §14.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RbacScope {
    /// Scope token, e.g. `read:documents`.
    pub scope: String,
    /// Consent-screen text.
    #[serde(default)]
    pub description: String,
    /// Permissions a member must hold to grant it.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// The project's RBAC policy, `policy` in `GET /v1/b2b/rbac/policy` (spec §15.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RbacPolicy {
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Resources.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Custom scopes.
    #[serde(default)]
    pub scopes: Vec<RbacScope>,
}

/// Union of the permissions of a member's roles, per resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPermissions(BTreeMap<String, BTreeSet<String>>);

impl MemberPermissions {
    /// Whether the member may perform `action` on `resource_id` (holding `*` covers all).
    pub fn allows(&self, resource_id: &str, action: &str) -> bool {
        self.0
            .get(resource_id)
            .is_some_and(|a| a.contains(action) || a.contains(WILDCARD_ACTION))
    }

    /// Whether every required (resource, action) is held. A required `*` needs a held `*`
    /// (spec §14.2): enumerating today's actions is not "all actions".
    pub fn covers(&self, required: &[Permission]) -> bool {
        required.iter().all(|p| {
            p.actions.iter().all(|a| match a.as_str() {
                WILDCARD_ACTION => self.0.get(&p.resource_id).is_some_and(|h| h.contains(a)),
                _ => self.allows(&p.resource_id, a),
            })
        })
    }
}

/// Scope line of the Start response (`scope_results[]`, spec §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeResult {
    /// The requested scope.
    pub scope: Scope,
    /// Built-in fixed text or the policy's description.
    pub description: String,
    /// Whether this member may grant it to this client.
    pub is_grantable: bool,
    /// The resource servers (RFC 8707) this scope goes to, when the request named resources
    /// (a latchkey extension; absent otherwise, and for the built-in scopes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
}

/// The client facts that grantability depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantingClient {
    /// `client_type`.
    pub client_type: ClientType,
    /// `full_access_allowed`.
    pub full_access: FullAccess,
}

impl RbacPolicy {
    /// Effective permissions of a member holding `role_ids` (project roles only: Stytch says
    /// custom org roles don't interact with scopes). `stytch_member` is always included;
    /// unknown role ids are ignored.
    pub fn member_permissions<S: AsRef<str>>(&self, role_ids: &[S]) -> MemberPermissions {
        let held = |id: &str| id == STYTCH_MEMBER_ROLE || role_ids.iter().any(|r| r.as_ref() == id);
        let mut out = MemberPermissions::default();
        for role in self.roles.iter().filter(|r| held(&r.role_id)) {
            for p in &role.permissions {
                out.0
                    .entry(p.resource_id.clone())
                    .or_default()
                    .extend(p.actions.iter().cloned());
            }
        }
        out
    }

    /// The custom scope named `scope`, if the policy defines it.
    pub fn scope(&self, scope: &str) -> Option<&RbacScope> {
        self.scopes.iter().find(|s| s.scope == scope)
    }

    /// `scopes_supported` for discovery: built-ins, then custom scopes.
    pub fn scopes_supported(&self) -> Vec<String> {
        let builtins = BuiltinScope::ALL.iter().map(|b| b.as_str().to_owned());
        let custom = self.scopes.iter().map(|s| s.scope.clone());
        let mut out: Vec<String> = builtins.collect();
        out.extend(custom.filter(|s| BuiltinScope::parse(s).is_none()));
        out
    }

    /// Spec §14.2: built-ins other than `full_access` always; `full_access` only for a
    /// first-party client with `full_access_allowed`; a custom scope when the member holds all
    /// its permissions. `Err(Unknown)` for a scope that is neither.
    pub fn is_grantable(
        &self,
        scope: &Scope,
        client: GrantingClient,
        member: &MemberPermissions,
    ) -> Result<bool, ScopeError> {
        Ok(self.describe(scope, client, member)?.is_grantable)
    }

    pub(crate) fn describe(
        &self,
        scope: &Scope,
        client: GrantingClient,
        member: &MemberPermissions,
    ) -> Result<ScopeResult, ScopeError> {
        let (description, is_grantable) = match scope.builtin() {
            Some(BuiltinScope::FullAccess) => (
                BuiltinScope::FullAccess.description().to_owned(),
                client.client_type.is_first_party() && client.full_access == FullAccess::Allowed,
            ),
            Some(b) => (b.description().to_owned(), true),
            None => {
                let custom = self
                    .scope(scope.as_str())
                    .ok_or_else(|| ScopeError::Unknown(scope.as_str().to_owned()))?;
                (
                    custom.description.clone(),
                    member.covers(&custom.permissions),
                )
            }
        };
        Ok(ScopeResult {
            scope: scope.clone(),
            description,
            is_grantable,
            resources: Vec::new(),
        })
    }

    /// `scope_results` for a request, in request order. Empty request or any unknown scope is
    /// an error (`oauth_invalid_scope_requested`); ungrantable scopes are not.
    pub fn resolve_scopes(
        &self,
        requested: &ScopeSet,
        client: GrantingClient,
        member: &MemberPermissions,
    ) -> Result<Vec<ScopeResult>, ScopeError> {
        if requested.is_empty() {
            return Err(ScopeError::Empty);
        }
        requested
            .iter()
            .map(|s| self.describe(s, client, member))
            .collect()
    }
}

/// The grantable part of a resolved request: what Submit grants (requested ∩ grantable, §5.3).
pub fn grantable_scopes(results: &[ScopeResult]) -> ScopeSet {
    let mut set = ScopeSet::default();
    for r in results.iter().filter(|r| r.is_grantable) {
        set.insert(r.scope.clone());
    }
    set
}

#[cfg(test)]
mod tests;
