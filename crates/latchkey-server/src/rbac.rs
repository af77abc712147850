//! RBAC decisions at run time: `authorization_check` of sessions/authenticate (Stytch §15.6,
//! §8.2): tenancy first (403 `session_authorization_tenancy_error`), then whether any of the
//! member's roles grants the action on the resource (403 `session_authorization_error`).

use latchkey_core::oauth::RbacPolicy;
use latchkey_core::ApiError;
use latchkey_types::{AuthorizationCheck, AuthorizationVerdict, Member, Organization};

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// Runs an authorization check for `member` of `org`.
pub async fn check(
    state: &AppState,
    project_id: &str,
    member: &Member,
    org: &Organization,
    check: &AuthorizationCheck,
) -> Result<AuthorizationVerdict, ApiFailure> {
    let field = |v: &Option<String>, name: &str| {
        v.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing_field(&format!("authorization_check.{name}")))
    };
    let (check_org, resource, action) = (
        field(&check.organization_id, "organization_id")?,
        field(&check.resource_id, "resource_id")?,
        field(&check.action, "action")?,
    );
    if check_org != org.organization_id && check_org != org.organization_slug {
        return Err(ApiError::new(
            403,
            "session_authorization_tenancy_error",
            "OrganizationID in AuthorizationCheck request does not match session's Organization ID",
        )
        .into());
    }
    let policy = state.effective_policy(project_id).await?;
    let roles = latchkey_core::member::effective_role_ids(member, org);
    let granting = granting_roles(&policy, org, &roles, &resource, &action);
    if granting.is_empty() {
        return Err(ApiError::new(
            403,
            "session_authorization_error",
            "The Member is not authorized to perform the requested action on that resource.",
        )
        .into());
    }
    Ok(AuthorizationVerdict {
        authorized: true,
        granting_roles: granting,
    })
}

/// The member's roles (project roles, then the organization's custom roles) that allow
/// `action` on `resource`.
fn granting_roles(
    policy: &RbacPolicy,
    org: &Organization,
    roles: &[String],
    resource: &str,
    action: &str,
) -> Vec<String> {
    let allows = |perms: &[(String, Vec<String>)]| {
        perms
            .iter()
            .any(|(r, acts)| r == resource && acts.iter().any(|a| a == action || a == "*"))
    };
    roles
        .iter()
        .filter(|role_id| {
            let project_role = policy
                .roles
                .iter()
                .find(|r| &r.role_id == *role_id)
                .map(|r| {
                    r.permissions
                        .iter()
                        .map(|p| (p.resource_id.clone(), p.actions.clone()))
                        .collect::<Vec<_>>()
                });
            let org_role = org
                .custom_roles
                .iter()
                .find(|r| &r.role_id == *role_id)
                .map(|r| {
                    r.permissions
                        .iter()
                        .map(|p| (p.resource_id.clone(), p.actions.clone()))
                        .collect::<Vec<_>>()
                });
            project_role.is_some_and(|p| allows(&p)) || org_role.is_some_and(|p| allows(&p))
        })
        .cloned()
        .collect()
}
