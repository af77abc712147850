//! Stytch's default RBAC policy ("Stytch Resources and Roles",
//! <https://stytch.com/docs/b2b/guides/rbac/stytch-default>): roles `stytch_member` and
//! `stytch_admin`, resources `stytch.organization`, `stytch.member`, `stytch.sso`,
//! `stytch.self`, `stytch.scim`.

use super::{
    Permission, RbacPolicy, Resource, Role, STYTCH_ADMIN_ROLE, STYTCH_MEMBER_ROLE, WILDCARD_ACTION,
};

pub(super) fn perm(resource_id: &str, actions: &[&str]) -> Permission {
    let actions = actions.iter().map(|a| (*a).to_owned()).collect();
    Permission {
        resource_id: resource_id.to_owned(),
        actions,
    }
}

fn resource(resource_id: &str, description: &str, actions: &[&str]) -> Resource {
    let Permission {
        resource_id,
        actions,
    } = perm(resource_id, actions);
    Resource {
        resource_id,
        description: description.to_owned(),
        actions,
    }
}

const CRUD: &[&str] = &["create", "get", "update", "delete"];

/// Stytch's default policy: roles `stytch_member` (all of `stytch.self`) and `stytch_admin`
/// (all of organization, member, sso, scim), the five `stytch.*` resources, no custom scopes.
///
/// Unsure: Stytch only lists actions in its dashboard. These lists follow Stytch's own admin
/// portal code (`stytch-browser` `useRbac` map) and the SDK docs; `revoke.connected-app` on
/// `stytch.self` comes from the Connected Apps docs (spec §12.2). Newer Stytch releases may
/// have more actions; since both default roles hold `*`, extra actions change no decision here.
pub fn default_policy() -> RbacPolicy {
    let organization = [
        "update.info.name",
        "update.info.slug",
        "update.info.logo-url",
        "update.settings.allowed-auth-methods",
        "update.settings.allowed-mfa-methods",
        "update.settings.email-jit-provisioning",
        "update.settings.email-invites",
        "update.settings.allowed-domains",
        "update.settings.default-sso-connection",
        "update.settings.sso-jit-provisioning",
        "update.settings.mfa-policy",
        "update.settings.implicit-roles",
        "update.settings.oauth-tenant-jit-provisioning",
        "update.settings.allowed-oauth-tenants",
        "delete",
    ];
    let member = [
        "create",
        "update.info.name",
        "update.info.email",
        "update.info.untrusted-metadata",
        "update.info.mfa-phone",
        "update.info.delete.mfa-phone",
        "update.info.delete.mfa-totp",
        "update.info.delete.password",
        "update.settings.is-breakglass",
        "update.settings.mfa-enrolled",
        "update.settings.default-mfa-method",
        "update.settings.roles",
        "search",
        "delete",
        "revoke-sessions",
    ];
    let this = [
        "update.info.name",
        "update.info.untrusted-metadata",
        "update.info.mfa-phone",
        "update.info.delete.mfa-phone",
        "update.info.delete.password",
        "update.info.delete.mfa-totp",
        "update.settings.mfa-enrolled",
        "update.settings.default-mfa-method",
        "delete",
        "revoke-sessions",
        "revoke.connected-app",
    ];
    let admin_of = [
        "stytch.organization",
        "stytch.member",
        "stytch.sso",
        "stytch.scim",
    ];
    RbacPolicy {
        roles: vec![
            Role {
                role_id: STYTCH_MEMBER_ROLE.to_owned(),
                description: "Granted to all Members upon creation; grants permissions already implicitly granted to logged in Members via the SDK. Cannot be deleted.".to_owned(),
                permissions: vec![perm("stytch.self", &[WILDCARD_ACTION])],
            },
            Role {
                role_id: STYTCH_ADMIN_ROLE.to_owned(),
                description: "Granted to Members who create an organization through the Stytch discovery flow. Admins will also have the stytch_member role. Cannot be deleted.".to_owned(),
                permissions: admin_of.iter().map(|r| perm(r, &[WILDCARD_ACTION])).collect(),
            },
        ],
        resources: vec![
            resource("stytch.organization", "Builtin resource for Stytch organization objects", &organization),
            resource("stytch.member", "Builtin resource for Stytch member objects", &member),
            resource("stytch.sso", "Builtin resource for Stytch SSO Connection objects", CRUD),
            resource("stytch.self", "Builtin resource for the logged-in Stytch member object", &this),
            resource("stytch.scim", "Builtin resource for Stytch SCIM Connection objects", CRUD),
        ],
        scopes: Vec::new(),
    }
}
