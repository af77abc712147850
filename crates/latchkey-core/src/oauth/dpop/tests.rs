//! RFC 9449's own examples (§4.1 figure 3, the token request proof; §7.1 figure 12, the
//! resource request proof with `ath`; §6.1, the thumbprint of the example key) and the
//! refusals.

use super::*;

const TOKEN_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RESOURCE_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
/// RFC 9449 §6.1: `cnf.jkt` of the example key.
const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const NOW: i64 = 1_562_262_620;

fn token_request() -> Expect<'static> {
    Expect {
        htm: "POST",
        htu: "https://server.example.com/token",
        now: NOW,
        access_token: None,
        nonce: None,
    }
}

fn err(proof: &str, e: &Expect<'_>) -> String {
    verify(proof, e).unwrap_err().to_string()
}

#[test]
fn accepts_the_rfc_token_request_proof() {
    let p = verify(TOKEN_PROOF, &token_request()).unwrap();
    assert_eq!(p.jkt, JKT);
    assert_eq!(p.jti, "-BwC3ESc6acc2lTc");
    assert_eq!(p.iat, 1_562_262_616);
    assert_eq!(p.replay_key(), format!("dpop\n{JKT}\n-BwC3ESc6acc2lTc"));
    // Equivalent spellings of the URL (RFC 9449 §4.3 item 9; query and fragment ignored).
    for htu in [
        "HTTPS://Server.Example.COM:443/token",
        "https://server.example.com/token?x=1#f",
        "https://server.example.com/a/../token",
    ] {
        assert!(
            verify(
                TOKEN_PROOF,
                &Expect {
                    htu,
                    ..token_request()
                }
            )
            .is_ok(),
            "{htu}"
        );
    }
}

#[test]
fn accepts_the_rfc_resource_request_proof_with_ath() {
    assert_eq!(
        ath(ACCESS_TOKEN),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
    let e = Expect {
        htm: "GET",
        htu: "https://resource.example.org/protectedresource",
        now: NOW,
        access_token: Some(ACCESS_TOKEN),
        nonce: None,
    };
    assert_eq!(verify(RESOURCE_PROOF, &e).unwrap().jkt, JKT);
    let other = Expect {
        access_token: Some("another token"),
        ..e
    };
    assert!(err(RESOURCE_PROOF, &other).contains("ath"));
    // A proof made for a token request does not serve a resource request with a token.
    let token = Expect {
        htm: "POST",
        htu: "https://server.example.com/token",
        ..e
    };
    assert!(err(TOKEN_PROOF, &token).contains("ath"));
}

#[test]
fn refuses_another_request() {
    let cases = [
        (
            Expect {
                htm: "GET",
                ..token_request()
            },
            "htm",
        ),
        (
            Expect {
                htm: "post",
                ..token_request()
            },
            "htm",
        ),
        (
            Expect {
                htu: "https://server.example.com/other",
                ..token_request()
            },
            "htu",
        ),
        (
            Expect {
                htu: "https://evil.example/token",
                ..token_request()
            },
            "htu",
        ),
        (
            Expect {
                htu: "http://server.example.com/token",
                ..token_request()
            },
            "htu",
        ),
        (
            Expect {
                now: NOW + MAX_AGE_SECS + 10,
                ..token_request()
            },
            "window",
        ),
        (
            Expect {
                now: 1_562_262_616 - SKEW_SECS - 1,
                ..token_request()
            },
            "window",
        ),
    ];
    for (e, want) in cases {
        let got = err(TOKEN_PROOF, &e);
        assert!(got.contains(want), "{want}: {got}");
    }
    let e = Expect {
        nonce: Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
        ..token_request()
    };
    let got = verify(TOKEN_PROOF, &e).unwrap_err();
    assert_eq!(
        (got.clone(), got.error_code()),
        (DpopError::UseNonce, "use_dpop_nonce")
    );
}

/// Re-encodes the example with a changed header or claims, keeping the RFC's signature.
fn tampered(header: Option<Value>, claims: Option<Value>) -> String {
    let parts: Vec<&str> = TOKEN_PROOF.split('.').collect();
    let enc = |v: Value| B64.encode(serde_json::to_vec(&v).unwrap());
    let h = header.map_or(parts[0].to_string(), enc);
    let c = claims.map_or(parts[1].to_string(), enc);
    format!("{h}.{c}.{}", parts[2])
}

fn example_header() -> Value {
    serde_json::from_slice(&B64.decode(TOKEN_PROOF.split('.').next().unwrap()).unwrap()).unwrap()
}

#[test]
fn refuses_malformed_or_forged_proofs() {
    let mut none = example_header();
    none["alg"] = "none".into();
    let mut hs = example_header();
    hs["alg"] = "HS256".into();
    let mut jwt = example_header();
    jwt["typ"] = "JWT".into();
    let mut private = example_header();
    private["jwk"]["d"] = "AAAA".into();
    let mut nojwk = example_header();
    nojwk.as_object_mut().unwrap().remove("jwk");
    let mut other_key = example_header();
    other_key["jwk"]["x"] = "6XXzLAmNhlU5eWd3J1pT7cz0sK-BoirDiqlD6S3pres".into();
    other_key["jwk"]["y"] = "YrAbujBBj7G7AzTVpPTPMgcRSifMJHzXewmBy07yfXI".into();
    let mut rsa_alg = example_header();
    rsa_alg["alg"] = "RS256".into();
    let claims = json!({"jti": "-BwC3ESc6acc2lTc", "htm": "POST",
                        "htu": "https://server.example.com/token", "iat": 1_562_262_619});
    let cases = [
        (tampered(Some(none), None), "alg"),
        (tampered(Some(hs), None), "alg"),
        (tampered(Some(jwt), None), "typ"),
        (tampered(Some(private), None), "private"),
        (tampered(Some(nojwk), None), "jwk"),
        (tampered(Some(other_key), None), "signature"),
        (tampered(Some(rsa_alg), None), "suit"),
        (tampered(None, Some(claims)), "signature"),
        ("abc".to_string(), "three segments"),
        ("a.b.c.d".to_string(), "three segments"),
        ("e30.e30.!!".to_string(), "base64url"),
    ];
    for (proof, want) in cases {
        let got = err(&proof, &token_request());
        assert!(got.contains(want), "{want}: {got}");
    }
}

#[test]
fn thumbprints_follow_rfc_7638() {
    // RFC 7638 §3.1's RSA example.
    let rsa = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
    assert_eq!(
        thumbprint(&rsa).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert!(thumbprint(&json!({"kty": "oct", "k": "AAAA"})).is_err());
}
