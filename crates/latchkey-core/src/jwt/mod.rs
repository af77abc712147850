//! JWT signing keys, RS256 JWS signing and verification, JWKS publication and key rotation.
//!
//! Everything here is pure: no clock reads (callers pass `now` as unix seconds), no I/O.
//! Randomness is used only where aws-lc-rs needs it for key generation, and for the
//! convenience nonce in [`at_rest::seal_private_key`] (callers can supply their own nonce
//! with [`at_rest::seal_private_key_with_nonce`]).
//!
//! Layout:
//! - [`keys`]: [`SigningKey`] (RSA key pair parsed once from PKCS#8 DER), [`Jwk`], key generation.
//! - [`at_rest`]: private keys encrypted with a master key (AES-256-GCM, key id as AAD).
//! - [`sign`]: compact JWS signing (`{"alg":"RS256","kid":…,"typ":"JWT"}`) and OIDC `at_hash`.
//! - [`verify`]: verification with distinct error variants ([`VerifyError`]).
//! - [`jwks`]: [`KeySet`] (active signing key + published verification keys) and JWKS JSON.
//! - [`rotation`]: rotation rules as pure functions over [`KeyRecord`]s.
//! - [`x5c`]: optional deterministic self-signed certificate for the JWK `x5c`/`x5tS256`.
//!
//! Wire format follows the Stytch B2B spec (§8.2, §10.3, §14.3, §15.6): RS256 only, `kid` and
//! `typ: JWT` in every header, JWKS entries `{kty, use:"sig", key_ops:["verify"], alg, kid, n, e}`.

pub mod at_rest;
pub mod error;
pub mod jwks;
pub mod keys;
pub mod rotation;
pub mod sign;
pub mod verify;
pub mod x5c;

#[cfg(test)]
mod tests;

pub use at_rest::{
    open_private_key, open_secret, seal_private_key, seal_private_key_with_nonce, seal_secret,
    MasterKey, PrivateKeyDer,
};
pub use error::{JwtError, VerifyError};
pub use jwks::{KeySet, VerificationKey};
pub use keys::{generate_rsa_2048_pkcs8, Jwk, SigningKey};
pub use rotation::{
    plan_rotation, plan_rotation_with, KeyRecord, KeyState, RotationPlan, RotationPolicy,
};
pub use sign::{at_hash, sign_jwt, sign_jwt_claims};
pub use verify::{verify_jwt, verify_jwt_allow_expired, verify_signature_only, Expectations};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// base64url without padding (RFC 7515 §2), the encoding of every JWS part and JWK number.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url decoding: no padding, no non-canonical trailing bits.
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}
