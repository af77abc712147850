//! Member rules: creation, updates and the effective roles shown on the Member object
//! (https://stytch.com/docs/b2b/api/member-object, RBAC role assignment guide).
//!
//! The stored member keeps only *directly assigned* roles; [`render`] adds the implicit
//! `stytch_member` role and email-domain assignments from the organization, so a change to the
//! organization's policy shows up on every member without rewriting them.

use latchkey_types::{
    Member, MemberCreateRequest, MemberRole, MemberRoleSource, MemberUpdateRequest, Organization,
};
use time::OffsetDateTime;

use crate::clock::rfc3339;
use crate::organization::role_exists;
use crate::{validate, ApiError};

/// Every member holds this role (Stytch RBAC defaults).
pub const MEMBER_ROLE: &str = "stytch_member";
/// Holding this role makes `is_admin` true.
pub const ADMIN_ROLE: &str = "stytch_admin";
const MFA_METHODS: &[&str] = &["sms_otp", "totp"];

/// Whether the member may log in and act: `status: active` (not pending, invited or deleted).
pub fn is_active(m: &Member) -> bool {
    m.status == "active"
}

/// Builds a new member from a create request.
pub fn create(
    member_id: String,
    org: &Organization,
    req: &MemberCreateRequest,
    known_roles: &[&str],
    now: OffsetDateTime,
) -> Result<Member, ApiError> {
    let email = req
        .email_address
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("email_address"))?;
    let ts = rfc3339(now);
    let mut m = Member {
        organization_id: org.organization_id.clone(),
        member_id,
        email_address: validate::email(email)?,
        email_address_verified: false,
        status: if req.create_member_as_pending.unwrap_or(false) {
            "pending"
        } else {
            "active"
        }
        .into(),
        name: String::new(),
        trusted_metadata: Default::default(),
        untrusted_metadata: Default::default(),
        is_breakglass: false,
        member_password_id: String::new(),
        oauth_registrations: vec![],
        sso_registrations: vec![],
        scim_registration: None,
        mfa_enrolled: false,
        mfa_phone_number: String::new(),
        mfa_phone_number_verified: false,
        default_mfa_method: String::new(),
        totp_registration_id: String::new(),
        retired_email_addresses: vec![],
        is_admin: false,
        is_locked: false,
        lock_created_at: None,
        lock_expires_at: None,
        external_id: None,
        roles: vec![],
        created_at: ts.clone(),
        updated_at: ts,
    };
    let update = MemberUpdateRequest {
        name: req.name.clone(),
        trusted_metadata: req.trusted_metadata.clone(),
        untrusted_metadata: req.untrusted_metadata.clone(),
        is_breakglass: req.is_breakglass,
        mfa_phone_number: req.mfa_phone_number.clone(),
        mfa_enrolled: req.mfa_enrolled,
        roles: req.roles.clone(),
        external_id: req.external_id.clone(),
        ..Default::default()
    };
    apply(&mut m, org, &update, known_roles)?;
    Ok(m)
}

/// Applies an update request; absent fields stay as they are.
pub fn update(
    m: &mut Member,
    org: &Organization,
    req: &MemberUpdateRequest,
    known_roles: &[&str],
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    if let Some(email) = req.email_address.as_deref() {
        let email = validate::email(email)?;
        if email != m.email_address {
            // Stytch: a changed email must be verified again.
            m.email_address = email;
            m.email_address_verified = false;
        }
    }
    apply(m, org, req, known_roles)?;
    m.updated_at = rfc3339(now);
    Ok(())
}

fn apply(
    m: &mut Member,
    org: &Organization,
    req: &MemberUpdateRequest,
    known_roles: &[&str],
) -> Result<(), ApiError> {
    if let Some(v) = &req.name {
        if v.chars().count() > 256 {
            return Err(ApiError::invalid_field(
                "name",
                "must be at most 256 characters",
            ));
        }
        m.name = v.trim().to_string();
    }
    if let Some(v) = &req.trusted_metadata {
        m.trusted_metadata = v.clone();
    }
    if let Some(v) = &req.untrusted_metadata {
        m.untrusted_metadata = v.clone();
    }
    if let Some(v) = req.is_breakglass {
        m.is_breakglass = v;
    }
    if let Some(v) = &req.mfa_phone_number {
        if v != &m.mfa_phone_number {
            m.mfa_phone_number = if v.is_empty() {
                String::new()
            } else {
                validate::e164(v)?
            };
            m.mfa_phone_number_verified = false;
        }
    }
    if let Some(v) = req.mfa_enrolled {
        m.mfa_enrolled = v;
    }
    if let Some(v) = &req.default_mfa_method {
        m.default_mfa_method = validate::one_of("default_mfa_method", v, MFA_METHODS)?;
    }
    if let Some(v) = &req.external_id {
        m.external_id = if v.is_empty() {
            None
        } else {
            Some(validate::external_id(
                "external_id",
                "invalid_external_id",
                v,
            )?)
        };
    }
    if let Some(roles) = &req.roles {
        m.roles = direct_roles(roles, org, known_roles)?;
    }
    Ok(())
}

/// Validates requested role ids into direct assignments. `stytch_member` is implicit for
/// everyone, so asking for it is accepted and not stored.
fn direct_roles(
    roles: &[String],
    org: &Organization,
    known_roles: &[&str],
) -> Result<Vec<MemberRole>, ApiError> {
    let mut out: Vec<MemberRole> = Vec::with_capacity(roles.len());
    for r in roles {
        role_exists(r, known_roles, org)?;
        if r != MEMBER_ROLE && !out.iter().any(|x| &x.role_id == r) {
            out.push(MemberRole {
                role_id: r.clone(),
                sources: vec![source("direct_assignment", None)],
            });
        }
    }
    Ok(out)
}

/// The Member object as the API shows it: stored direct roles plus the implicit
/// `stytch_member` role and the organization's email-domain assignments; `is_admin` follows.
pub fn render(stored: &Member, org: &Organization) -> Member {
    let mut m = stored.clone();
    let mut roles = vec![MemberRole {
        role_id: MEMBER_ROLE.into(),
        sources: vec![source("direct_assignment", None)],
    }];
    roles.extend(stored.roles.iter().cloned());
    let domain = m.email_address.rsplit('@').next().unwrap_or_default();
    for a in &org.rbac_email_implicit_role_assignments {
        if a.domain.eq_ignore_ascii_case(domain) && m.email_address_verified {
            let src = source("email_assignment", Some(("email_domain", &a.domain)));
            match roles.iter_mut().find(|r| r.role_id == a.role_id) {
                Some(r) => r.sources.push(src),
                None => roles.push(MemberRole {
                    role_id: a.role_id.clone(),
                    sources: vec![src],
                }),
            }
        }
    }
    m.is_admin = roles.iter().any(|r| r.role_id == ADMIN_ROLE);
    m.roles = roles;
    m
}

/// The role ids a member effectively holds (for RBAC decisions).
pub fn effective_role_ids(stored: &Member, org: &Organization) -> Vec<String> {
    render(stored, org)
        .roles
        .into_iter()
        .map(|r| r.role_id)
        .collect()
}

fn source(kind: &str, detail: Option<(&str, &str)>) -> MemberRoleSource {
    let mut details = serde_json::Map::new();
    if let Some((k, v)) = detail {
        details.insert(k.into(), v.into());
    }
    MemberRoleSource {
        kind: kind.into(),
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ROLES: &[&str] = &["stytch_member", "stytch_admin", "editor"];
    const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

    fn org() -> Organization {
        let s = serde_json::from_value(serde_json::json!({
            "organization_name": "Acme",
            "rbac_email_implicit_role_assignments": [{"domain": "acme.com", "role_id": "editor"}]
        }))
        .unwrap();
        crate::organization::create(
            "organization-test-1".into(),
            &s,
            crate::organization::slugify,
            ROLES,
            NOW,
        )
        .unwrap()
    }

    fn req(json: serde_json::Value) -> MemberCreateRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn create_and_render_roles() {
        let org = org();
        let m = create("m".into(), &org, &req(serde_json::json!({
            "email_address": "Ada@Acme.com", "roles": ["stytch_admin", "stytch_member", "stytch_admin"]
        })), ROLES, NOW).unwrap();
        assert_eq!(m.email_address, "ada@acme.com");
        assert_eq!(m.status, "active");
        assert_eq!(m.roles.len(), 1);
        let shown = render(&m, &org);
        assert!(shown.is_admin);
        let ids: Vec<_> = shown.roles.iter().map(|r| r.role_id.as_str()).collect();
        assert_eq!(ids, vec!["stytch_member", "stytch_admin"]);
        // Email-domain roles apply once the email is verified.
        let mut verified = m.clone();
        verified.email_address_verified = true;
        assert!(effective_role_ids(&verified, &org).contains(&"editor".to_string()));
    }

    #[test]
    fn create_validates() {
        let org = org();
        let cases = [
            (serde_json::json!({}), "missing_required_field"),
            (
                serde_json::json!({"email_address": "nope"}),
                "invalid_email",
            ),
            (
                serde_json::json!({"email_address": "a@b.co", "roles": ["ghost"]}),
                "role_not_found",
            ),
            (
                serde_json::json!({"email_address": "a@b.co", "mfa_phone_number": "555"}),
                "invalid_phone_number",
            ),
            (
                serde_json::json!({"email_address": "a@b.co", "external_id": "a b"}),
                "invalid_external_id",
            ),
        ];
        for (json, want) in cases {
            let err = create("m".into(), &org, &req(json.clone()), ROLES, NOW).unwrap_err();
            assert_eq!(err.error_type, want, "{json}");
        }
    }

    #[test]
    fn update_email_resets_verification() {
        let org = org();
        let mut m = create(
            "m".into(),
            &org,
            &req(serde_json::json!({"email_address": "a@b.co", "create_member_as_pending": true})),
            ROLES,
            NOW,
        )
        .unwrap();
        assert_eq!(m.status, "pending");
        m.email_address_verified = true;
        let up: MemberUpdateRequest =
            serde_json::from_value(serde_json::json!({"email_address": "c@b.co", "name": "C"}))
                .unwrap();
        update(&mut m, &org, &up, ROLES, NOW).unwrap();
        assert_eq!(
            (
                m.email_address.as_str(),
                m.email_address_verified,
                m.name.as_str()
            ),
            ("c@b.co", false, "C")
        );
    }
}
