use latchkey_types::ClientRegistrationRequest;

use super::*;
use crate::oauth::redirect_uri_matches_native;

fn req(uris: &[&str]) -> ClientRegistrationRequest {
    ClientRegistrationRequest {
        redirect_uris: Some(uris.iter().map(|s| s.to_string()).collect()),
        client_name: Some("Claude Code".into()),
        ..Default::default()
    }
}

#[test]
fn loopback_without_application_type_is_native() {
    let r = Registration::parse(&req(&["http://localhost:33418/callback"])).unwrap();
    assert!(r.native);
    assert_eq!(r.client_type(), ClientType::ThirdPartyPublic);
    assert_eq!(r.metadata()["application_type"], "native");
}

#[test]
fn web_clients_keep_the_management_rules() {
    let mut q = req(&["http://localhost:3000/cb"]);
    q.application_type = Some("web".into());
    assert_eq!(
        Registration::parse(&q).unwrap_err().code,
        "invalid_redirect_uri"
    );
    let q = req(&["http://evil.example/cb"]);
    assert_eq!(
        Registration::parse(&q).unwrap_err().code,
        "invalid_redirect_uri"
    );
    let q = req(&["https://claude.ai/api/mcp/auth_callback"]);
    assert!(!Registration::parse(&q).unwrap().native);
}

#[test]
fn confidential_methods_make_third_party_clients() {
    let mut q = req(&["https://claude.ai/api/mcp/auth_callback"]);
    q.token_endpoint_auth_method = Some("client_secret_post".into());
    let r = Registration::parse(&q).unwrap();
    assert_eq!(r.client_type(), ClientType::ThirdParty);
    assert_eq!(r.dedup_key(), None);
    q.token_endpoint_auth_method = Some("private_key_jwt".into());
    assert_eq!(
        Registration::parse(&q).unwrap_err().code,
        "invalid_client_metadata"
    );
}

#[test]
fn unknown_grant_types_are_ignored_but_code_is_required() {
    let mut q = req(&["http://127.0.0.1/cb"]);
    q.grant_types = Some(vec![
        "authorization_code".into(),
        "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
    ]);
    let r = Registration::parse(&q).unwrap();
    assert_eq!(
        r.metadata()["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    q.grant_types = Some(vec!["client_credentials".into()]);
    assert!(Registration::parse(&q).is_err());
}

#[test]
fn names_are_sanitised_and_uris_must_be_https() {
    let mut q = req(&["http://127.0.0.1/cb"]);
    q.client_name = Some("  Evil\u{202E}\nApp\u{0007} ".into());
    assert_eq!(Registration::parse(&q).unwrap().client_name, "Evil App");
    q.logo_uri = Some("javascript:alert(1)".into());
    assert_eq!(
        Registration::parse(&q).unwrap_err().code,
        "invalid_client_metadata"
    );
}

#[test]
fn identical_public_registrations_share_a_key() {
    let a = Registration::parse(&req(&["http://127.0.0.1/cb"])).unwrap();
    let b = Registration::parse(&req(&["http://127.0.0.1/cb"])).unwrap();
    let c = Registration::parse(&req(&["http://127.0.0.1/other"])).unwrap();
    assert_eq!(a.dedup_key(), b.dedup_key());
    assert_ne!(a.dedup_key(), c.dedup_key());
}

#[test]
fn native_loopback_matches_any_port_but_nothing_else() {
    let reg = vec!["http://localhost:33418/callback".to_string()];
    assert!(redirect_uri_matches_native(&reg, "http://localhost:5555/callback").is_some());
    assert!(redirect_uri_matches_native(&reg, "http://localhost/callback").is_some());
    assert!(redirect_uri_matches_native(&reg, "http://localhost:5555/other").is_none());
    assert!(redirect_uri_matches_native(&reg, "http://127.0.0.1:5555/callback").is_none());
    assert!(
        redirect_uri_matches_native(&reg, "http://localhost.evil.example:5555/callback").is_none()
    );
    assert!(
        redirect_uri_matches_native(&reg, "http://localhost:5555@evil.example/callback").is_none()
    );
    let reg = vec!["http://[::1]/cb".to_string()];
    assert!(redirect_uri_matches_native(&reg, "http://[::1]:8080/cb").is_some());
}

#[test]
fn desktop_app_schemes_make_native_clients() {
    let r = Registration::parse(&req(&[
        "cursor://anysphere.cursor-retrieval/oauth/callback",
    ]))
    .unwrap();
    assert!(r.native);
    for bad in [
        "javascript:alert(1)//",
        "data:text/html,x",
        "file:///etc/passwd",
    ] {
        let mut q = req(&[bad]);
        q.application_type = Some("native".into());
        assert_eq!(
            Registration::parse(&q).unwrap_err().code,
            "invalid_redirect_uri",
            "{bad}"
        );
    }
}
