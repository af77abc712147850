use super::*;

#[test]
fn response_type_table() {
    assert_eq!(ResponseType::parse("code"), Ok(ResponseType::Code));
    for bad in ["", "token", "Code", "code id_token", "id_token", " code"] {
        let err = ResponseType::parse(bad).unwrap_err();
        assert_eq!(err.error_type(), "oauth_unsupported_response_type");
        assert_eq!(err.to_oauth().code, OAuthErrorCode::UnsupportedResponseType);
    }
}

type PromptCase<'a> = (Option<&'a str>, Result<Prompt, (&'a str, OAuthErrorCode)>);

#[test]
fn prompt_table() {
    // (raw, Ok(prompt) | Err((rejected value, oauth code)))
    use OAuthErrorCode::*;
    let cases: &[PromptCase] = &[
        (None, Ok(Prompt::Default)),
        (Some(""), Ok(Prompt::Default)),
        (Some("  "), Ok(Prompt::Default)),
        (Some("consent"), Ok(Prompt::Consent)),
        (Some("consent consent"), Ok(Prompt::Consent)),
        (Some(" consent "), Ok(Prompt::Consent)),
        (Some("none"), Err(("none", InteractionRequired))),
        (Some("login"), Err(("login", InvalidRequest))),
        (
            Some("select_account"),
            Err(("select_account", InvalidRequest)),
        ),
        (Some("consent login"), Err(("login", InvalidRequest))),
        (Some("Consent"), Err(("Consent", InvalidRequest))),
        (
            Some("consent\tlogin"),
            Err(("consent\tlogin", InvalidRequest)),
        ),
        (Some("bogus"), Err(("bogus", InvalidRequest))),
    ];
    for (raw, want) in cases {
        let got = Prompt::parse(*raw).map_err(|e| {
            assert_eq!(e.error_type(), "oauth_invalid_request");
            assert_eq!(e.status_code(), 400);
            let AuthorizeError::UnsupportedPrompt(v) = &e else {
                panic!("{e:?}")
            };
            (v.clone(), e.to_oauth().code)
        });
        let want = want.map_err(|(v, c)| (v.to_owned(), c));
        assert_eq!(got, want, "{raw:?}");
    }
}

#[test]
fn error_mapping_table() {
    use OAuthErrorCode::*;
    let cases = [
        (
            AuthorizeError::NotAllowedForOrg,
            "connected_app_not_allowed_for_org",
            403,
            AccessDenied,
        ),
        (
            AuthorizeError::ThirdPartyFullAccess,
            "third_party_clients_cannot_use_full_access",
            400,
            InvalidScope,
        ),
        (
            AuthorizeError::NothingGrantable,
            "oauth_invalid_scope_requested",
            400,
            InvalidScope,
        ),
        (
            ScopeError::Empty.into(),
            "oauth_invalid_scope_requested",
            400,
            InvalidScope,
        ),
        (
            ScopeError::Unknown("x".into()).into(),
            "oauth_invalid_scope_requested",
            400,
            InvalidScope,
        ),
        (
            PkceError::Required.into(),
            "pkce_required_for_idp_authorization_flow",
            400,
            InvalidRequest,
        ),
        (
            PkceError::InvalidChallenge.into(),
            "invalid_pkce_code_challenge",
            400,
            InvalidRequest,
        ),
    ];
    for (err, ty, status, code) in cases {
        assert_eq!(err.error_type(), ty, "{err:?}");
        assert_eq!(err.status_code(), status, "{err:?}");
        let oauth = err.to_oauth();
        assert_eq!(oauth.code, code, "{err:?}");
        assert_eq!(oauth.description, err.to_string());
    }
}
