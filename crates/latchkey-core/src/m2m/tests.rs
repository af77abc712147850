use serde_json::json;

use super::*;
use crate::clock::OsTokens;

fn new_client(v: serde_json::Value) -> Result<NewM2MClient, ApiError> {
    create(
        "project-test-00000000-0000-0000-0000-000000000000",
        &serde_json::from_value(v).unwrap(),
        &OsTokens,
    )
}

#[test]
fn create_defaults_and_imports() {
    let n = new_client(json!({"scopes": ["read:users", "read:users", "write:users"]})).unwrap();
    assert!(n.client.client_id.starts_with("m2m-client-test-"));
    assert_eq!(n.client.scopes, ["read:users", "write:users"]);
    assert_eq!(n.client.status, "active");
    assert_eq!(n.client.client_secret_last_four, n.secret.last_four());
    let secret = "s".repeat(40);
    let n = new_client(json!({"scopes": [], "client_id": "legacy-svc", "client_secret": secret}))
        .unwrap();
    assert_eq!(n.client.client_id, "legacy-svc");
    assert_eq!(n.secret.expose_secret(), secret);
}

#[test]
fn create_refuses_bad_input() {
    for (v, field) in [
        (json!({}), "scopes"),
        (json!({"scopes": ["a b"]}), "invalid_scope"),
        (json!({"scopes": [""]}), "invalid_scope"),
        (
            json!({"scopes": [], "client_id": "connected-app-test-x"}),
            "client_id",
        ),
        (
            json!({"scopes": [], "client_secret": "short"}),
            "client_secret",
        ),
        (
            json!({"scopes": [], "trusted_metadata": [1]}),
            "trusted_metadata",
        ),
    ] {
        let e = new_client(v.clone()).unwrap_err();
        assert!(
            e.error_type.contains(field) || e.message.contains(field),
            "{v}: {e:?}"
        );
    }
}

#[test]
fn update_status_and_scopes() {
    let mut c = new_client(json!({"scopes": ["a"]})).unwrap().client;
    let req = serde_json::from_value(json!({"status": "inactive", "scopes": ["b"]})).unwrap();
    update(&mut c, &req).unwrap();
    assert_eq!(
        (c.status.as_str(), c.scopes.clone()),
        ("inactive", vec!["b".to_string()])
    );
    let bad = serde_json::from_value(json!({"status": "paused"})).unwrap();
    assert!(update(&mut c, &bad).is_err());
}

#[test]
fn token_scopes_are_a_subset_and_inactive_clients_get_none() {
    let mut c = new_client(json!({"scopes": ["read:users", "write:users"]}))
        .unwrap()
        .client;
    assert_eq!(token_scopes(&c, None).unwrap(), c.scopes);
    assert_eq!(
        token_scopes(&c, Some("read:users")).unwrap(),
        ["read:users"]
    );
    let e = token_scopes(&c, Some("read:users admin")).unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidScope);
    c.status = STATUS_INACTIVE.into();
    assert_eq!(
        token_scopes(&c, None).unwrap_err().code,
        OAuthErrorCode::InvalidClient
    );
}

#[test]
fn secrets_current_and_next_both_authenticate() {
    let n = new_client(json!({"scopes": []})).unwrap();
    let next = Secret::from_presented("n".repeat(40));
    let mut creds = M2MCredentials {
        project_id: "p".into(),
        client: n.client,
        secret_hash: n.secret.hash(),
        next_secret_hash: None,
    };
    assert!(authenticate(&creds, Some(n.secret.expose_secret())).is_ok());
    assert!(authenticate(&creds, Some(next.expose_secret())).is_err());
    assert!(authenticate(&creds, None).is_err());
    creds.next_secret_hash = Some(next.hash());
    assert!(authenticate(&creds, Some(next.expose_secret())).is_ok());
    assert!(authenticate(&creds, Some(n.secret.expose_secret())).is_ok());
}

#[test]
fn claims_carry_metadata_but_not_over_registered_claims() {
    let c = new_client(json!({"scopes": ["a"], "trusted_metadata": {"team": "ops", "sub": "evil", "https://stytch.com/x": 1}}))
        .unwrap()
        .client;
    let f = TokenFacts {
        issuer: "https://auth.example.com",
        project_id: "project-test-1",
        jti: "j",
        now: 100,
    };
    let claims = access_token_claims(&c, &["a".into()], &f);
    assert_eq!(claims["sub"], c.client_id.as_str());
    assert_eq!(claims["aud"], json!(["project-test-1"]));
    assert_eq!(claims["scope"], "a");
    assert_eq!(claims["exp"], 100 + TOKEN_LIFETIME_SECS);
    assert_eq!(claims["team"], "ops");
    assert!(claims.get("https://stytch.com/x").is_none());
}

#[test]
fn search_filters() {
    let c = new_client(json!({"scopes": ["a", "b"], "client_name": "svc"}))
        .unwrap()
        .client;
    let q = |v: serde_json::Value| {
        let q: latchkey_types::SearchQuery = serde_json::from_value(v).unwrap();
        crate::search::m2m_clients(Some(&q), None, None).unwrap()
    };
    assert!(matches(&c, &q(json!({"operator": "AND", "operands": []}))));
    assert!(matches(
        &c,
        &q(
            json!({"operator": "AND", "operands": [{"filter_name": "scopes", "filter_value": ["b"]}, {"filter_name": "client_name", "filter_value": ["svc"]}]})
        )
    ));
    assert!(!matches(
        &c,
        &q(
            json!({"operator": "AND", "operands": [{"filter_name": "client_id", "filter_value": ["other"]}]})
        )
    ));
    assert!(matches(
        &c,
        &q(
            json!({"operator": "OR", "operands": [{"filter_name": "client_id", "filter_value": ["other"]}, {"filter_name": "scopes", "filter_value": ["a"]}]})
        )
    ));
}
