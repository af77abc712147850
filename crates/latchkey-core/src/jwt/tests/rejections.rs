//! Rejections: tampering, algorithm confusion, unknown kid, `typ`, time, issuer, audience
//! and malformed input, each with its own error variant.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::super::{
    sign_jwt, sign_jwt_claims, verify_jwt, verify_jwt_allow_expired, verify_signature_only,
    Expectations, JwtError, VerifyError,
};
use super::{claims, expect, key_b, keyset_a, parts, sign_raw, ISS, ISS2, KID_A, NOW, PROJECT};

#[test]
fn tampered_payload_is_bad_signature() {
    let keys = keyset_a();
    let p = parts(&sign_jwt(keys.active(), &claims()).unwrap());
    let mut c = claims();
    c["sub"] = json!("member-test-evil");
    let forged = format!(
        "{}.{}.{}",
        p[0],
        URL_SAFE_NO_PAD.encode(c.to_string()),
        p[2]
    );
    assert_eq!(
        verify_jwt(&forged, &keys, NOW, &expect()),
        Err(VerifyError::BadSignature)
    );
    assert_eq!(
        verify_signature_only(&forged, &keys),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn alg_none_and_other_algs_rejected() {
    let keys = keyset_a();
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    for alg in ["none", "None", "HS256", "RS512", "PS256", "ES256", "rs256"] {
        let h = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": KID_A, "typ": "JWT"}).to_string());
        for token in [format!("{h}.{body}."), format!("{h}.{body}")] {
            let got = verify_jwt(&token, &keys, NOW, &expect());
            assert!(got.is_err(), "{alg} accepted");
        }
        assert_eq!(
            verify_jwt(&format!("{h}.{body}."), &keys, NOW, &expect()),
            Err(VerifyError::UnsupportedAlgorithm)
        );
    }
    // A genuinely RSA-signed token whose header says something else is still refused.
    let forged = sign_raw(
        keys.active(),
        &json!({"alg": "RS512", "kid": KID_A, "typ": "JWT"}),
        &claims(),
    );
    assert_eq!(
        verify_jwt(&forged, &keys, NOW, &expect()),
        Err(VerifyError::UnsupportedAlgorithm)
    );
    let crit = sign_raw(
        keys.active(),
        &json!({"alg": "RS256", "kid": KID_A, "typ": "JWT", "crit": ["exp"], "exp": 1}),
        &claims(),
    );
    assert_eq!(
        verify_jwt(&crit, &keys, NOW, &expect()),
        Err(VerifyError::UnsupportedAlgorithm)
    );
}

#[test]
fn hs256_with_public_key_as_secret_rejected() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let keys = keyset_a();
    let jwk = keys.active().public_jwk();
    let n = URL_SAFE_NO_PAD.decode(&jwk.n).unwrap();
    let jwk_json = serde_json::to_vec(jwk).unwrap();
    for secret in [n.as_slice(), jwk_json.as_slice(), jwk.n.as_bytes()] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID_A.to_owned());
        let token = encode(&header, &claims(), &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(
            verify_jwt(&token, &keys, NOW, &expect()),
            Err(VerifyError::UnsupportedAlgorithm)
        );
        assert_eq!(
            verify_signature_only(&token, &keys),
            Err(VerifyError::UnsupportedAlgorithm)
        );
    }
}

#[test]
fn kid_and_typ_checks() {
    let keys = keyset_a();
    let b = key_b();
    let token = sign_jwt(&b, &claims()).unwrap();
    assert_eq!(
        verify_jwt(&token, &keys, NOW, &expect()),
        Err(VerifyError::UnknownKid)
    );
    // Key B's signature under key A's kid.
    let swapped = sign_raw(
        &b,
        &json!({"alg": "RS256", "kid": KID_A, "typ": "JWT"}),
        &claims(),
    );
    assert_eq!(
        verify_jwt(&swapped, &keys, NOW, &expect()),
        Err(VerifyError::BadSignature)
    );
    let a = keys.active();
    let no_kid = sign_raw(a, &json!({"alg": "RS256", "typ": "JWT"}), &claims());
    assert_eq!(
        verify_jwt(&no_kid, &keys, NOW, &expect()),
        Err(VerifyError::UnknownKid)
    );
    let no_typ = sign_raw(a, &json!({"alg": "RS256", "kid": KID_A}), &claims());
    assert_eq!(
        verify_jwt(&no_typ, &keys, NOW, &expect()),
        Err(VerifyError::WrongType)
    );
    let at_jwt = sign_raw(
        a,
        &json!({"alg": "RS256", "kid": KID_A, "typ": "at+jwt"}),
        &claims(),
    );
    assert_eq!(
        verify_jwt(&at_jwt, &keys, NOW, &expect()),
        Err(VerifyError::WrongType)
    );
    let lower = sign_raw(
        a,
        &json!({"alg": "RS256", "kid": KID_A, "typ": "jwt"}),
        &claims(),
    );
    assert!(verify_jwt(&lower, &keys, NOW, &expect()).is_ok());
}

#[test]
fn time_checks() {
    let keys = keyset_a();
    let token = sign_jwt(keys.active(), &claims()).unwrap();
    let exp = NOW + 300;
    assert!(verify_jwt(&token, &keys, exp - 1, &expect()).is_ok());
    assert_eq!(
        verify_jwt(&token, &keys, exp, &expect()),
        Err(VerifyError::Expired)
    );
    assert!(verify_jwt(&token, &keys, exp + 5, &expect().with_leeway(10)).is_ok());
    assert_eq!(
        verify_jwt(&token, &keys, exp + 10, &expect().with_leeway(10)),
        Err(VerifyError::Expired)
    );
    assert_eq!(
        verify_jwt(&token, &keys, NOW - 1, &expect()),
        Err(VerifyError::NotYetValid)
    );
    assert!(verify_jwt(&token, &keys, NOW - 5, &expect().with_leeway(5)).is_ok());

    // Expired but otherwise valid: accepted by the expiry-tolerant variants only.
    let late = exp + 86_400;
    assert_eq!(
        verify_jwt_allow_expired(&token, &keys, late, &expect()).unwrap(),
        claims()
    );
    assert_eq!(verify_signature_only(&token, &keys).unwrap(), claims());
    let wrong_aud = Expectations::new([ISS], "project-test-other");
    assert_eq!(
        verify_jwt_allow_expired(&token, &keys, late, &wrong_aud),
        Err(VerifyError::WrongAudience)
    );

    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    let no_exp = sign_jwt(keys.active(), &c).unwrap();
    assert!(matches!(
        verify_jwt(&no_exp, &keys, NOW, &expect()),
        Err(VerifyError::Malformed(_))
    ));
    c["exp"] = json!("soon");
    let str_exp = sign_jwt(keys.active(), &c).unwrap();
    assert!(matches!(
        verify_jwt(&str_exp, &keys, NOW, &expect()),
        Err(VerifyError::Malformed(_))
    ));
    c["exp"] = json!(NOW as f64 + 0.5);
    let float_exp = sign_jwt(keys.active(), &c).unwrap();
    assert!(verify_jwt(&float_exp, &keys, NOW, &expect()).is_err());
    assert!(verify_jwt(&float_exp, &keys, NOW - 1, &expect().with_leeway(1)).is_ok());
}

#[test]
fn issuer_and_audience_checks() {
    let keys = keyset_a();
    let check = |c: &Value| verify_jwt(&sign_jwt(keys.active(), c).unwrap(), &keys, NOW, &expect());
    let mut c = claims();
    c["iss"] = json!(ISS2);
    assert!(check(&c).is_ok());
    c["iss"] = json!("https://evil.example.com");
    assert_eq!(check(&c), Err(VerifyError::WrongIssuer));
    c["iss"] = json!([ISS]);
    assert_eq!(check(&c), Err(VerifyError::WrongIssuer));
    c.as_object_mut().unwrap().remove("iss");
    assert_eq!(check(&c), Err(VerifyError::WrongIssuer));

    let mut c = claims();
    c["aud"] = json!(PROJECT);
    assert!(check(&c).is_ok());
    c["aud"] = json!(["custom-audience", PROJECT]);
    assert!(check(&c).is_ok());
    c["aud"] = json!(["connected-app-test-1"]);
    assert_eq!(check(&c), Err(VerifyError::WrongAudience));
    c["aud"] = json!([]);
    assert_eq!(check(&c), Err(VerifyError::WrongAudience));
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(check(&c), Err(VerifyError::WrongAudience));
}

#[test]
fn malformed_tokens() {
    let keys = keyset_a();
    let token = sign_jwt(keys.active(), &claims()).unwrap();
    let p = parts(&token);
    let bad = [
        String::new(),
        "abc".to_owned(),
        format!("{}.{}", p[0], p[1]),
        format!("{token}.x"),
        format!("{}.{}.{}=", p[0], p[1], p[2]),
        format!("{}.{}.a/b", p[0], p[1]),
        format!("!!.{}.{}", p[1], p[2]),
        format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("[1]"), p[1], p[2]),
        "a".repeat(20_000),
    ];
    for t in &bad {
        let err = verify_jwt(t, &keys, NOW, &expect()).unwrap_err();
        assert!(
            matches!(err, VerifyError::Malformed(_) | VerifyError::BadSignature),
            "{t:.40}: {err:?}"
        );
    }
    let arr = sign_raw(
        keys.active(),
        &json!({"alg": "RS256", "kid": KID_A, "typ": "JWT"}),
        &json!([1]),
    );
    assert!(matches!(
        verify_signature_only(&arr, &keys),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        sign_jwt(keys.active(), &json!([1])),
        Err(JwtError::ClaimsNotObject)
    ));
    assert!(matches!(
        sign_jwt_claims(keys.active(), "x"),
        Err(JwtError::ClaimsNotObject)
    ));
    assert_eq!(VerifyError::Malformed("x").code(), "malformed");
    assert_eq!(VerifyError::UnknownKid.code(), "unknown_kid");
}
