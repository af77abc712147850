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
fn mfa_required_by_policy_or_enrollment() {
    let o = org(json!({}));
    let mut m = member(&o);
    let pw = crate::session::factor("password", "knowledge", &m, NOW);
    assert!(mfa_satisfied(&o, &m, std::slice::from_ref(&pw)));
    m.mfa_enrolled = true;
    assert!(mfa_required(&o, &m));
    assert!(!mfa_satisfied(&o, &m, std::slice::from_ref(&pw)));
    let totp = crate::session::factor("totp", "authenticator_app", &m, NOW);
    assert!(mfa_satisfied(&o, &m, &[pw.clone(), totp]));
    let strict = org(json!({"mfa_policy": "REQUIRED_FOR_ALL"}));
    let m = member(&strict);
    assert!(!mfa_satisfied(&strict, &m, std::slice::from_ref(&pw)));
    assert_eq!(
        require_mfa_satisfied(&strict, &m, &[pw])
            .unwrap_err()
            .error_type,
        "mfa_required"
    );
    let mut odd = org(json!({}));
    odd.mfa_policy = "?".into();
    assert!(mfa_required(&odd, &member(&odd)));
}

#[test]
fn mfa_methods_restricted() {
    let o = org(
        json!({"mfa_policy": "REQUIRED_FOR_ALL", "mfa_methods": "RESTRICTED", "allowed_mfa_methods": ["sms_otp"]}),
    );
    let m = member(&o);
    assert!(allows_mfa(&o, MfaMethod::SmsOtp));
    assert!(!allows_mfa(&o, MfaMethod::Totp));
    assert_eq!(
        require_mfa_method(&o, MfaMethod::Totp)
            .unwrap_err()
            .error_type,
        "unauthorized_mfa_method"
    );
    let pw = crate::session::factor("password", "knowledge", &m, NOW);
    let totp = crate::session::factor("totp", "authenticator_app", &m, NOW);
    let rc = crate::session::factor("recovery_codes", "recovery_code", &m, NOW);
    let sms = crate::session::factor("otp", "sms", &m, NOW);
    assert!(!mfa_satisfied(&o, &m, &[pw.clone(), totp]));
    assert!(!mfa_satisfied(&o, &m, &[pw.clone(), rc]));
    assert!(mfa_satisfied(&o, &m, &[pw, sms]));
    let mut odd = o.clone();
    odd.mfa_methods = "?".into();
    assert!(!allows_mfa(&odd, MfaMethod::SmsOtp));
}
