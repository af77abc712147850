//! Tests for the `jwt` module tree. RSA keys are generated once per test binary.

mod at_rest;
mod rejections;
mod rotation;
mod sign_verify;

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::{generate_rsa_2048_pkcs8, Expectations, KeySet, SigningKey};

/// Two freshly generated PKCS#8 RSA-2048 keys, shared by all tests.
fn key_ders() -> &'static [Zeroizing<Vec<u8>>; 2] {
    static KEYS: OnceLock<[Zeroizing<Vec<u8>>; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            generate_rsa_2048_pkcs8().expect("keygen"),
            generate_rsa_2048_pkcs8().expect("keygen"),
        ]
    })
}

const KID_A: &str = "jwk-test-11111111-1111-4111-8111-111111111111";
const KID_B: &str = "jwk-test-22222222-2222-4222-8222-222222222222";

fn key_a() -> SigningKey {
    SigningKey::from_pkcs8_der(KID_A, &key_ders()[0]).expect("key a")
}

fn key_b() -> SigningKey {
    SigningKey::from_pkcs8_der(KID_B, &key_ders()[1]).expect("key b")
}

/// Key set with key A active and nothing else.
fn keyset_a() -> KeySet {
    KeySet::new(key_a()).expect("keyset")
}

pub(super) const NOW: i64 = 1_738_782_528;
pub(super) const ISS: &str = "stytch.com/project-test-00000000-0000-4000-8000-000000000000";
pub(super) const ISS2: &str = "https://auth.example.com";
pub(super) const PROJECT: &str = "project-test-00000000-0000-4000-8000-000000000000";

pub(super) fn claims() -> Value {
    json!({
        "iss": ISS, "sub": "member-test-1", "aud": [PROJECT],
        "iat": NOW, "nbf": NOW, "exp": NOW + 300, "jti": "abc",
        "https://stytch.com/organization": {"organization_id": "organization-test-1", "slug": "acme"}
    })
}

pub(super) fn expect() -> Expectations {
    Expectations::new([ISS, ISS2], PROJECT)
}

/// Signs arbitrary header and payload JSON with `key`'s RSA key (for forged-header tests).
pub(super) fn sign_raw(key: &SigningKey, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut sig = vec![0u8; key.signature_len()];
    key.keypair()
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

pub(super) fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

pub(super) fn pkcs8_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[test]
fn shared_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KeySet>();
    assert_send_sync::<SigningKey>();
    assert_send_sync::<super::MasterKey>();
}
