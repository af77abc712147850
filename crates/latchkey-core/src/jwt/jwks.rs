//! [`KeySet`]: the active signing key plus every published verification key, and the JWKS
//! document served at `/.well-known/jwks.json` and `/v1/b2b/sessions/jwks/{project_id}`
//! (spec §10.3).
//!
//! Verification keys are parsed once (aws-lc-rs `ParsedPublicKey`) when added, so verifying
//! a token costs one RSA public-key operation. Lookup is a linear scan: a key set holds a
//! handful of keys (active, next, recently retired).

use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{json, Value};

use super::keys::{validate_kid, MIN_MODULUS_BYTES, RS256};
use super::rotation::{KeyRecord, KeyState};
use super::{b64url_decode, Jwk, JwtError, SigningKey};

/// A public key that verifies RS256 signatures, with the JWK it is published as.
pub struct VerificationKey {
    jwk: Jwk,
    parsed: ParsedPublicKey,
    retire_after: Option<i64>,
}

impl VerificationKey {
    /// Parses a public RSA JWK (`kty` RSA, `alg` RS256 if present, modulus ≥ 2048 bits).
    /// `retire_after` is the unix time after which [`KeySet::prune`] drops the key.
    pub fn from_jwk(jwk: &Jwk, retire_after: Option<i64>) -> Result<Self, JwtError> {
        validate_kid(&jwk.kid)?;
        if jwk.kty != "RSA" {
            return Err(JwtError::InvalidJwk("kty is not RSA"));
        }
        if jwk.alg != RS256 {
            return Err(JwtError::InvalidJwk("alg is not RS256"));
        }
        let n = b64url_decode(&jwk.n).ok_or(JwtError::InvalidJwk("n is not base64url"))?;
        let e = b64url_decode(&jwk.e).ok_or(JwtError::InvalidJwk("e is not base64url"))?;
        if n.len() < MIN_MODULUS_BYTES {
            return Err(JwtError::InvalidJwk("modulus shorter than 2048 bits"));
        }
        let parsed = RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| JwtError::InvalidJwk("not a valid RSA public key"))?;
        Ok(Self {
            jwk: jwk.clone(),
            parsed,
            retire_after,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The published JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Unix time after which the key may be dropped, if it is retiring.
    pub fn retire_after(&self) -> Option<i64> {
        self.retire_after
    }

    /// True if `signature` is a valid RS256 signature of `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.jwk.kid)
            .field("retire_after", &self.retire_after)
            .finish()
    }
}

/// The active signing key and all keys tokens are accepted from (active first).
#[derive(Debug)]
pub struct KeySet {
    active: SigningKey,
    keys: Vec<VerificationKey>,
    /// [`KeySet::jwks_bytes`], serialized on first use and forgotten when the keys change: the
    /// JWKS is fetched far more often than keys rotate.
    serialized: std::sync::OnceLock<Vec<u8>>,
}

impl KeySet {
    /// A key set whose only key is `active` (it is also published and accepted).
    pub fn new(active: SigningKey) -> Result<Self, JwtError> {
        let own = VerificationKey::from_jwk(active.public_jwk(), None)?;
        Ok(Self {
            active,
            keys: vec![own],
            serialized: std::sync::OnceLock::new(),
        })
    }

    /// Builds a key set from stored records: `active` signs; every `Next` record is
    /// published ahead of use; every `Retired` record is kept until
    /// `retired_at + max_token_lifetime_secs` (forever if `retired_at` is unknown). Any
    /// other `Active` record (inconsistent state, see [`super::plan_rotation`]) is still
    /// published so its tokens verify. The record with the active key's kid is skipped.
    pub fn from_records(
        active: SigningKey,
        records: &[KeyRecord],
        max_token_lifetime_secs: i64,
    ) -> Result<Self, JwtError> {
        let mut set = Self::new(active)?;
        for record in records {
            if record.kid == set.active.kid() {
                continue;
            }
            let retire_after = match record.state {
                KeyState::Active | KeyState::Next => None,
                KeyState::Retired => record
                    .retired_at
                    .map(|t| t.saturating_add(max_token_lifetime_secs)),
            };
            set.add_verification_key(&record.public_jwk, retire_after)?;
        }
        Ok(set)
    }

    /// Publishes and accepts one more public key.
    pub fn add_verification_key(
        &mut self,
        jwk: &Jwk,
        retire_after: Option<i64>,
    ) -> Result<(), JwtError> {
        if self.find(&jwk.kid).is_some() {
            return Err(JwtError::DuplicateKid(jwk.kid.clone()));
        }
        self.keys
            .push(VerificationKey::from_jwk(jwk, retire_after)?);
        self.serialized = std::sync::OnceLock::new();
        Ok(())
    }

    /// Drops keys whose `retire_after` is at or before `now` (never the active key);
    /// returns the dropped kids.
    pub fn prune(&mut self, now: i64) -> Vec<String> {
        let active = self.active.kid().to_owned();
        let mut dropped = Vec::new();
        self.keys.retain(|k| {
            let keep = k.kid() == active || k.retire_after.is_none_or(|t| now < t);
            if !keep {
                dropped.push(k.kid().to_owned());
            }
            keep
        });
        if !dropped.is_empty() {
            self.serialized = std::sync::OnceLock::new();
        }
        dropped
    }

    /// The key new tokens are signed with.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The verification key with this kid, if published.
    pub fn find(&self, kid: &str) -> Option<&VerificationKey> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// All published verification keys, active first.
    pub fn verification_keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// The JWKS document `{"keys": [...]}` (callers add `request_id`/`status_code`).
    pub fn jwks_json(&self) -> Value {
        let keys: Vec<&Jwk> = self.keys.iter().map(VerificationKey::jwk).collect();
        json!({ "keys": keys })
    }

    /// [`KeySet::jwks_json`] serialized, computed once per key set.
    pub fn jwks_bytes(&self) -> &[u8] {
        self.serialized
            .get_or_init(|| serde_json::to_vec(&self.jwks_json()).unwrap_or_default())
    }
}
