//! Organization rules: defaults, validation and updates of the Organization object
//! (Stytch Create/Update Organization; https://stytch.com/docs/b2b/api/organization-object).

use latchkey_types::{Organization, OrganizationSettings};
use time::OffsetDateTime;

use crate::clock::rfc3339;
use crate::{validate, ApiError};

pub mod policy;
pub use policy::{allows, AuthMethod};

const JIT_ALL: &[&str] = &["ALL_ALLOWED", "RESTRICTED", "NOT_ALLOWED"];
const JIT_RESTRICTED: &[&str] = &["RESTRICTED", "NOT_ALLOWED"];
const AUTH_METHODS: &[&str] = &["ALL_ALLOWED", "RESTRICTED"];
const ALLOWED_AUTH_METHODS: &[&str] = &[
    "sso",
    "magic_link",
    "email_otp",
    "password",
    "google_oauth",
    "microsoft_oauth",
    "slack_oauth",
    "github_oauth",
    "hubspot_oauth",
];
const MFA_POLICY: &[&str] = &["OPTIONAL", "REQUIRED_FOR_ALL"];
const MFA_METHODS: &[&str] = &["sms_otp", "totp"];
const OAUTH_TENANT_KEYS: &[&str] = &["slack", "hubspot", "github"];

/// Creates an Organization from a create request. `slug_fallback` is used when the request
/// has no slug (derived from the name by the caller's choice of suffix).
pub fn create(
    organization_id: String,
    settings: &OrganizationSettings,
    slug_fallback: impl FnOnce(&str) -> String,
    known_roles: &[&str],
    now: OffsetDateTime,
) -> Result<Organization, ApiError> {
    let name = settings
        .organization_name
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("organization_name"))?;
    let name = validate::organization_name(name)?;
    let slug = match settings.organization_slug.as_deref() {
        Some(s) => validate::slug(s)?,
        None => validate::slug(&slug_fallback(&name))?,
    };
    let ts = rfc3339(now);
    // Stytch: with no authentication settings given, email_invites defaults to ALL_ALLOWED;
    // with some given and email_invites omitted, it defaults to NOT_ALLOWED.
    let any_auth_setting = settings.sso_jit_provisioning.is_some()
        || settings.email_jit_provisioning.is_some()
        || settings.email_allowed_domains.is_some()
        || settings.auth_methods.is_some()
        || settings.allowed_auth_methods.is_some();
    let mut org = Organization {
        organization_id,
        organization_name: name,
        organization_logo_url: String::new(),
        organization_slug: slug,
        organization_external_id: None,
        trusted_metadata: Default::default(),
        created_at: ts.clone(),
        updated_at: ts,
        sso_jit_provisioning: "ALL_ALLOWED".into(),
        sso_jit_provisioning_allowed_connections: vec![],
        sso_active_connections: vec![],
        sso_default_connection_id: None,
        scim_active_connection: None,
        email_allowed_domains: vec![],
        email_jit_provisioning: "NOT_ALLOWED".into(),
        email_invites: if any_auth_setting {
            "NOT_ALLOWED"
        } else {
            "ALL_ALLOWED"
        }
        .into(),
        auth_methods: "ALL_ALLOWED".into(),
        allowed_auth_methods: vec![],
        mfa_policy: "OPTIONAL".into(),
        rbac_email_implicit_role_assignments: vec![],
        mfa_methods: "ALL_ALLOWED".into(),
        allowed_mfa_methods: vec![],
        oauth_tenant_jit_provisioning: "NOT_ALLOWED".into(),
        allowed_oauth_tenants: Default::default(),
        claimed_email_domains: vec![],
        first_party_connected_apps_allowed_type: "ALL_ALLOWED".into(),
        allowed_first_party_connected_apps: vec![],
        third_party_connected_apps_allowed_type: "ALL_ALLOWED".into(),
        allowed_third_party_connected_apps: vec![],
        custom_roles: vec![],
        client_registration_policy: Default::default(),
    };
    apply(&mut org, settings, known_roles)?;
    Ok(org)
}

/// Applies an update request: absent fields are left unchanged, present ones replace.
pub fn update(
    org: &mut Organization,
    settings: &OrganizationSettings,
    known_roles: &[&str],
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    if let Some(name) = settings.organization_name.as_deref() {
        org.organization_name = validate::organization_name(name)?;
    }
    if let Some(slug) = settings.organization_slug.as_deref() {
        org.organization_slug = validate::slug(slug)?;
    }
    apply(org, settings, known_roles)?;
    org.updated_at = rfc3339(now);
    Ok(())
}

/// The settings shared by create and update (everything but name and slug).
fn apply(
    org: &mut Organization,
    s: &OrganizationSettings,
    known_roles: &[&str],
) -> Result<(), ApiError> {
    use validate::{all_of, one_of};
    if let Some(v) = &s.organization_logo_url {
        org.organization_logo_url = validate::optional_url("organization_logo_url", v)?;
    }
    if let Some(v) = &s.trusted_metadata {
        org.trusted_metadata = v.clone();
    }
    if let Some(v) = &s.organization_external_id {
        org.organization_external_id = if v.is_empty() {
            None
        } else {
            Some(validate::external_id(
                "organization_external_id",
                "invalid_organization_external_id",
                v,
            )?)
        };
    }
    if let Some(v) = &s.sso_jit_provisioning {
        org.sso_jit_provisioning = one_of("sso_jit_provisioning", v, JIT_ALL)?;
    }
    if let Some(v) = &s.sso_jit_provisioning_allowed_connections {
        org.sso_jit_provisioning_allowed_connections = dedup(v);
    }
    if let Some(v) = &s.sso_default_connection_id {
        org.sso_default_connection_id = (!v.is_empty()).then(|| v.clone());
    }
    if let Some(v) = &s.email_allowed_domains {
        org.email_allowed_domains = domains(v)?;
    }
    if let Some(v) = &s.claimed_email_domains {
        org.claimed_email_domains = domains(v)?;
    }
    if let Some(v) = &s.email_jit_provisioning {
        org.email_jit_provisioning = one_of("email_jit_provisioning", v, JIT_RESTRICTED)?;
    }
    if let Some(v) = &s.email_invites {
        org.email_invites = one_of("email_invites", v, JIT_ALL)?;
    }
    if let Some(v) = &s.auth_methods {
        org.auth_methods = one_of("auth_methods", v, AUTH_METHODS)?;
    }
    if let Some(v) = &s.allowed_auth_methods {
        org.allowed_auth_methods = all_of("allowed_auth_methods", v, ALLOWED_AUTH_METHODS)?;
    }
    if let Some(v) = &s.mfa_policy {
        org.mfa_policy = one_of("mfa_policy", v, MFA_POLICY)?;
    }
    if let Some(v) = &s.mfa_methods {
        org.mfa_methods = one_of("mfa_methods", v, AUTH_METHODS)?;
    }
    if let Some(v) = &s.allowed_mfa_methods {
        org.allowed_mfa_methods = all_of("allowed_mfa_methods", v, MFA_METHODS)?;
    }
    if let Some(v) = &s.rbac_email_implicit_role_assignments {
        for a in v {
            validate::email_domain(&a.domain)?;
            role_exists(&a.role_id, known_roles, org)?;
        }
        org.rbac_email_implicit_role_assignments = v.clone();
    }
    if let Some(v) = &s.oauth_tenant_jit_provisioning {
        org.oauth_tenant_jit_provisioning =
            one_of("oauth_tenant_jit_provisioning", v, JIT_RESTRICTED)?;
    }
    if let Some(v) = &s.allowed_oauth_tenants {
        for key in v.keys() {
            one_of("allowed_oauth_tenants", key, OAUTH_TENANT_KEYS)?;
        }
        org.allowed_oauth_tenants = v.clone();
    }
    connected_apps_policy(org, s)?;
    check_restricted(org)
}

fn connected_apps_policy(org: &mut Organization, s: &OrganizationSettings) -> Result<(), ApiError> {
    if let Some(v) = &s.first_party_connected_apps_allowed_type {
        org.first_party_connected_apps_allowed_type =
            validate::one_of("first_party_connected_apps_allowed_type", v, JIT_ALL)?;
    }
    if let Some(v) = &s.allowed_first_party_connected_apps {
        org.allowed_first_party_connected_apps = dedup(v);
    }
    if let Some(v) = &s.third_party_connected_apps_allowed_type {
        org.third_party_connected_apps_allowed_type =
            validate::one_of("third_party_connected_apps_allowed_type", v, JIT_ALL)?;
    }
    if let Some(v) = &s.allowed_third_party_connected_apps {
        org.allowed_third_party_connected_apps = dedup(v);
    }
    if let Some(v) = &s.client_registration_policy {
        registration_policy(&mut org.client_registration_policy, v)?;
    }
    Ok(())
}

/// The latchkey extension `client_registration_policy` (crate::oauth::agent_policy): absent
/// fields unchanged, host entries normalized.
fn registration_policy(
    p: &mut latchkey_types::ClientRegistrationPolicy,
    s: &latchkey_types::ClientRegistrationPolicySettings,
) -> Result<(), ApiError> {
    use crate::oauth::agent_policy::{normalize_host, CIMD_TYPES, DCR_TYPES};
    if let Some(v) = &s.cimd_allowed_type {
        p.cimd_allowed_type = validate::one_of("cimd_allowed_type", v, CIMD_TYPES)?;
    }
    if let Some(v) = &s.dcr_allowed_type {
        p.dcr_allowed_type = validate::one_of("dcr_allowed_type", v, DCR_TYPES)?;
    }
    if let Some(hosts) = &s.allowed_cimd_hosts {
        let mut out = Vec::with_capacity(hosts.len());
        for h in hosts {
            let host = normalize_host(h).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_allowed_cimd_host",
                    format!("{h:?} is not a host name (a bare host such as agents.example.com, or *.example.com)."),
                )
            })?;
            out.push(host);
        }
        p.allowed_cimd_hosts = dedup(&out);
    }
    Ok(())
}

/// Cross-field rules that hold after every create and update.
fn check_restricted(org: &Organization) -> Result<(), ApiError> {
    if org.auth_methods == "RESTRICTED" && org.allowed_auth_methods.is_empty() {
        return Err(ApiError::bad_request(
            "allowed_auth_methods_required_for_restricted",
            "Allowed auth methods must be set for 'RESTRICTED' auth methods",
        ));
    }
    if org.mfa_methods == "RESTRICTED" && org.allowed_mfa_methods.is_empty() {
        return Err(ApiError::bad_request(
            "allowed_mfa_methods_required_for_restricted",
            "Allowed MFA methods must be set for 'RESTRICTED' MFA methods",
        ));
    }
    if org.email_jit_provisioning == "RESTRICTED" && org.email_allowed_domains.is_empty() {
        return Err(ApiError::bad_request(
            "email_allowed_domains_required_for_restricted",
            "email_allowed_domains must be set when email_jit_provisioning is RESTRICTED",
        ));
    }
    Ok(())
}

/// A role id that may be assigned in this organization: a project role or an org custom role.
pub fn role_exists(
    role_id: &str,
    known_roles: &[&str],
    org: &Organization,
) -> Result<(), ApiError> {
    if known_roles.contains(&role_id) || org.custom_roles.iter().any(|r| r.role_id == role_id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "role_not_found",
            format!("Role {role_id:?} does not exist in the project's RBAC policy."),
        ))
    }
}

/// A slug from a name: lowercase alphanumerics with single hyphens, at most 100 characters.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(100).collect();
    if out.len() < 2 {
        format!("org-{out}")
    } else {
        out
    }
}

fn domains(v: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::with_capacity(v.len());
    for d in v {
        let d = validate::email_domain(d)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn settings(json: serde_json::Value) -> OrganizationSettings {
        serde_json::from_value(json).unwrap()
    }

    const ROLES: &[&str] = &["stytch_member", "stytch_admin"];
    const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

    #[test]
    fn create_applies_defaults() {
        let s = settings(serde_json::json!({"organization_name": " Acme Co "}));
        let org = create("organization-test-1".into(), &s, slugify, ROLES, NOW).unwrap();
        assert_eq!(org.organization_name, "Acme Co");
        assert_eq!(org.organization_slug, "acme-co");
        assert_eq!(org.email_invites, "ALL_ALLOWED");
        assert_eq!(org.created_at, "2026-01-02T03:04:05Z");
        assert_eq!(org.third_party_connected_apps_allowed_type, "ALL_ALLOWED");
    }

    #[test]
    fn create_validates() {
        let cases = [
            (serde_json::json!({}), "missing_required_field"),
            (
                serde_json::json!({"organization_name": ""}),
                "invalid_organization_name",
            ),
            (
                serde_json::json!({"organization_name": "a", "organization_slug": "a b"}),
                "invalid_organization_slug",
            ),
            (
                serde_json::json!({"organization_name": "a", "sso_jit_provisioning": "MAYBE"}),
                "bad_request",
            ),
            (
                serde_json::json!({"organization_name": "a", "auth_methods": "RESTRICTED"}),
                "allowed_auth_methods_required_for_restricted",
            ),
            (
                serde_json::json!({"organization_name": "a", "email_allowed_domains": ["not a domain"]}),
                "invalid_email_domain",
            ),
            (
                serde_json::json!({"organization_name": "a", "rbac_email_implicit_role_assignments": [{"domain": "a.com", "role_id": "nope"}]}),
                "role_not_found",
            ),
        ];
        for (json, want) in cases {
            let err = create("o".into(), &settings(json.clone()), slugify, ROLES, NOW).unwrap_err();
            assert_eq!(err.error_type, want, "{json}");
        }
    }

    #[test]
    fn auth_settings_flip_invite_default() {
        let s = settings(
            serde_json::json!({"organization_name": "a", "email_allowed_domains": ["A.com"]}),
        );
        let org = create("o".into(), &s, slugify, ROLES, NOW).unwrap();
        assert_eq!(org.email_invites, "NOT_ALLOWED");
        assert_eq!(org.email_allowed_domains, vec!["a.com"]);
    }

    #[test]
    fn update_changes_only_given_fields() {
        let s =
            settings(serde_json::json!({"organization_name": "Acme", "organization_slug": "acme"}));
        let mut org = create("o".into(), &s, slugify, ROLES, NOW).unwrap();
        let later = datetime!(2026-02-01 00:00:00 UTC);
        update(
            &mut org,
            &settings(serde_json::json!({"mfa_policy": "REQUIRED_FOR_ALL"})),
            ROLES,
            later,
        )
        .unwrap();
        assert_eq!(org.organization_slug, "acme");
        assert_eq!(org.mfa_policy, "REQUIRED_FOR_ALL");
        assert_eq!(org.updated_at, "2026-02-01T00:00:00Z");
        assert_eq!(org.created_at, "2026-01-02T03:04:05Z");
    }

    #[test]
    fn slugify_names() {
        assert_eq!(slugify("Acme, Inc."), "acme-inc");
        assert_eq!(slugify("É"), "org-");
        assert_eq!(slugify("x"), "org-x");
    }
}
