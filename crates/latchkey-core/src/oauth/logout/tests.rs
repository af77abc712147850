use super::*;
use serde_json::json;

fn subject(m: &str, o: &str) -> Subject {
    Subject {
        member_id: m.into(),
        organization_id: o.into(),
    }
}

#[test]
fn the_client_is_client_id_or_the_hint_audience_and_both_must_agree() {
    assert_eq!(logout_client(Some("a"), None), Ok(Some("a".into())));
    assert_eq!(logout_client(None, Some("b")), Ok(Some("b".into())));
    assert_eq!(logout_client(Some("a"), Some("a")), Ok(Some("a".into())));
    assert_eq!(logout_client(Some(""), Some("")), Ok(None));
    assert_eq!(
        logout_client(Some("a"), Some("b")),
        Err(LogoutError::ClientMismatch)
    );
}

#[test]
fn only_registered_redirects_and_state_is_appended() {
    let reg = vec!["https://rp.example/bye".to_string()];
    assert_eq!(post_logout_redirect(None, Some(&reg), Some("s")), Ok(None));
    let u = post_logout_redirect(Some("https://rp.example/bye"), Some(&reg), Some("s 1"))
        .unwrap()
        .unwrap();
    assert_eq!(u.as_str(), "https://rp.example/bye?state=s+1");
    for bad in ["https://rp.example/bye/", "https://evil.example/bye"] {
        assert_eq!(
            post_logout_redirect(Some(bad), Some(&reg), None),
            Err(LogoutError::UnregisteredRedirect)
        );
    }
    // No client, nothing registered.
    assert_eq!(
        post_logout_redirect(Some("https://rp.example/bye"), None, None),
        Err(LogoutError::UnregisteredRedirect)
    );
    let odd = vec!["not a url".to_string()];
    assert_eq!(
        post_logout_redirect(Some("not a url"), Some(&odd), None),
        Err(LogoutError::InvalidRedirect)
    );
}

#[test]
fn confirmation_unless_a_verified_hint_names_the_session() {
    let ann = subject("member-1", "org-1");
    assert!(confirmation_required(None, None));
    assert!(confirmation_required(None, Some(&ann)));
    assert!(!confirmation_required(Some(&ann), None));
    assert!(!confirmation_required(Some(&ann), Some(&ann)));
    assert!(confirmation_required(
        Some(&ann),
        Some(&subject("member-2", "org-1"))
    ));
    assert!(confirmation_required(
        Some(&ann),
        Some(&subject("member-1", "org-2"))
    ));
}

#[test]
fn subject_and_audience_of_tokens() {
    let claims =
        json!({"sub": "member-1", "https://stytch.com/organization": {"organization_id": "org-1"}});
    assert_eq!(
        Subject::of_claims(&claims),
        Some(subject("member-1", "org-1"))
    );
    assert_eq!(Subject::of_claims(&json!({"sub": "member-1"})), None);
    let enc = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    let jwt = |aud: Value| format!("e30.{}.sig", enc(json!({ "aud": aud })));
    assert_eq!(unverified_audience(&jwt(json!("c-1"))), Some("c-1".into()));
    assert_eq!(
        unverified_audience(&jwt(json!(["c-2", "x"]))),
        Some("c-2".into())
    );
    assert_eq!(unverified_audience(&jwt(json!(7))), None);
    assert_eq!(unverified_audience("garbage"), None);
}

#[test]
fn errors_have_a_page_message_and_a_stytch_error() {
    for e in [
        LogoutError::ClientMismatch,
        LogoutError::UnknownClient,
        LogoutError::UnregisteredRedirect,
        LogoutError::InvalidRedirect,
    ] {
        assert!(!e.message().is_empty());
        let api = e.api_error();
        assert!((400..500).contains(&api.status), "{api:?}");
    }
    assert_eq!(
        LogoutError::UnknownClient.api_error().error_type,
        "connected_app_not_found"
    );
}
