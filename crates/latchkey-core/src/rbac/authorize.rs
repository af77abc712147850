//! The session authorization check (Stytch `authorization_check` on
//! `POST /v1/b2b/sessions/authenticate`, spec §8.2, §15.7): is a member holding `role_ids`,
//! in a session of `session_org_id`, allowed `action` on `resource_id`?
//!
//! Tenancy first (403 `session_authorization_tenancy_error`), then any held role, project or
//! organization-specific (org custom roles count for session checks, unlike for scopes), with
//! a permission on the resource listing the action or `*`. A check for the action `*` itself
//! needs a held `*`. Not permitted: 403 `session_authorization_error`.

use latchkey_types::CustomRole;
use serde::{Deserialize, Serialize};

use super::{RbacPolicy, STYTCH_MEMBER_ROLE, WILDCARD_ACTION};
use crate::ApiError;

/// `authorization_check {organization_id, resource_id, action}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCheck {
    /// Must be the session's organization.
    pub organization_id: String,
    /// Resource acted on, e.g. `documents`.
    pub resource_id: String,
    /// Action taken, e.g. `write`.
    pub action: String,
}

/// `verdict {authorized, granting_roles[]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Always true in a success response (a denial is an error).
    pub authorized: bool,
    /// Held roles that grant the permission, in the order held.
    pub granting_roles: Vec<String>,
}

/// Decides the check. `role_ids` are the session's roles; `stytch_member` counts even when
/// absent (every member holds it).
pub fn authorize<S: AsRef<str>>(
    policy: &RbacPolicy,
    org_roles: &[CustomRole],
    role_ids: &[S],
    session_org_id: &str,
    check: &AuthorizationCheck,
) -> Result<Verdict, ApiError> {
    if check.organization_id != session_org_id {
        return Err(ApiError::new(
            403,
            "session_authorization_tenancy_error",
            "OrganizationID in AuthorizationCheck request does not match session's Organization ID",
        ));
    }
    let mut held: Vec<&str> = vec![STYTCH_MEMBER_ROLE];
    for r in role_ids.iter().map(AsRef::as_ref) {
        if !held.contains(&r) {
            held.push(r);
        }
    }
    let grants = |actions: &[String]| {
        actions
            .iter()
            .any(|a| *a == check.action || a == WILDCARD_ACTION)
    };
    let granting_roles: Vec<String> = held
        .into_iter()
        .filter(|id| {
            let project = policy.roles.iter().filter(|r| r.role_id == *id).any(|r| {
                r.permissions
                    .iter()
                    .any(|p| p.resource_id == check.resource_id && grants(&p.actions))
            });
            let org = org_roles.iter().filter(|r| r.role_id == *id).any(|r| {
                r.permissions
                    .iter()
                    .any(|p| p.resource_id == check.resource_id && grants(&p.actions))
            });
            project || org
        })
        .map(str::to_owned)
        .collect();
    if granting_roles.is_empty() {
        return Err(ApiError::new(
            403,
            "session_authorization_error",
            "The Member is not authorized to perform the requested action on that resource.",
        ));
    }
    Ok(Verdict {
        authorized: true,
        granting_roles,
    })
}
