use super::*;

fn member() -> Member {
    serde_json::from_value(json!({
        "organization_id": "organization-test-1", "member_id": "member-test-1", "email_address": "ada@acme.com",
        "email_address_verified": true, "status": "active", "name": "Ada King Lovelace",
        "trusted_metadata": {"plan": "pro", "tier": {"level": 3}}, "untrusted_metadata": {}, "is_breakglass": false,
        "member_password_id": "", "oauth_registrations": [], "sso_registrations": [], "scim_registration": null,
        "mfa_enrolled": false, "mfa_phone_number": "+12025550123", "mfa_phone_number_verified": false,
        "default_mfa_method": "", "totp_registration_id": "", "retired_email_addresses": [], "is_admin": false,
        "is_locked": false, "lock_created_at": null, "lock_expires_at": null, "external_id": null, "roles": [],
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap()
}

fn org() -> Organization {
    let s = serde_json::from_value(json!({"organization_name": "Acme", "organization_slug": "acme", "trusted_metadata": {"region": "eu"}})).unwrap();
    crate::organization::create(
        "organization-test-1".into(),
        &s,
        crate::organization::slugify,
        &[],
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap()
}

fn grant(scopes: &[&str]) -> Grant {
    Grant {
        grant_id: "g".into(),
        project_id: "project-test-1".into(),
        client_id: "connected-app-test-1".into(),
        member_id: "member-test-1".into(),
        organization_id: "organization-test-1".into(),
        member_session_id: None,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        auth_time: 90,
        resources: vec![],
    }
}

#[test]
fn access_token_layout() {
    let g = grant(&["openid", "read:docs"]);
    let custom = render_template(
        r#"{"plan": "{{ member.trusted_metadata.plan }}", "sub": "x"}"#,
        &member(),
        &org(),
        &[],
    );
    let aud = vec![
        "project-test-1".to_string(),
        "https://api.acme.test".to_string(),
    ];
    let facts = AccessTokenFacts {
        issuer: "https://login.acme.test",
        audience: &aud,
        jti: "jti-1",
        now: 100,
        lifetime_secs: 3600,
    };
    let c = access_token(&g, &g.scopes, &org(), &custom, &facts);
    assert_eq!(c["aud"], json!(["project-test-1", "https://api.acme.test"]));
    assert_eq!(c["scope"], "openid read:docs");
    assert_eq!(c["client_id"], "connected-app-test-1");
    assert_eq!(
        c["sub"], "member-test-1",
        "templates cannot override registered claims"
    );
    assert_eq!(c["plan"], "pro");
    assert_eq!(c["exp"], 3700);
    assert_eq!(c["https://stytch.com/organization"]["slug"], "acme");
}

#[test]
fn id_token_claims_follow_scopes() {
    let m = member();
    let c = id_token(
        &grant(&["openid"]),
        &["openid".into()],
        "https://i",
        &m,
        &org(),
        "hash",
        100,
    );
    assert_eq!(c["aud"], json!(["connected-app-test-1"]));
    assert_eq!(c["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(c["auth_time"], 90);
    assert_eq!(c["at_hash"], "hash");
    assert!(c.get("email").is_none());
    let scopes: Vec<String> = ["openid", "email", "profile", "phone"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let c = id_token(
        &grant(&["openid"]),
        &scopes,
        "https://i",
        &m,
        &org(),
        "hash",
        100,
    );
    assert_eq!(c["email"], "ada@acme.com");
    assert_eq!(c["email_verified"], true);
    assert_eq!(
        (c["given_name"].as_str(), c["family_name"].as_str()),
        (Some("Ada"), Some("King Lovelace"))
    );
    assert_eq!(c["phone_number"], "+12025550123");
}

#[test]
fn userinfo_and_templates() {
    let u = userinfo(&member(), &["email".into()]);
    assert_eq!(
        Value::Object(u),
        json!({"sub": "member-test-1", "email": "ada@acme.com", "email_verified": true})
    );
    let t = render_template(
        r#"{"level": "{{ member.trusted_metadata.tier.level }}", "roles": "{{member.rbac.roles}}", "region": "{{ organization.trusted_metadata.region }}",
            "missing": "{{ member.trusted_metadata.nope }}", "literal": "hello", "nested": {"p": "{{ member.trusted_metadata.plan }}"}, "iss": "evil"}"#,
        &member(),
        &org(),
        &["stytch_member".to_string()],
    );
    assert_eq!(
        Value::Object(t),
        json!({"level": 3, "roles": ["stytch_member"], "region": "eu", "literal": "hello", "nested": {"p": "pro"}})
    );
    assert!(render_template("not json", &member(), &org(), &[]).is_empty());
}
