//! The effective policy: Stytch's defaults plus the operator's policy (spec §15.7). Stytch's
//! dashboard lets a project add permissions to `stytch_member` and `stytch_admin` but never
//! remove its default resources, so the defaults always come first and are never shrunk.

use super::{default_policy, Permission, RbacPolicy, Role, WILDCARD_ACTION};

/// Defaults first (resources, then the two default roles with the operator's additions), then
/// the operator's resources, roles and scopes in file order. `custom` is a policy accepted by
/// [`super::validate_policy`]; `None` gives Stytch's defaults alone.
pub fn effective_policy(custom: Option<&RbacPolicy>) -> RbacPolicy {
    let mut out = default_policy();
    let Some(custom) = custom else {
        return out;
    };
    for role in &custom.roles {
        match out.roles.iter_mut().find(|r| r.role_id == role.role_id) {
            Some(default) => add_permissions(default, &role.permissions),
            None => out.roles.push(role.clone()),
        }
    }
    let new_resources = custom
        .resources
        .iter()
        .filter(|r| !out.resources.iter().any(|d| d.resource_id == r.resource_id));
    let new_resources: Vec<_> = new_resources.cloned().collect();
    out.resources.extend(new_resources);
    out.scopes.extend(custom.scopes.iter().cloned());
    out
}

/// Union of actions per resource; a resource held with `*` keeps only `*`.
fn add_permissions(role: &mut Role, extra: &[Permission]) {
    for p in extra {
        match role
            .permissions
            .iter_mut()
            .find(|h| h.resource_id == p.resource_id)
        {
            Some(held) => {
                for a in &p.actions {
                    if !held.actions.contains(a) {
                        held.actions.push(a.clone());
                    }
                }
                if held.actions.iter().any(|a| a == WILDCARD_ACTION) {
                    held.actions = vec![WILDCARD_ACTION.to_owned()];
                }
            }
            None => role.permissions.push(p.clone()),
        }
    }
}
