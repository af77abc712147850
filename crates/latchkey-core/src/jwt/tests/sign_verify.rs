//! Signing, JWKS shape and `at_hash`; our tokens checked by jsonwebtoken as an independent
//! verifier and jsonwebtoken's tokens checked by ours.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::super::x5c::self_signed_cert_der;
use super::super::{
    at_hash, sign_jwt, sign_jwt_claims, verify_jwt, Jwk, JwtError, KeySet, SigningKey,
    VerificationKey, VerifyError,
};
use super::{
    claims, expect, key_a, key_b, key_ders, keyset_a, parts, pkcs8_pem, ISS, KID_A, KID_B, NOW,
    PROJECT,
};

#[test]
fn header_is_exact() {
    let token = sign_jwt(&key_a(), &claims()).unwrap();
    let header = URL_SAFE_NO_PAD.decode(&parts(&token)[0]).unwrap();
    assert_eq!(
        String::from_utf8(header).unwrap(),
        format!(r#"{{"alg":"RS256","kid":"{KID_A}","typ":"JWT"}}"#)
    );
}

#[test]
fn round_trip_ours() {
    let keys = keyset_a();
    let token = sign_jwt(keys.active(), &claims()).unwrap();
    assert_eq!(verify_jwt(&token, &keys, NOW, &expect()).unwrap(), claims());
    // Typed claims produce the same kind of token.
    let typed = sign_jwt_claims(keys.active(), &claims()).unwrap();
    assert_eq!(typed, token, "PKCS#1 v1.5 is deterministic");
}

#[test]
fn jsonwebtoken_verifies_our_tokens_via_our_jwks() {
    use jsonwebtoken::{decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, Validation};
    let keys = keyset_a();
    let token = sign_jwt(keys.active(), &claims()).unwrap();
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(KID_A));
    assert_eq!(header.typ.as_deref(), Some("JWT"));

    let set: JwkSet = serde_json::from_value(keys.jwks_json()).unwrap();
    let jwk = set.find(KID_A).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[PROJECT]);
    validation.validate_exp = false; // NOW is in the past for jsonwebtoken's own clock
    let data = decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
    assert_eq!(data.claims, claims());

    // And from raw n/e components.
    let n = &keys.active().public_jwk().n;
    let e = &keys.active().public_jwk().e;
    let key = DecodingKey::from_rsa_components(n, e).unwrap();
    assert!(decode::<Value>(&token, &key, &validation).is_ok());
}

#[test]
fn we_verify_jsonwebtoken_tokens() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID_A.to_owned());
    let key = EncodingKey::from_rsa_pem(pkcs8_pem(&key_ders()[0]).as_bytes()).unwrap();
    let token = encode(&header, &claims(), &key).unwrap();
    assert_eq!(
        verify_jwt(&token, &keyset_a(), NOW, &expect()).unwrap(),
        claims()
    );
}

#[test]
fn jwks_shape() {
    let mut keys = keyset_a();
    keys.add_verification_key(key_b().public_jwk(), Some(NOW))
        .unwrap();
    let jwks = keys.jwks_json();
    let list = jwks["keys"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let k = list[0].as_object().unwrap();
    let mut names: Vec<&str> = k.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["alg", "e", "key_ops", "kid", "kty", "n", "use"]);
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["key_ops"], json!(["verify"]));
    assert_eq!(k["alg"], "RS256");
    assert_eq!(k["kid"], KID_A);
    assert_eq!(k["e"], "AQAB");
    let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
    assert_eq!(n.len(), 256);
    assert_ne!(n[0], 0);
    assert_eq!(list[1]["kid"], KID_B);
    assert!(matches!(
        keys.add_verification_key(key_b().public_jwk(), None),
        Err(JwtError::DuplicateKid(_))
    ));
}

#[test]
fn serialized_jwks_follows_the_keys() {
    let mut keys = KeySet::new(key_b()).unwrap();
    let parse = |k: &KeySet| serde_json::from_slice::<serde_json::Value>(k.jwks_bytes()).unwrap();
    assert_eq!(parse(&keys), keys.jwks_json());
    keys.add_verification_key(key_a().public_jwk(), Some(NOW + 10))
        .unwrap();
    assert_eq!(parse(&keys)["keys"].as_array().unwrap().len(), 2);
    assert_eq!(parse(&keys), keys.jwks_json());
    keys.prune(NOW + 10);
    assert_eq!(parse(&keys)["keys"].as_array().unwrap().len(), 1);
}

#[test]
fn x5c_encoding() {
    let jwk = key_a().public_jwk().clone().with_x5c(&[vec![1, 2, 3]]);
    let v = serde_json::to_value(&jwk).unwrap();
    assert_eq!(v["x5c"], json!(["AQID"]));
    // SHA-256 of 01 02 03
    assert_eq!(v["x5tS256"], "A5BYxvLAy0ksUzsKTRTvd8wPeKvMztUofYShogEc-4E");
    assert!(v.get("x5t#S256").is_none());
}

#[test]
fn retired_key_verifies_until_pruned() {
    let mut keys = KeySet::new(key_b()).unwrap();
    keys.add_verification_key(key_a().public_jwk(), Some(NOW + 3600))
        .unwrap();
    let old = sign_jwt(&key_a(), &claims()).unwrap();
    assert!(verify_jwt(&old, &keys, NOW, &expect()).is_ok());
    assert!(keys.prune(NOW + 3599).is_empty());
    assert_eq!(keys.prune(NOW + 3600), vec![KID_A.to_owned()]);
    assert_eq!(
        verify_jwt(&old, &keys, NOW, &expect()),
        Err(VerifyError::UnknownKid)
    );
    assert_eq!(keys.verification_keys().len(), 1);
}

#[test]
fn key_loading_errors_and_debug() {
    assert!(matches!(
        SigningKey::from_pkcs8_der(KID_A, b"garbage"),
        Err(JwtError::KeyRejected(_))
    ));
    assert!(matches!(
        SigningKey::from_pkcs8_der("", &key_ders()[0]),
        Err(JwtError::InvalidKid(_))
    ));
    assert!(matches!(
        SigningKey::from_pkcs8_der("a b", &key_ders()[0]),
        Err(JwtError::InvalidKid(_))
    ));
    let dbg = format!("{:?}", key_a());
    assert!(dbg.contains(KID_A) && dbg.contains("redacted"), "{dbg}");

    let good = key_a().public_jwk().clone();
    let mut short = good.clone();
    short.n = URL_SAFE_NO_PAD.encode([0xC5u8; 128]);
    assert!(VerificationKey::from_jwk(&short, None).is_err());
    let mut ec = good.clone();
    ec.kty = "EC".to_owned();
    assert!(VerificationKey::from_jwk(&ec, None).is_err());
    let mut hs: Jwk = good.clone();
    hs.alg = "HS256".to_owned();
    assert!(VerificationKey::from_jwk(&hs, None).is_err());
    assert!(VerificationKey::from_jwk(&good, None).is_ok());
}

#[test]
fn at_hash_matches_oidc_core_examples() {
    // OpenID Connect Core 1.0, Appendix A.4 / A.6 (RS256 ID tokens with at_hash / c_hash).
    assert_eq!(
        at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    assert_eq!(
        at_hash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"),
        "LDktKdoQak3Pk0cnXxCltA"
    );
}

#[test]
fn self_signed_x5c_is_deterministic_and_published() {
    let plain = key_a();
    let key = SigningKey::from_pkcs8_der_with_x5c(KID_A, &key_ders()[0]).unwrap();
    let cert = self_signed_cert_der(&plain).unwrap();
    assert_eq!(
        cert,
        self_signed_cert_der(&key).unwrap(),
        "same key, same certificate"
    );
    assert_eq!(cert[0], 0x30, "DER SEQUENCE");
    let jwk = key.public_jwk();
    assert_eq!(jwk.n, plain.public_jwk().n);
    assert_eq!(jwk.clone().with_x5c(std::slice::from_ref(&cert)), *jwk);
    let set = KeySet::new(key).unwrap();
    let published = &set.jwks_json()["keys"][0];
    assert!(published["x5c"][0].is_string() && published["x5tS256"].is_string());
    // jsonwebtoken still verifies through the JWKS that now carries x5c.
    let token = sign_jwt(set.active(), &claims()).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(set.jwks_json()).unwrap();
    let dk = jsonwebtoken::DecodingKey::from_jwk(jwks.find(KID_A).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[PROJECT]);
    v.validate_exp = false;
    assert!(jsonwebtoken::decode::<Value>(&token, &dk, &v).is_ok());
}
