//! Criterion benches of the per-request costs in the core: what one code flow spends outside
//! the database. Run: `cargo bench -p latchkey-core`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use latchkey_core::jwt::{self, Expectations, KeySet, SigningKey};
use latchkey_core::oauth::{verify_s256, PkceChallenge, PkceVerifier};
use latchkey_core::secret::SecretHash;
use serde_json::json;

fn benches(c: &mut Criterion) {
    let der = jwt::generate_rsa_2048_pkcs8().unwrap();
    let key = SigningKey::from_pkcs8_der("jwk-test-bench", &der).unwrap();
    let claims = json!({
        "iss": "https://login.example.com", "sub": "member-test-0b0b0b0b-0000-0000-0000-000000000000",
        "aud": ["project-test-0b0b0b0b-0000-0000-0000-000000000000"], "client_id": "connected-app-test-1",
        "exp": 4_000_000_000i64, "nbf": 1, "iat": 1, "jti": "abcdefghijklmnopqrstuvwxyzABCDEF",
        "scope": "openid email profile offline_access read:documents",
        "https://stytch.com/organization": {"organization_id": "organization-test-1", "slug": "acme"}
    });
    c.bench_function("rs256_sign_access_token", |b| {
        b.iter(|| jwt::sign_jwt(&key, black_box(&claims)).unwrap())
    });
    let token = jwt::sign_jwt(&key, &claims).unwrap();
    let set = KeySet::new(SigningKey::from_pkcs8_der("jwk-test-bench", &der).unwrap()).unwrap();
    let expect = Expectations::new(
        ["https://login.example.com"],
        "project-test-0b0b0b0b-0000-0000-0000-000000000000",
    );
    c.bench_function("rs256_verify_access_token", |b| {
        b.iter(|| jwt::verify_jwt(black_box(&token), &set, 2, &expect).unwrap())
    });
    let verifier = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let challenge = PkceChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap();
    c.bench_function("pkce_s256_verify", |b| {
        b.iter(|| assert!(verify_s256(black_box(&challenge), black_box(&verifier))))
    });
    c.bench_function("secret_hash_sha256", |b| {
        b.iter(|| SecretHash::of(black_box("b2AB1wS6e5cVqS8mW0Qm5Vv0b9bS5P4oJgq1TtP1aDQ")))
    });
    c.bench_function("at_hash", |b| b.iter(|| jwt::at_hash(black_box(&token))));
}

criterion_group!(core, benches);
criterion_main!(core);
