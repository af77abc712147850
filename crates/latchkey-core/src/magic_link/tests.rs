use super::*;
use crate::clock::OsTokens;
use serde_json::json;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

fn org(settings: serde_json::Value) -> Organization {
    let mut s = json!({"organization_name": "Acme", "organization_slug": "acme"});
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

fn member(o: &Organization, status: &str) -> Member {
    let mut m = crate::member::create(
        "member-test-1".into(),
        o,
        &serde_json::from_value(json!({"email_address": "a@acme.com"})).unwrap(),
        &["stytch_member"],
        NOW,
    )
    .unwrap();
    m.status = status.into();
    m
}

#[test]
fn login_or_signup_by_member_status() {
    let o = org(json!({}));
    let active = member(&o, "active");
    let pending = member(&o, "pending");
    let invited = member(&o, "invited");
    let d = |m: Option<&Member>| login_or_signup(&o, m, "a@acme.com");
    assert_eq!(d(Some(&active)).unwrap(), SendDecision::Login);
    assert_eq!(d(Some(&pending)).unwrap(), SendDecision::Signup);
    assert_eq!(d(Some(&invited)).unwrap(), SendDecision::Signup);
}

#[test]
fn jit_provisioning_rules() {
    let closed = org(json!({}));
    assert_eq!(
        login_or_signup(&closed, None, "a@acme.com")
            .unwrap_err()
            .error_type,
        "email_jit_provisioning_not_allowed"
    );
    let restricted = org(json!({
        "email_jit_provisioning": "RESTRICTED",
        "email_allowed_domains": ["acme.com"]
    }));
    assert_eq!(
        login_or_signup(&restricted, None, "new@ACME.com").unwrap(),
        SendDecision::SignupNewMember
    );
    assert_eq!(
        login_or_signup(&restricted, None, "x@other.io")
            .unwrap_err()
            .error_type,
        "invalid_email_for_jit_provisioning"
    );
}

#[test]
fn invite_rules() {
    let open = org(json!({}));
    assert_eq!(open.email_invites, "ALL_ALLOWED");
    assert_eq!(
        invite(&open, None, "x@any.io").unwrap(),
        InviteDecision::NewMember
    );
    assert_eq!(
        invite(&open, Some(&member(&open, "pending")), "a@acme.com").unwrap(),
        InviteDecision::Reinvite
    );
    assert_eq!(
        invite(&open, Some(&member(&open, "active")), "a@acme.com")
            .unwrap_err()
            .error_type,
        "duplicate_member_email"
    );
    let restricted =
        org(json!({"email_invites": "RESTRICTED", "email_allowed_domains": ["acme.com"]}));
    assert!(invite(&restricted, None, "b@acme.com").is_ok());
    assert_eq!(
        invite(&restricted, None, "b@other.io")
            .unwrap_err()
            .error_type,
        "invalid_email_for_invites"
    );
    let closed = org(json!({"email_invites": "NOT_ALLOWED"}));
    assert_eq!(invite(&closed, None, "b@acme.com").unwrap_err().status, 403);
}

#[test]
fn expirations() {
    assert_eq!(expiration_minutes("f", None, 60).unwrap(), 60);
    assert_eq!(expiration_minutes("f", Some(5), 60).unwrap(), 5);
    assert_eq!(expiration_minutes("f", Some(10_080), 60).unwrap(), 10_080);
    for bad in [4, 0, -1, 10_081] {
        assert_eq!(
            expiration_minutes("f", Some(bad), 60)
                .unwrap_err()
                .error_type,
            "invalid_expiration"
        );
    }
}

#[test]
fn redirect_urls() {
    let u = redirect_url(LinkKind::Login, Some("https://app.example/cb"), None).unwrap();
    assert_eq!(u.as_str(), "https://app.example/cb");
    let u = redirect_url(LinkKind::Signup, None, Some("http://localhost:3000/x")).unwrap();
    assert_eq!(u.host_str(), Some("localhost"));
    assert_eq!(
        redirect_url(LinkKind::Invite, Some(""), None)
            .unwrap_err()
            .error_type,
        "no_default_invite_redirect_url_set"
    );
    for bad in [
        "/relative",
        "javascript:alert(1)",
        "ftp://x.io/",
        "not a url",
    ] {
        assert_eq!(
            redirect_url(LinkKind::Login, Some(bad), None)
                .unwrap_err()
                .error_type,
            "invalid_login_redirect_url"
        );
    }
}

#[test]
fn link_keeps_existing_query_and_encodes() {
    let t = MagicLinkToken::generate(&OsTokens);
    assert_eq!(t.expose_secret().len(), 43);
    let u = Url::parse("https://app.example/cb?next=/a b&x=1").unwrap();
    let l = Url::parse(&link(&u, &t)).unwrap();
    let pairs: Vec<(String, String)> = l.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("next".into(), "/a b".into()));
    assert!(pairs.contains(&(
        "stytch_token_type".into(),
        "multi_tenant_magic_links".into()
    )));
    assert!(pairs.contains(&("token".into(), t.expose_secret().into())));
    assert!(t.hash().matches(t.expose_secret()));
    assert_eq!(format!("{t:?}"), "MagicLinkToken(<redacted>)");
}

#[test]
fn activation_and_errors() {
    let o = org(json!({}));
    let mut m = member(&o, "invited");
    activate(&mut m, NOW);
    assert_eq!(
        (m.status.as_str(), m.email_address_verified),
        ("active", true)
    );
    assert_eq!(Unusable::NotFound.to_api().status, 404);
    assert_eq!(
        Unusable::Expired.to_api().error_type,
        Unusable::AlreadyUsed.to_api().error_type
    );
    assert_eq!(
        LinkKind::parse(LinkKind::Invite.as_str()),
        Some(LinkKind::Invite)
    );
}

/// issue 9 #16: only registered URLs, the configured default, and loopback in test projects.
#[test]
fn redirect_allow_list() {
    let u = |s: &str| Url::parse(s).unwrap();
    let reg = vec!["https://app.example/auth?x=1".to_string()];
    assert!(redirect_allowed(
        &u("https://app.example/auth?x=1"),
        &reg,
        None,
        false
    ));
    assert!(!redirect_allowed(
        &u("https://app.example/auth"),
        &reg,
        None,
        false
    ));
    assert!(!redirect_allowed(
        &u("https://attacker.example/steal"),
        &reg,
        None,
        true
    ));
    assert!(redirect_allowed(
        &u("https://d.example/cb"),
        &[],
        Some("https://d.example/cb"),
        false
    ));
    assert!(redirect_allowed(
        &u("http://localhost:3000/authenticate"),
        &[],
        None,
        true
    ));
    assert!(redirect_allowed(
        &u("http://127.0.0.1:9/x"),
        &[],
        None,
        true
    ));
    assert!(!redirect_allowed(
        &u("http://localhost:3000/authenticate"),
        &[],
        None,
        false
    ));
    assert!(!redirect_allowed(
        &u("https://localhost/x"),
        &[],
        None,
        true
    ));
    assert!(!redirect_allowed(
        &u("http://localhost.evil.example/x"),
        &[],
        None,
        true
    ));
    assert_eq!(
        redirect_not_registered(LinkKind::Login).error_type,
        "no_match_for_provided_magic_link_url"
    );
}
