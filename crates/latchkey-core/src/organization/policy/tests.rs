use super::*;
use serde_json::json;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

fn org(settings: serde_json::Value) -> Organization {
    let mut s = json!({"organization_name": "A", "organization_slug": "acme"});
    if let (Some(base), Some(extra)) = (s.as_object_mut(), settings.as_object()) {
        base.extend(extra.clone());
    }
    crate::organization::create(
        "organization-test-1".into(),
        &serde_json::from_value(s).unwrap(),
        crate::organization::slugify,
        &["stytch_member"],
        NOW,
    )
    .unwrap()
}

fn member(o: &Organization) -> Member {
    crate::member::create(
        "member-test-1".into(),
        o,
        &serde_json::from_value(json!({"email_address": "a@acme.com"})).unwrap(),
        &["stytch_member"],
        NOW,
    )
    .unwrap()
}

#[test]
fn all_allowed_and_restricted() {
    let open = org(json!({}));
    assert!(allows(&open, AuthMethod::MagicLink));
    let sso = org(json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso"]}));
    assert!(!allows(&sso, AuthMethod::MagicLink));
    assert!(!allows(&sso, AuthMethod::Password));
    assert!(allows(&sso, AuthMethod::Sso));
    assert_eq!(
        require(&sso, AuthMethod::MagicLink).unwrap_err().error_type,
        "unauthorized_auth_method"
    );
}

#[test]
fn unreadable_auth_methods_allow_nothing() {
    let mut o = org(json!({}));
    o.auth_methods = "SOMETIMES".into();
    assert!(!allows(&o, AuthMethod::Password));
    o.auth_methods = String::new();
    assert!(!allows(&o, AuthMethod::MagicLink));
}

#[test]
fn session_factors_against_policy() {
    let o = org(json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["magic_link"]}));
    let m = member(&o);
    let pw = crate::session::factor("password", "knowledge", &m, NOW);
    let ml = crate::session::factor("magic_link", "email", &m, NOW);
    assert!(!allows_factors(&o, std::slice::from_ref(&pw)));
    assert!(allows_factors(&o, &[pw, ml]));
    assert!(!allows_factors(&o, &[]));
}

#[test]
fn mfa_fails_closed() {
    let o = org(json!({}));
    let mut m = member(&o);
    assert!(primary_login(&o, &m, AuthMethod::Password).is_ok());
    m.mfa_enrolled = true;
    assert_eq!(
        require_no_mfa(&o, &m).unwrap_err().error_type,
        "mfa_required_not_supported"
    );
    let strict = org(json!({"mfa_policy": "REQUIRED_FOR_ALL"}));
    let m = member(&strict);
    assert!(primary_login(&strict, &m, AuthMethod::MagicLink).is_err());
    let mut odd = org(json!({}));
    odd.mfa_policy = "?".into();
    assert!(mfa_required(&odd, &member(&odd)));
}
