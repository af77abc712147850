//! Imported hashes built on plain digests: salted MD5 / SHA-1 / SHA-512 and
//! PBKDF2-HMAC (SHA-1, SHA-256, SHA-512). Parsing validates; verifying never fails.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::encoding::{decode_base64, decode_digest, hex_bytes};
use super::error::{HashType, PasswordError};

/// Most PBKDF2 iterations we accept: far above any real deployment, low enough that
/// one bad import cannot stall a login worker for minutes.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Longest derived key (and so hash) we accept for PBKDF2 and scrypt, in bytes.
pub const MAX_KEY_LENGTH: u32 = 1024;

/// Reads a wire integer that must lie in `min..=max`.
pub(crate) fn int_in(
    hash_type: HashType,
    field: &'static str,
    value: i64,
    min: u32,
    max: u32,
) -> Result<u32, PasswordError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| PasswordError::InvalidParameter {
            hash_type,
            field,
            reason: format!("must be between {min} and {max}, got {value}"),
        })
}

/// `digest(prepend_salt || password || append_salt)`, as Stytch's `md_5`, `sha_1`
/// and `sha_512` migrations define it. Salts are used as the literal UTF-8 strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaltedDigest {
    pub prepend_salt: String,
    pub append_salt: String,
    #[serde(with = "hex_bytes")]
    pub digest: Vec<u8>,
}

/// Output size in bytes of the digest behind a salted-digest hash type.
pub(crate) fn digest_len(hash_type: HashType) -> usize {
    match hash_type {
        HashType::Md5 => 16,
        HashType::Sha1 => 20,
        _ => 64,
    }
}

impl SaltedDigest {
    /// Parses a hex (or base64) digest for `md_5`, `sha_1` or `sha_512`.
    pub fn parse(
        hash_type: HashType,
        hash: &str,
        prepend_salt: &str,
        append_salt: &str,
    ) -> Result<SaltedDigest, PasswordError> {
        let len = digest_len(hash_type);
        let digest = decode_digest(hash, len).ok_or(PasswordError::BadEncoding {
            hash_type,
            field: "hash",
            expected: match hash_type {
                HashType::Md5 => "MD5 digest: expected 32 hex characters (or base64 of 16 bytes)",
                HashType::Sha1 => {
                    "SHA-1 digest: expected 40 hex characters (or base64 of 20 bytes)"
                }
                _ => "SHA-512 digest: expected 128 hex characters (or base64 of 64 bytes)",
            },
        })?;
        Ok(SaltedDigest {
            prepend_salt: prepend_salt.to_owned(),
            append_salt: append_salt.to_owned(),
            digest,
        })
    }

    /// Checks the digest length for `hash_type` (run on values loaded from storage).
    pub fn validate(&self, hash_type: HashType) -> Result<(), PasswordError> {
        if self.digest.len() == digest_len(hash_type) {
            return Ok(());
        }
        Err(PasswordError::InvalidHash {
            hash_type,
            reason: format!("digest is {} bytes", self.digest.len()),
        })
    }

    /// Recomputes the salted digest and compares in constant time.
    pub fn verify(&self, hash_type: HashType, password: &str) -> bool {
        let parts = [
            self.prepend_salt.as_bytes(),
            password.as_bytes(),
            self.append_salt.as_bytes(),
        ];
        let computed = match hash_type {
            HashType::Md5 => salted::<Md5>(&parts),
            HashType::Sha1 => salted::<Sha1>(&parts),
            HashType::Sha512 => salted::<Sha512>(&parts),
            _ => return false,
        };
        computed.ct_eq(&self.digest).into()
    }
}

fn salted<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// The HMAC hash behind a PBKDF2 import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pbkdf2Algorithm {
    /// Not in Stytch's documented list; accepted as a latchkey extension (RFC 6070,
    /// Django's `pbkdf2_sha1`, ASP.NET Identity v2).
    Sha1,
    Sha256,
    Sha512,
}

impl Pbkdf2Algorithm {
    /// `sha256` / `sha512` / `sha1`, case-insensitive, `-` and `_` ignored; empty means
    /// the documented default, SHA-256.
    pub fn parse(value: &str) -> Result<Pbkdf2Algorithm, PasswordError> {
        let normalized: String = value
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        match normalized.as_str() {
            "" | "sha256" => Ok(Pbkdf2Algorithm::Sha256),
            "sha512" => Ok(Pbkdf2Algorithm::Sha512),
            "sha1" => Ok(Pbkdf2Algorithm::Sha1),
            _ => Err(PasswordError::UnsupportedPbkdf2Algorithm(value.to_owned())),
        }
    }
}

/// PBKDF2-HMAC with the salt, iteration count and algorithm from `pbkdf_2_config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pbkdf2Hash {
    pub algorithm: Pbkdf2Algorithm,
    pub iterations: u32,
    #[serde(with = "hex_bytes")]
    pub salt: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

impl Pbkdf2Hash {
    /// `hash` and `salt` are base64 as Stytch documents; `key_length` must equal the
    /// decoded hash length.
    pub fn parse(
        hash: &str,
        salt: &str,
        iteration_amount: i64,
        key_length: i64,
        algorithm: &str,
    ) -> Result<Pbkdf2Hash, PasswordError> {
        const T: HashType = HashType::Pbkdf2;
        let algorithm = Pbkdf2Algorithm::parse(algorithm)?;
        let iterations = int_in(
            T,
            "pbkdf_2_config.iteration_amount",
            iteration_amount,
            1,
            MAX_PBKDF2_ITERATIONS,
        )?;
        let key_len = int_in(
            T,
            "pbkdf_2_config.key_length",
            key_length,
            1,
            MAX_KEY_LENGTH,
        )?;
        let hash = decode_base64(hash).ok_or(PasswordError::BadEncoding {
            hash_type: T,
            field: "hash",
            expected: "base64 (Stytch requires PBKDF2 hashes in base64)",
        })?;
        let salt = decode_base64(salt).ok_or(PasswordError::BadEncoding {
            hash_type: T,
            field: "pbkdf_2_config.salt",
            expected: "base64 (Stytch requires PBKDF2 salts in base64)",
        })?;
        if usize::try_from(key_len).ok() != Some(hash.len()) {
            return Err(PasswordError::KeyLengthMismatch {
                hash_type: T,
                field: "pbkdf_2_config.key_length",
                key_length,
                actual: hash.len(),
            });
        }
        let parsed = Pbkdf2Hash {
            algorithm,
            iterations,
            salt,
            hash,
        };
        parsed.validate()?;
        Ok(parsed)
    }

    /// Checks ranges (also run on values loaded from storage).
    pub fn validate(&self) -> Result<(), PasswordError> {
        const T: HashType = HashType::Pbkdf2;
        let len = i64::try_from(self.hash.len()).unwrap_or(i64::MAX);
        int_in(T, "pbkdf_2_config.key_length", len, 1, MAX_KEY_LENGTH)?;
        let iterations = i64::from(self.iterations);
        int_in(
            T,
            "pbkdf_2_config.iteration_amount",
            iterations,
            1,
            MAX_PBKDF2_ITERATIONS,
        )?;
        Ok(())
    }

    /// Re-derives the key and compares in constant time.
    pub fn verify(&self, password: &str) -> bool {
        let mut out = vec![0u8; self.hash.len()];
        let (pw, salt, n) = (password.as_bytes(), self.salt.as_slice(), self.iterations);
        match self.algorithm {
            Pbkdf2Algorithm::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(pw, salt, n, &mut out),
            Pbkdf2Algorithm::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(pw, salt, n, &mut out),
            Pbkdf2Algorithm::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(pw, salt, n, &mut out),
        }
        out.ct_eq(&self.hash).into()
    }
}
