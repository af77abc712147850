#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

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
fn primary_factor_yields_intermediate_then_second_completes() {
    let o = org(json!({"mfa_policy": "REQUIRED_FOR_ALL"}));
    let m = member(&o);
    let pw = session::factor("password", "knowledge", &m, NOW);
    let Outcome::Intermediate(factors) = decide(&o, &m, None, pw) else {
        panic!("MFA required: intermediate expected");
    };
    let ist = start("project-test-1", &m, factors, NOW);
    assert_eq!(ist.expires_at - ist.created_at, 600);
    check(&ist, &m, NOW).unwrap();
    assert_eq!(
        check(&ist, &m, NOW + time::Duration::minutes(10))
            .unwrap_err()
            .error_type,
        "intermediate_session_not_found"
    );
    let totp = session::factor("totp", "authenticator_app", &m, NOW);
    let Outcome::Session(all) = decide(&o, &m, Some(&ist), totp) else {
        panic!("second factor: session expected");
    };
    let kinds: Vec<_> = all.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds, ["password", "totp"]);
    let rec = complete(
        "session-1".into(),
        "project-test-1",
        &m,
        all,
        None,
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(rec.factors.len(), 2);
}

#[test]
fn optional_policy_gives_a_session_and_another_member_is_refused() {
    let o = org(json!({}));
    let m = member(&o);
    let ml = session::factor("magic_link", "email", &m, NOW);
    assert!(matches!(
        decide(&o, &m, None, ml.clone()),
        Outcome::Session(_)
    ));
    let ist = start("p", &m, vec![ml], NOW);
    let mut other = m.clone();
    other.member_id = "member-test-2".into();
    assert!(check(&ist, &other, NOW).is_err());
    let body = mfa_required_body(&m, None);
    assert_eq!(body.member_options.unwrap().totp_registration_id, "");
    assert!(format!(
        "{:?}",
        IntermediateSessionToken::generate(&crate::clock::OsTokens)
    )
    .contains("redacted"));
}
