//! Compact JWS signing with a kept [`SigningKey`], and the OIDC `at_hash` claim.
//!
//! Output is `base64url(header) "." base64url(claims JSON) "." base64url(RS256 signature)`,
//! with the header `{"alg":"RS256","kid":…,"typ":"JWT"}` cached on the key (spec §14.3,
//! §15.6). The RSA key is never re-parsed: one signing is one JSON serialization plus one
//! RSASSA-PKCS1-v1_5 SHA-256 signature.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{b64url, JwtError, SigningKey};

/// Signs `claims` (must be a JSON object) as an RS256 JWT with `key`.
///
/// The caller builds every claim (`iss`, `aud`, `sub`, `iat`, `nbf`, `exp`, `jti`, …);
/// nothing is added here, so no clock is read.
pub fn sign_jwt(key: &SigningKey, claims: &serde_json::Value) -> Result<String, JwtError> {
    if !claims.is_object() {
        return Err(JwtError::ClaimsNotObject);
    }
    let payload = serde_json::to_vec(claims)?;
    sign_payload(key, &payload)
}

/// Like [`sign_jwt`] for any serializable claims struct (skips building a `Value`).
/// The claims must serialize to a JSON object.
pub fn sign_jwt_claims<T: Serialize + ?Sized>(
    key: &SigningKey,
    claims: &T,
) -> Result<String, JwtError> {
    let payload = serde_json::to_vec(claims)?;
    if payload.first() != Some(&b'{') {
        return Err(JwtError::ClaimsNotObject);
    }
    sign_payload(key, &payload)
}

fn sign_payload(key: &SigningKey, payload: &[u8]) -> Result<String, JwtError> {
    let header = key.header_b64();
    let sig_len = key.signature_len();
    let mut token =
        String::with_capacity(header.len() + 2 + b64_len(payload.len()) + b64_len(sig_len));
    token.push_str(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);

    let mut signature = vec![0u8; sig_len];
    // aws-lc-rs ignores the RNG for PKCS#1 v1.5 (deterministic); it is required by the API.
    let rng = SystemRandom::new();
    key.keypair()
        .sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut signature)
        .map_err(|_| JwtError::Signing)?;

    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    Ok(token)
}

/// Length of unpadded base64 for `n` bytes.
fn b64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// OIDC `at_hash` for an RS256 ID token (OIDC Core §3.1.3.6): base64url of the left half
/// (16 bytes) of SHA-256 over the ASCII access token. The same computation over the
/// authorization code gives `c_hash` (§3.3.2.11).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    b64url(&digest[..16])
}
