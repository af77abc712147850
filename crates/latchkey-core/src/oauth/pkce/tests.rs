use super::*;

/// RFC 7636 Appendix B.
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn rfc7636_appendix_b_vector() {
    let v = PkceVerifier::parse(RFC_VERIFIER).unwrap();
    let c = PkceChallenge::parse(RFC_CHALLENGE).unwrap();
    assert!(verify_s256(&c, &v));
    assert_eq!(PkceChallenge::s256_of(&v), c);
    assert_eq!(check_code_verifier(Some(&c), Some(v)), Ok(()));
}

#[test]
fn verify_rejects_near_misses() {
    let v = PkceVerifier::parse(RFC_VERIFIER).unwrap();
    let mut flipped = RFC_CHALLENGE.to_owned();
    flipped.replace_range(0..1, "F");
    let longer = format!("{RFC_CHALLENGE}A");
    // The verifier itself as a challenge: what `plain` would have accepted.
    for bad in [
        flipped.as_str(),
        longer.as_str(),
        RFC_VERIFIER,
        &RFC_CHALLENGE.to_lowercase(),
    ] {
        let c = PkceChallenge::parse(bad).unwrap();
        assert!(!verify_s256(&c, &v), "{bad}");
    }
}

#[test]
fn challenge_format_table() {
    let cases = [
        (RFC_CHALLENGE.to_owned(), true),
        ("a".repeat(43), true),
        ("a".repeat(128), true),
        ("-_".repeat(22), true),
        ("a".repeat(42), false),
        ("a".repeat(129), false),
        (String::new(), false),
        (format!("{}=", &RFC_CHALLENGE[..42]), false),
        (format!("{}+", &RFC_CHALLENGE[..42]), false),
        (format!("{}/", &RFC_CHALLENGE[..42]), false),
        (format!("{}.", &RFC_CHALLENGE[..42]), false),
        (format!("{}~", &RFC_CHALLENGE[..42]), false),
        (format!("{} ", &RFC_CHALLENGE[..42]), false),
        (format!("{}é", &RFC_CHALLENGE[..41]), false),
    ];
    for (s, ok) in cases {
        let got = PkceChallenge::parse(&s);
        assert_eq!(got.is_ok(), ok, "{s:?}");
        if let Ok(c) = got {
            assert_eq!(c.as_str(), s);
        } else {
            assert_eq!(got.unwrap_err().error_type(), "invalid_pkce_code_challenge");
        }
    }
}

#[test]
fn verifier_format_table() {
    let cases = [
        (RFC_VERIFIER.to_owned(), true),
        ("a".repeat(43), true),
        ("~._-".repeat(32), true),
        ("a".repeat(42), false),
        ("a".repeat(129), false),
        (format!("{}+", &RFC_VERIFIER[..42]), false),
        (format!("{}/", &RFC_VERIFIER[..42]), false),
        (format!("{}=", &RFC_VERIFIER[..42]), false),
        (format!("{}%", &RFC_VERIFIER[..42]), false),
        (format!("{} ", &RFC_VERIFIER[..42]), false),
    ];
    for (s, ok) in cases {
        let got = PkceVerifier::parse(&s);
        assert_eq!(got.is_ok(), ok, "{s:?}");
        match got {
            Ok(v) => assert_eq!(v.expose_secret(), s),
            Err(e) => assert_eq!(e.error_type(), "invalid_pkce_code_verifier"),
        }
    }
}

#[test]
fn verifier_debug_is_redacted() {
    let v = PkceVerifier::parse(RFC_VERIFIER).unwrap();
    let dbg = format!("{v:?}");
    assert!(!dbg.contains(RFC_VERIFIER));
    assert_eq!(dbg, "PkceVerifier([REDACTED])");
}

#[test]
fn method_table() {
    assert_eq!(PkceMethod::parse(None), Ok(PkceMethod::S256));
    assert_eq!(PkceMethod::parse(Some("S256")), Ok(PkceMethod::S256));
    assert_eq!(
        PkceMethod::parse(Some("plain")),
        Err(PkceError::PlainNotSupported)
    );
    assert_eq!(
        PkceMethod::parse(Some("s256")),
        Err(PkceError::UnsupportedMethod)
    );
    assert_eq!(
        PkceMethod::parse(Some("")),
        Err(PkceError::UnsupportedMethod)
    );
    let plain = PkceError::PlainNotSupported.to_oauth();
    assert_eq!(plain.code, OAuthErrorCode::InvalidRequest);
    assert!(plain.description.contains("plain"));
}

#[test]
fn require_challenge_by_client_type() {
    let c = PkceChallenge::parse(RFC_CHALLENGE).unwrap();
    for t in ClientType::ALL {
        assert_eq!(require_challenge(t, Some(&c)), Ok(()));
        let want = if t.is_public() {
            Err(PkceError::Required)
        } else {
            Ok(())
        };
        assert_eq!(require_challenge(t, None), want, "{t}");
    }
    assert_eq!(
        PkceError::Required.error_type(),
        "pkce_required_for_idp_authorization_flow"
    );
}

type VerifierCase<'a> = (
    Option<&'a PkceChallenge>,
    Option<PkceVerifier>,
    Result<(), PkceError>,
);

#[test]
fn check_code_verifier_table() {
    let c = PkceChallenge::parse(RFC_CHALLENGE).unwrap();
    let good = || Some(PkceVerifier::parse(RFC_VERIFIER).unwrap());
    let bad = || Some(PkceVerifier::parse(&"a".repeat(43)).unwrap());
    let cases: [VerifierCase; 5] = [
        (None, None, Ok(())),
        (Some(&c), good(), Ok(())),
        (Some(&c), None, Err(PkceError::ExpectedVerifier)),
        (None, good(), Err(PkceError::DidNotExpectVerifier)),
        (Some(&c), bad(), Err(PkceError::Mismatch)),
    ];
    for (stored, presented, want) in cases {
        assert_eq!(check_code_verifier(stored, presented), want);
    }
    let names: Vec<_> = [
        PkceError::ExpectedVerifier,
        PkceError::DidNotExpectVerifier,
        PkceError::Mismatch,
    ]
    .map(|e| (e.error_type(), e.to_oauth().code))
    .to_vec();
    assert_eq!(
        names,
        [
            ("pkce_expected_code_verifier", OAuthErrorCode::InvalidGrant),
            (
                "pkce_did_not_expect_code_verifier",
                OAuthErrorCode::InvalidGrant
            ),
            ("pkce_mismatch", OAuthErrorCode::InvalidGrant),
        ]
    );
}
