use latchkey_types::ConnectedAppSettings;
use serde_json::json;

use super::*;
use crate::clock::OsTokens;
use crate::secret::SecretHash;

fn settings(v: serde_json::Value) -> ConnectedAppSettings {
    serde_json::from_value(v).unwrap()
}

fn create_err(v: serde_json::Value) -> String {
    create("c".into(), &settings(v), &OsTokens)
        .unwrap_err()
        .error_type
        .into_owned()
}

#[test]
fn defaults_and_secrets_by_type() {
    for t in ClientType::ALL {
        let new = create(
            "c".into(),
            &settings(json!({"client_type": t.as_str()})),
            &OsTokens,
        )
        .unwrap();
        let a = &new.app;
        assert_eq!(a.client_type, t.as_str());
        assert_eq!(
            (a.status.as_str(), a.creation_method.as_str()),
            ("active", "api")
        );
        assert_eq!(a.access_token_expiry_minutes, 60);
        assert_eq!(a.client_name, "");
        assert!(!a.full_access_allowed && !a.bypass_consent_for_offline_access);
        assert_eq!(new.secret.is_some(), !t.is_public(), "{t}");
        if let Some(s) = &new.secret {
            assert_eq!(s.expose_secret().len(), 48);
            assert_eq!(a.client_secret_last_four.as_deref(), Some(&*s.last_four()));
        } else {
            assert_eq!(a.client_secret_last_four, None);
        }
    }
}

#[test]
fn client_type_is_required_and_checked() {
    assert_eq!(create_err(json!({})), "missing_required_field");
    assert_eq!(
        create_err(json!({"client_type": "public"})),
        "invalid_connected_app_type"
    );
}

#[test]
fn third_party_rules() {
    for t in ["third_party", "third_party_public"] {
        assert_eq!(
            create_err(json!({"client_type": t, "full_access_allowed": true})),
            "third_party_clients_cannot_use_full_access"
        );
        assert_eq!(
            create_err(json!({"client_type": t, "bypass_consent_for_offline_access": true})),
            "third_party_clients_require_consent_for_offline_access"
        );
    }
    let ok = json!({"client_type": "first_party_public", "full_access_allowed": true, "bypass_consent_for_offline_access": true});
    assert!(create("c".into(), &settings(ok), &OsTokens).is_ok());
    // Update checks the merged result.
    let mut app = create(
        "c".into(),
        &settings(json!({"client_type": "third_party"})),
        &OsTokens,
    )
    .unwrap()
    .app;
    let e = update(&mut app, &settings(json!({"full_access_allowed": true}))).unwrap_err();
    assert_eq!(e.error_type, "third_party_clients_cannot_use_full_access");
}

#[test]
fn redirect_urls_are_validated_and_deduplicated() {
    let cases = [
        (
            "http://example.com/cb",
            "connected_app_redirect_url_must_use_https_scheme",
        ),
        (
            "example.com/cb",
            "connected_app_redirect_url_must_include_scheme",
        ),
        (
            "ftp://example.com/cb",
            "connected_app_redirect_url_must_use_http_or_https_scheme",
        ),
        (
            "http://10.0.0.1/cb",
            "connected_app_redirect_url_http_scheme_must_use_loopback",
        ),
        (
            "http://localhost:3000/cb",
            "connected_app_redirect_url_cannot_use_localhost",
        ),
        (
            "https://example.com/cb#frag",
            "connected_app_invalid_redirect_url",
        ),
    ];
    for (url, want) in cases {
        assert_eq!(
            create_err(json!({"client_type": "first_party", "redirect_urls": [url]})),
            want,
            "{url}"
        );
        assert_eq!(
            create_err(json!({"client_type": "first_party", "post_logout_redirect_urls": [url]})),
            want,
            "{url}"
        );
    }
    let urls = [
        "https://a.example/cb",
        "http://127.0.0.1/cb",
        "com.example.app:/cb",
        "https://a.example/cb",
    ];
    let new = create(
        "c".into(),
        &settings(json!({"client_type": "first_party_public", "redirect_urls": urls})),
        &OsTokens,
    )
    .unwrap();
    assert_eq!(new.app.redirect_urls, &urls[..3]);
}

#[test]
fn expiry_audience_logo() {
    for (v, ok) in [
        (4, false),
        (5, true),
        (60, true),
        (1440, true),
        (1441, false),
        (-1, false),
    ] {
        let r = create(
            "c".into(),
            &settings(json!({"client_type": "first_party", "access_token_expiry_minutes": v})),
            &OsTokens,
        );
        assert_eq!(r.is_ok(), ok, "{v}");
        if !ok {
            assert_eq!(
                r.unwrap_err().error_type,
                "idp_invalid_access_token_expiry_minutes"
            );
        }
    }
    for bad in ["has space", ":nope", "1:2", "a\u{1}b", &"x".repeat(513)] {
        assert_eq!(
            create_err(json!({"client_type": "first_party", "access_token_custom_audience": bad})),
            "idp_invalid_access_token_custom_audience",
            "{bad}"
        );
    }
    let new = create("c".into(), &settings(json!({"client_type": "first_party", "access_token_custom_audience": "https://api.example.com", "logo_url": "https://cdn.example/logo.png"})), &OsTokens).unwrap();
    assert_eq!(
        new.app.access_token_custom_audience.as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(
        new.app.logo_url.as_deref(),
        Some("https://cdn.example/logo.png")
    );
    assert_eq!(
        create_err(json!({"client_type": "first_party", "logo_url": "javascript:alert(1)"})),
        "bad_request"
    );
    let mut app = new.app;
    update(
        &mut app,
        &settings(json!({"access_token_custom_audience": "", "logo_url": ""})),
    )
    .unwrap();
    assert_eq!(
        (app.access_token_custom_audience, app.logo_url),
        (None, None)
    );
}

#[test]
fn templates() {
    let ok = [
        "",
        r#"{}"#,
        r#"{"tier": "{{ member.trusted_metadata.tier }}", "n": 1, "b": true, "o": {"x": "lit"}}"#,
    ];
    for t in ok {
        assert!(
            validate_template(t, TemplateKind::AccessToken).is_ok(),
            "{t}"
        );
    }
    let bad = [
        "not json",
        "[1]",
        r#""str""#,
        r#"{"sub": "x"}"#,
        r#"{"https://stytch.com/organization": {}}"#,
        r#"{"a": null}"#,
        r#"{"a": [1]}"#,
        r#"{"a": "{{ unclosed"}"#,
        r#"{"a": "{{ }}"}"#,
        r#"{"": 1}"#,
        r#"{"{{ k }}": 1}"#,
    ];
    for t in bad {
        let e = validate_template(t, TemplateKind::AccessToken).unwrap_err();
        assert_eq!(e.error_type, "idp_invalid_access_token_jwt_template", "{t}");
    }
    let big = format!(r#"{{"a": "{}"}}"#, "x".repeat(4096));
    assert!(validate_template(&big, TemplateKind::AccessToken).is_err());
    assert!(validate_template(r#"{"nonce": "x"}"#, TemplateKind::AccessToken).is_ok());
    assert!(validate_template(r#"{"nonce": "x"}"#, TemplateKind::IdToken).is_err());
}

#[test]
fn rotation_state_machine() {
    use RotationStep::*;
    use SecretState::*;
    for step in [Start, Complete, Cancel] {
        assert_eq!(
            check_rotation(Public, step),
            Err(RotationError::PublicClient)
        );
    }
    assert_eq!(check_rotation(Current, Start), Ok(()));
    assert_eq!(
        check_rotation(Current, Complete),
        Err(RotationError::NotRotating)
    );
    assert_eq!(
        check_rotation(Current, Cancel),
        Err(RotationError::NotRotating)
    );
    assert_eq!(
        check_rotation(Rotating, Start),
        Err(RotationError::AlreadyRotating)
    );
    assert_eq!(check_rotation(Rotating, Complete), Ok(()));
    assert_eq!(check_rotation(Rotating, Cancel), Ok(()));
    assert_eq!(SecretState::of(false, true), Public);
    assert_eq!(
        ApiError::from(RotationError::AlreadyRotating).error_type,
        "connected_app_already_rotating_secret"
    );
}

fn creds(t: ClientType, current: Option<&str>, next: Option<&str>) -> ClientCredentials {
    ClientCredentials {
        project_id: "p".into(),
        client_id: "c".into(),
        client_type: t,
        secret_hash: current.map(SecretHash::of),
        next_secret_hash: next.map(SecretHash::of),
    }
}

#[test]
fn client_authentication() {
    let c = creds(ClientType::FirstParty, Some("cur"), None);
    assert_eq!(authenticate_client(&c, Some("cur")), Ok(()));
    assert_eq!(
        authenticate_client(&c, Some("next")),
        Err(ClientAuthError::InvalidSecret)
    );
    assert_eq!(
        authenticate_client(&c, None),
        Err(ClientAuthError::MissingSecret)
    );
    assert_eq!(
        authenticate_client(&c, Some("")),
        Err(ClientAuthError::MissingSecret)
    );
    let r = creds(ClientType::ThirdParty, Some("cur"), Some("next"));
    assert_eq!(authenticate_client(&r, Some("cur")), Ok(()));
    assert_eq!(authenticate_client(&r, Some("next")), Ok(()));
    assert_eq!(
        authenticate_client(&r, Some("other")),
        Err(ClientAuthError::InvalidSecret)
    );
    let p = creds(ClientType::ThirdPartyPublic, None, None);
    assert_eq!(authenticate_client(&p, None), Ok(()));
    assert_eq!(authenticate_client(&p, Some("")), Ok(()));
    assert_eq!(
        authenticate_client(&p, Some("x")),
        Err(ClientAuthError::PublicClientSentSecret)
    );
    // A confidential client with no stored hash fails closed.
    let broken = creds(ClientType::FirstParty, None, None);
    assert_eq!(
        authenticate_client(&broken, Some("x")),
        Err(ClientAuthError::InvalidSecret)
    );
    assert_eq!(
        ClientAuthError::InvalidSecret.oauth_code().as_str(),
        "invalid_client"
    );
}

#[test]
fn client_ids() {
    let id = new_client_id("project-live-x", &OsTokens);
    assert!(crate::ids::is_id_of_kind(&id, "connected-app"), "{id}");
    assert!(id.starts_with("connected-app-live-"));
}
