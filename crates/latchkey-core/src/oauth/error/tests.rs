use super::*;

#[test]
fn as_str_parse_round_trip_for_every_code() {
    for code in OAuthErrorCode::ALL {
        assert_eq!(OAuthErrorCode::parse(code.as_str()), Some(code));
        assert_eq!(code.to_string(), code.as_str());
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
    }
    assert_eq!(OAuthErrorCode::parse("Invalid_Request"), None);
    assert_eq!(OAuthErrorCode::parse(""), None);
}

#[test]
fn http_status_table() {
    let cases = [
        ("invalid_request", 400),
        ("invalid_client", 401),
        ("invalid_grant", 400),
        ("unauthorized_client", 400),
        ("unsupported_grant_type", 400),
        ("invalid_scope", 400),
        ("access_denied", 403),
        ("unsupported_response_type", 400),
        ("server_error", 500),
        ("temporarily_unavailable", 503),
        ("invalid_token", 401),
        ("insufficient_scope", 403),
        ("login_required", 400),
        ("consent_required", 400),
        ("interaction_required", 400),
        ("invalid_target", 400),
        ("authorization_pending", 400),
        ("slow_down", 400),
        ("expired_token", 400),
        ("invalid_dpop_proof", 400),
    ];
    assert_eq!(cases.len(), OAuthErrorCode::ALL.len());
    for (name, status) in cases {
        let code = OAuthErrorCode::parse(name).unwrap();
        assert_eq!(code.http_status(), status, "{name}");
    }
}

#[test]
fn www_authenticate_only_for_client_and_bearer_errors() {
    let with: Vec<_> = OAuthErrorCode::ALL
        .into_iter()
        .filter(|c| c.needs_www_authenticate())
        .map(OAuthErrorCode::as_str)
        .collect();
    assert_eq!(
        with,
        ["invalid_client", "invalid_token", "insufficient_scope"]
    );
}

#[test]
fn description_is_sanitised() {
    let e = OAuthError::new(OAuthErrorCode::InvalidRequest, "bad \"x\"\\\n é");
    assert_eq!(e.description, "bad ?x??? ?");
    assert_eq!(e.to_string(), "invalid_request: bad ?x??? ?");
    assert_eq!(OAuthError::invalid_grant("g").http_status(), 400);
    assert_eq!(
        OAuthError::access_denied("d").code,
        OAuthErrorCode::AccessDenied
    );
    assert_eq!(
        OAuthError::invalid_scope("s").code.as_str(),
        "invalid_scope"
    );
    assert_eq!(
        OAuthError::invalid_request("r").code.as_str(),
        "invalid_request"
    );
}
