//! Token exchange rules (RFC 8693 §2.1, §2.2.2, §4.1).

use super::*;
use latchkey_types::ResourceScope;

fn resource(url: &str, scopes: &[&str]) -> ResourceServer {
    ResourceServer {
        resource_id: format!("resource-test-{}", url.len()),
        url: url.into(),
        name: "r".into(),
        scopes: scopes
            .iter()
            .map(|s| ResourceScope {
                scope: (*s).into(),
                description: String::new(),
            })
            .collect(),
        access_token_expiry_minutes: None,
        audience_includes_project_id: false,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

#[test]
fn scopes_are_a_subset_of_the_subject_tokens() {
    let r = resource("https://backend.example.com/api", &["read", "write"]);
    assert_eq!(
        scopes("openid read write", Some("read"), &r).unwrap(),
        ["read"]
    );
    assert_eq!(
        scopes("read", Some("read write"), &r).unwrap_err().code,
        OAuthErrorCode::InvalidScope
    );
    // None asked: what the subject holds and the resource takes (built-ins stay, offline does not).
    assert_eq!(
        scopes("openid offline_access full_access read other", None, &r).unwrap(),
        ["openid", "read"]
    );
    assert_eq!(
        scopes("other", Some("other"), &r).unwrap_err().code,
        OAuthErrorCode::InvalidScope
    );
    assert_eq!(
        scopes("offline_access", None, &r).unwrap_err().code,
        OAuthErrorCode::InvalidScope
    );
}

#[test]
fn one_registered_target() {
    let a = resource("https://a.example/api", &[]);
    let b = resource("https://bb.example/api", &[]);
    let reg = vec![a.clone(), b.clone()];
    let unbound = ["project-test-1".to_string()];
    let url_a = "https://a.example/api".to_string();
    assert_eq!(
        target(std::slice::from_ref(&url_a), &[], &reg, &unbound).unwrap(),
        a
    );
    assert_eq!(
        target(&[], std::slice::from_ref(&b.resource_id), &reg, &unbound).unwrap(),
        b
    );
    let both = target(
        std::slice::from_ref(&url_a),
        std::slice::from_ref(&url_a),
        &reg,
        &unbound,
    );
    assert_eq!(both.unwrap(), a);
    // A token bound to a only narrows to a, never moves to b.
    let bound_to_a = [a.url.clone(), "project-test-1".to_string()];
    assert!(target(std::slice::from_ref(&a.url), &[], &reg, &bound_to_a).is_ok());
    let e = target(std::slice::from_ref(&b.url), &[], &reg, &bound_to_a).unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidTarget);
    for (res, aud) in [
        (vec![], vec![]),
        (vec!["https://c.example/".to_string()], vec![]),
        (vec![url_a.clone()], vec![b.resource_id.clone()]),
    ] {
        assert_eq!(
            target(&res, &aud, &reg, &unbound).unwrap_err().code,
            OAuthErrorCode::InvalidTarget
        );
    }
}

#[test]
fn never_outlives_the_subject() {
    assert_eq!(lifetime(100, 400, 3600).unwrap(), 300);
    assert_eq!(lifetime(100, 10_000, 3600).unwrap(), 3600);
    assert!(lifetime(100, 100, 3600).is_err());
}

#[test]
fn act_chain_nests_prior_actors() {
    // RFC 8693 §4.1's example: the current actor outermost, prior actors nested.
    let prior = serde_json::json!({"sub": "https://service16.example.com"});
    let actor = serde_json::json!({"sub": "https://service77.example.com", "client_id": "c"});
    let act = act_claim(Some(&actor), Some(&prior)).unwrap().unwrap();
    assert_eq!(
        act,
        serde_json::json!({"sub": "https://service77.example.com", "client_id": "c",
                            "act": {"sub": "https://service16.example.com"}})
    );
    assert_eq!(act_claim(None, Some(&prior)).unwrap(), Some(prior.clone()));
    assert_eq!(act_claim(None, None).unwrap(), None);
    let mut deep = prior;
    for _ in 0..MAX_ACT_DEPTH {
        deep = serde_json::json!({"sub": "x", "act": deep});
    }
    assert!(act_claim(Some(&actor), Some(&deep)).is_err());
}

#[test]
fn token_types() {
    assert!(check_token_type("subject_token_type", Some(ACCESS_TOKEN_TYPE), true).is_ok());
    assert!(check_token_type("subject_token_type", None, true).is_err());
    assert!(check_token_type("requested_token_type", None, false).is_ok());
    let e = check_token_type(
        "subject_token_type",
        Some("urn:ietf:params:oauth:token-type:id_token"),
        true,
    );
    assert_eq!(e.unwrap_err().code, OAuthErrorCode::InvalidRequest);
}
