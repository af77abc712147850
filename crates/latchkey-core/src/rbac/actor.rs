//! Acting as a member under RBAC: what a member-scoped request needs, and the decision.
//!
//! Two surfaces act as a member: the management API when `X-Stytch-Member-Session` or
//! `X-Stytch-Member-SessionJWT` is sent (Stytch OpenAPI, "A Stytch session that can be used to
//! run the request with the given member's permissions"), and the frontend SDK surface
//! `/sdk/v1`, where every call carries the member's session. Both call [`requirements`] for the
//! endpoint and [`authorize_actor`] for the verdict, so the two can never disagree.
//!
//! Permissions are Stytch's, from the "RBAC Enforced API" notes of each endpoint
//! (<https://stytch.com/docs/api-reference/b2b/api/members/delete-member> and siblings) and the
//! per-field notes of the OpenAPI update bodies ("the Member Session must have permission to
//! perform the `update.info.name` action on the `stytch.member` Resource. Alternatively, if the
//! Member Session matches the Member …, `stytch.self`"). Where Stytch documents no action (the
//! external ids, reactivation, Connected Apps policies) an admin-only action is required, so the
//! check fails closed for plain members.

use latchkey_types::{CustomRole, MemberCreateRequest, MemberUpdateRequest, OrganizationSettings};

use super::{authorize, AuthorizationCheck, RbacPolicy};
use crate::ApiError;

/// Stytch's built-in resources.
pub const ORGANIZATION: &str = "stytch.organization";
pub const MEMBER: &str = "stytch.member";
pub const SELF: &str = "stytch.self";

/// One permission that satisfies a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub resource_id: &'static str,
    pub action: &'static str,
}

/// A requirement: any one of its alternatives grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement(pub Vec<Need>);

impl Requirement {
    fn on(resource_id: &'static str, action: &'static str) -> Self {
        Requirement(vec![Need {
            resource_id,
            action,
        }])
    }

    /// `stytch.member:<action>`, or `stytch.self:<action>` when acting on oneself.
    fn member_or_self(action: &'static str, is_self: bool) -> Self {
        let mut r = Self::on(MEMBER, action);
        if is_self {
            r.0.push(Need {
                resource_id: SELF,
                action,
            });
        }
        r
    }
}

/// A management operation performed as a member.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    OrganizationUpdate(&'a OrganizationSettings),
    OrganizationDelete,
    OrganizationDeleteExternalId,
    OrganizationConnectedApps,
    MemberCreate(&'a MemberCreateRequest),
    /// `magic_links/email/invite`: creates an invited member, maybe with roles.
    MemberInvite {
        roles: bool,
        trusted_metadata: bool,
    },
    MemberUpdate(&'a MemberUpdateRequest),
    MemberDelete,
    MemberReactivate,
    MemberDeleteExternalId,
    MembersSearch,
    MemberConnectedApps,
    MemberConnectedAppRevoke,
    /// `sessions/revoke` of all of a member's sessions, or of one session not the actor's own.
    SessionsRevoke,
    /// latchkey extension (issue 11 item 5): list, approve or deny the organization's client
    /// approvals, an organization setting of its Connected Apps.
    OrganizationConnectedAppApprovals,
}

fn trusted_metadata_refused() -> ApiError {
    ApiError::bad_request(
        "trusted_metadata_not_allowed",
        "trusted_metadata cannot be set when acting as a Member (a session header or the frontend SDK); set it with project credentials only.",
    )
}

/// What `op` needs when the actor acts on `is_self` (the target member is the actor).
/// Every requirement must hold. Fields a member may never set are refused here.
pub fn requirements(op: Operation<'_>, is_self: bool) -> Result<Vec<Requirement>, ApiError> {
    use Operation::*;
    let r = Requirement::on;
    let ms = Requirement::member_or_self;
    Ok(match op {
        OrganizationUpdate(req) => organization_update(req)?,
        OrganizationDelete => vec![r(ORGANIZATION, "delete")],
        OrganizationDeleteExternalId => vec![r(ORGANIZATION, "update.info.external-id")],
        OrganizationConnectedApps => vec![r(ORGANIZATION, "get.connected-apps")],
        MemberCreate(req) => {
            if req.trusted_metadata.is_some() {
                return Err(trusted_metadata_refused());
            }
            let mut v = vec![r(MEMBER, "create")];
            // A member who may create members must not thereby hand out roles or breakglass.
            if req.roles.as_ref().is_some_and(|r| !r.is_empty()) {
                v.push(r(MEMBER, "update.settings.roles"));
            }
            if req.is_breakglass == Some(true) {
                v.push(r(MEMBER, "update.settings.is-breakglass"));
            }
            v
        }
        MemberInvite {
            roles,
            trusted_metadata,
        } => {
            if trusted_metadata {
                return Err(trusted_metadata_refused());
            }
            let mut v = vec![r(MEMBER, "create")];
            if roles {
                v.push(r(MEMBER, "update.settings.roles"));
            }
            v
        }
        MemberUpdate(req) => member_update(req, is_self)?,
        MemberDelete => vec![ms("delete", is_self)],
        MemberReactivate => vec![r(MEMBER, "update.settings.reactivate")],
        MemberDeleteExternalId => vec![r(MEMBER, "update.info.external-id")],
        MembersSearch => vec![r(MEMBER, "search")],
        MemberConnectedApps => vec![ms("get.connected-apps", is_self)],
        MemberConnectedAppRevoke => vec![ms("revoke.connected-app", is_self)],
        SessionsRevoke => vec![ms("revoke-sessions", is_self)],
        OrganizationConnectedAppApprovals => {
            vec![r(ORGANIZATION, "update.settings.connected-apps")]
        }
    })
}

/// Per field of the organization update body (OpenAPI `api_organization_v1_UpdateRequest`).
fn organization_update(req: &OrganizationSettings) -> Result<Vec<Requirement>, ApiError> {
    if req.trusted_metadata.is_some() {
        return Err(trusted_metadata_refused());
    }
    let fields: [(bool, &'static str); 19] = [
        (req.organization_name.is_some(), "update.info.name"),
        (req.organization_slug.is_some(), "update.info.slug"),
        (req.organization_logo_url.is_some(), "update.info.logo-url"),
        (
            req.sso_default_connection_id.is_some(),
            "update.settings.default-sso-connection",
        ),
        (
            req.sso_jit_provisioning.is_some()
                || req.sso_jit_provisioning_allowed_connections.is_some(),
            "update.settings.sso-jit-provisioning",
        ),
        (
            req.email_allowed_domains.is_some(),
            "update.settings.allowed-domains",
        ),
        (
            req.email_jit_provisioning.is_some(),
            "update.settings.email-jit-provisioning",
        ),
        (req.email_invites.is_some(), "update.settings.email-invites"),
        (
            req.auth_methods.is_some() || req.allowed_auth_methods.is_some(),
            "update.settings.allowed-auth-methods",
        ),
        (req.mfa_policy.is_some(), "update.settings.mfa-policy"),
        (
            req.rbac_email_implicit_role_assignments.is_some(),
            "update.settings.implicit-roles",
        ),
        (
            req.mfa_methods.is_some() || req.allowed_mfa_methods.is_some(),
            "update.settings.allowed-mfa-methods",
        ),
        (
            req.oauth_tenant_jit_provisioning.is_some(),
            "update.settings.oauth-tenant-jit-provisioning",
        ),
        (
            req.allowed_oauth_tenants.is_some(),
            "update.settings.allowed-oauth-tenants",
        ),
        // Not documented per field by Stytch: admin-only actions, failing closed.
        (
            req.organization_external_id.is_some(),
            "update.info.external-id",
        ),
        (
            req.claimed_email_domains.is_some(),
            "update.settings.claimed-email-domains",
        ),
        (
            req.first_party_connected_apps_allowed_type.is_some()
                || req.allowed_first_party_connected_apps.is_some(),
            "update.settings.connected-apps",
        ),
        (
            req.third_party_connected_apps_allowed_type.is_some()
                || req.allowed_third_party_connected_apps.is_some(),
            "update.settings.connected-apps",
        ),
        // latchkey extension (issue 11 item 5): the registration-path policy.
        (
            req.client_registration_policy.is_some(),
            "update.settings.connected-apps",
        ),
    ];
    let mut out: Vec<Requirement> = Vec::new();
    for (given, action) in fields {
        let req = Requirement::on(ORGANIZATION, action);
        if given && !out.contains(&req) {
            out.push(req);
        }
    }
    Ok(out)
}

/// Per field of the member update body (OpenAPI `api_organization_v1_organizations_members_UpdateRequest`).
fn member_update(req: &MemberUpdateRequest, is_self: bool) -> Result<Vec<Requirement>, ApiError> {
    if req.trusted_metadata.is_some() {
        return Err(trusted_metadata_refused());
    }
    if is_self && req.email_address.is_some() {
        // "Members cannot update their own email address."
        return Err(ApiError::new(
            403,
            "session_authorization_error",
            "Members cannot update their own email address.",
        ));
    }
    let ms = |a| Requirement::member_or_self(a, is_self);
    let m = |a| Requirement::on(MEMBER, a);
    let fields = [
        (req.name.is_some(), ms("update.info.name")),
        (
            req.untrusted_metadata.is_some(),
            ms("update.info.untrusted-metadata"),
        ),
        (
            req.is_breakglass.is_some(),
            m("update.settings.is-breakglass"),
        ),
        (req.mfa_phone_number.is_some(), ms("update.info.mfa-phone")),
        (
            req.mfa_enrolled.is_some(),
            ms("update.settings.mfa-enrolled"),
        ),
        (req.roles.is_some(), m("update.settings.roles")),
        (
            req.default_mfa_method.is_some(),
            ms("update.settings.default-mfa-method"),
        ),
        (req.email_address.is_some(), m("update.info.email")),
        (req.external_id.is_some(), m("update.info.external-id")),
    ];
    Ok(fields
        .into_iter()
        .filter_map(|(given, r)| given.then_some(r))
        .collect())
}

/// The actor's verdict: the target organization must be the session's (403
/// `session_authorization_tenancy_error`) and every requirement must be granted by a held role
/// (403 `session_authorization_error`, naming the missing permission).
pub fn authorize_actor<S: AsRef<str>>(
    policy: &RbacPolicy,
    org_roles: &[CustomRole],
    role_ids: &[S],
    session_org_id: &str,
    target_org_id: &str,
    requirements: &[Requirement],
) -> Result<(), ApiError> {
    let check = |need: &Need| {
        authorize(
            policy,
            org_roles,
            role_ids,
            session_org_id,
            &AuthorizationCheck {
                organization_id: target_org_id.to_owned(),
                resource_id: need.resource_id.to_owned(),
                action: need.action.to_owned(),
            },
        )
    };
    if session_org_id != target_org_id {
        // Tenancy first, even for an operation with no field requirements.
        return check(&Need {
            resource_id: MEMBER,
            action: "*",
        })
        .map(|_| ());
    }
    for req in requirements {
        let mut last = None;
        let granted = req.0.iter().any(|need| match check(need) {
            Ok(_) => true,
            Err(e) => {
                last = Some(e);
                false
            }
        });
        if !granted {
            let first = req
                .0
                .first()
                .map(|n| format!("{}:{}", n.resource_id, n.action));
            return Err(match (last, first) {
                (Some(e), Some(p)) if e.status == 403 => ApiError::new(
                    403,
                    "session_authorization_error",
                    format!("The Member is not authorized to perform the requested action ({p})."),
                ),
                (Some(e), _) => e,
                (None, _) => ApiError::internal(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
