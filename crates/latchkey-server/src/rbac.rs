//! `authorization_check` of sessions/authenticate at run time (Stytch §15.6): the member's
//! effective roles against the project's policy and the organization's own roles, decided by
//! `core::rbac::authorize` (tenancy first, then the permission).

use latchkey_core::rbac::{authorize, AuthorizationCheck};
use latchkey_core::ApiError;
use latchkey_types::{AuthorizationVerdict, Member, Organization};

use crate::envelope::ApiFailure;
use crate::state::AppState;

pub async fn check(
    state: &AppState,
    project_id: &str,
    member: &Member,
    org: &Organization,
    check: &latchkey_types::AuthorizationCheck,
) -> Result<AuthorizationVerdict, ApiFailure> {
    let field = |v: &Option<String>, name: &str| {
        v.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing_field(&format!("authorization_check.{name}")))
    };
    let mut organization_id = field(&check.organization_id, "organization_id")?;
    // A slug names the session's organization too.
    if organization_id == org.organization_slug {
        organization_id = org.organization_id.clone();
    }
    let wanted = AuthorizationCheck {
        organization_id,
        resource_id: field(&check.resource_id, "resource_id")?,
        action: field(&check.action, "action")?,
    };
    let policy = state.effective_policy(project_id).await?;
    let roles = latchkey_core::member::effective_role_ids(member, org);
    let verdict = authorize(
        &policy,
        &org.custom_roles,
        &roles,
        &org.organization_id,
        &wanted,
    )?;
    Ok(AuthorizationVerdict {
        authorized: verdict.authorized,
        granting_roles: verdict.granting_roles,
    })
}
