//! ID-JAG claim rules, from the draft's example (§3.1: iss, sub, aud, client_id, jti, exp,
//! iat, resource, scope) and its error cases.

use super::*;
use serde_json::json;

const AS: &str = "https://auth.example.com";
const NOW: i64 = 1_700_000_000;

fn trusted() -> IdentityAssertionIssuer {
    IdentityAssertionIssuer {
        issuer_id: "identity-assertion-issuer-test-1".into(),
        organization_id: "organization-test-1".into(),
        issuer: "https://acme.idp.example".into(),
        jwks_url: "https://acme.idp.example/jwks".into(),
        allowed_client_ids: vec!["connected-app-test-1".into()],
        subject_mapping: issuer::SUBJECT_EXTERNAL_ID.into(),
        created_at: String::new(),
        updated_at: String::new(),
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://acme.idp.example", "sub": "U019488227", "aud": AS,
        "client_id": "connected-app-test-1", "jti": "9e43f81b64a33f20116179",
        "exp": NOW + 300, "iat": NOW, "resource": "https://mcp.chat.example/",
        "scope": "chat.read chat.history",
    })
}

fn expect() -> Expect<'static> {
    Expect {
        issuer: AS,
        client_id: "connected-app-test-1",
        now: NOW,
    }
}

fn err(c: Value) -> String {
    check_claims(&c, &trusted(), &expect())
        .unwrap_err()
        .description
}

#[test]
fn accepts_the_drafts_example() {
    let j = check_claims(&claims(), &trusted(), &expect()).unwrap();
    assert_eq!(j.sub, "U019488227");
    assert_eq!(j.resource.as_deref(), Some("https://mcp.chat.example/"));
    assert_eq!(j.scope.as_deref(), Some("chat.read chat.history"));
    assert_eq!(j.auth_time, NOW);
    let mut c = claims();
    c["aud"] = json!(["https://other.example", AS]);
    assert!(check_claims(&c, &trusted(), &expect()).is_ok());
}

#[test]
fn refuses_each_broken_claim() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("iss", json!("https://evil.example"), "trusted"),
        ("aud", json!("https://other.example"), "aud"),
        ("client_id", json!("connected-app-test-2"), "client_id"),
        ("exp", json!(NOW - SKEW_SECS - 1), "expired"),
        ("iat", json!(NOW + SKEW_SECS + 1), "future"),
        ("iat", json!(NOW - MAX_AGE_SECS - 1), "seconds ago"),
        ("jti", json!(""), "jti"),
        ("sub", json!(null), "sub"),
        ("resource", json!(["a", "b"]), "resource"),
    ];
    for (claim, value, want) in cases {
        let mut c = claims();
        c[claim] = value;
        let e = err(c);
        assert!(e.contains(want), "{claim}: {e}");
    }
    for claim in ["exp", "iat", "jti", "aud"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        assert!(
            check_claims(&c, &trusted(), &expect()).is_err(),
            "{claim} missing"
        );
    }
}

#[test]
fn the_issuer_must_allow_the_client() {
    let mut t = trusted();
    t.allowed_client_ids.clear();
    let e = check_claims(&claims(), &t, &expect()).unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidGrant);
    assert!(e.description.contains("allowed_client_ids"));
}

#[test]
fn header_must_be_typed() {
    assert!(check_header(Some("oauth-id-jag+jwt"), "RS256").is_ok());
    assert!(check_header(Some("application/OAuth-ID-JAG+JWT"), "ES256").is_ok());
    assert!(check_header(None, "RS256").is_err());
    assert!(check_header(Some("JWT"), "RS256").is_err());
    assert!(check_header(Some("oauth-id-jag+jwt"), "HS256").is_err());
}

#[test]
fn member_is_found_by_external_id_only() {
    let mut m: Member = serde_json::from_value(json!({
        "organization_id": "organization-test-1", "member_id": "member-test-1", "email_address": "u019488227@acme.example",
        "email_address_verified": true, "status": "active", "name": "Ada",
        "trusted_metadata": {}, "untrusted_metadata": {}, "is_breakglass": false,
        "member_password_id": "", "oauth_registrations": [], "sso_registrations": [], "scim_registration": null,
        "mfa_enrolled": false, "mfa_phone_number": "", "mfa_phone_number_verified": false,
        "default_mfa_method": "", "totp_registration_id": "", "retired_email_addresses": [], "is_admin": false,
        "is_locked": false, "lock_created_at": null, "lock_expires_at": null, "external_id": "U019488227", "roles": [],
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    assert!(member_matches(&trusted(), &m, "U019488227"));
    assert!(!member_matches(&trusted(), &m, "u019488227@acme.example"));
    assert!(!member_matches(&trusted(), &m, "member-test-1"));
    m.external_id = None;
    assert!(!member_matches(&trusted(), &m, "U019488227"));
}

#[test]
fn scopes_narrow_never_widen() {
    let s = requested_scopes(Some("a b"), Some("b")).unwrap();
    assert_eq!(s.to_vec(), ["b"]);
    assert_eq!(
        requested_scopes(Some("a"), Some("a c")).unwrap_err().code,
        OAuthErrorCode::InvalidScope
    );
    assert_eq!(
        requested_scopes(None, None).unwrap_err().code,
        OAuthErrorCode::InvalidScope
    );
}

#[test]
fn public_clients_may_not_be_allowed() {
    assert!(check_allowed(ClientType::FirstPartyPublic, true).is_err());
    assert!(check_allowed(ClientType::FirstParty, true).is_ok());
    assert!(check_allowed(ClientType::ThirdPartyPublic, false).is_ok());
}
