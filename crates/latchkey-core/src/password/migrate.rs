//! `POST /v1/b2b/passwords/migrate`: the wire config objects, the typed
//! [`ImportedHash`] they parse into, its verification and its storage form.
//!
//! Encodings (from Stytch's OpenAPI and migrate docs, plus our stated assumptions):
//! - `bcrypt`: modular-crypt string, `$2a$` / `$2b$` / `$2y$` (`$2x$` is refused).
//! - `md_5`, `sha_1`, `sha_512`: the digest of `prepend_salt || password || append_salt`
//!   in hex (base64 also accepted; lengths never collide). Salts are literal strings
//!   and the config objects are optional (missing means empty salts).
//! - `argon_2i`, `argon_2id`: a PHC string, or (with `argon_2_config`) the raw hash in
//!   hex; the raw-form salt is taken as the literal UTF-8 bytes of `salt` (assumption:
//!   Stytch documents no encoding for it) and the version as 0x13.
//! - `scrypt`: a `$scrypt$ln=..,r=..,p=..$salt$hash` PHC string, or base64 hash with
//!   `scrypt_config` (base64 salt; N a power of two in 2..=262144).
//! - `pbkdf_2`: base64 hash, `pbkdf_2_config` required (base64 salt; `algorithm`
//!   `sha256` (default) or `sha512`, plus `sha1` as a latchkey extension).
//! - `phpass`: portable `$P$` / `$H$` strings.

use serde::{Deserialize, Serialize};

use super::digests::{Pbkdf2Hash, SaltedDigest};
use super::error::{HashType, PasswordError};
use super::kdf::{Argon2Hash, Argon2RawParams, ScryptHash, ScryptRawParams};
use super::phpass::PhpassHash;

/// `md_5_config`, `sha_1_config` and `sha_512_config` (same shape on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SaltAffixConfig {
    pub prepend_salt: String,
    pub append_salt: String,
}

/// `argon_2_config`: needed only for the raw (hex) hash form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Argon2Config {
    pub salt: String,
    pub iteration_amount: i64,
    /// KiB.
    pub memory: i64,
    pub threads: i64,
    pub key_length: i64,
}

/// `scrypt_config`: needed unless the hash is a PHC string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScryptConfig {
    pub salt: String,
    pub n_parameter: i64,
    pub r_parameter: i64,
    pub p_parameter: i64,
    pub key_length: i64,
}

/// `pbkdf_2_config`: always needed for `pbkdf_2`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pbkdf2Config {
    pub salt: String,
    pub iteration_amount: i64,
    pub key_length: i64,
    pub algorithm: String,
}

/// The per-algorithm config objects of a migrate request, as they arrive.
/// `#[serde(flatten)]`-able into the request body type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MigrateConfigs {
    pub md_5_config: Option<SaltAffixConfig>,
    pub sha_1_config: Option<SaltAffixConfig>,
    pub sha_512_config: Option<SaltAffixConfig>,
    pub argon_2_config: Option<Argon2Config>,
    pub scrypt_config: Option<ScryptConfig>,
    pub pbkdf_2_config: Option<Pbkdf2Config>,
}

/// The bcrypt prefixes we accept; `$2x$` marks hashes from the pre-2011 crypt_blowfish
/// sign-extension bug, which cannot be reproduced faithfully.
const BCRYPT_PREFIXES: [&str; 3] = ["$2a$", "$2b$", "$2y$"];

/// A validated bcrypt modular-crypt string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcryptHash {
    pub hash: String,
}

impl BcryptHash {
    /// Validates prefix, cost and the 53 salt+hash characters.
    pub fn parse(hash: &str) -> Result<BcryptHash, PasswordError> {
        let invalid = |reason: &str| PasswordError::InvalidHash {
            hash_type: HashType::Bcrypt,
            reason: reason.to_owned(),
        };
        let prefix = hash.get(..4).unwrap_or_default();
        if prefix == "$2x$" {
            return Err(invalid(
                "`$2x$` hashes come from the buggy pre-2011 crypt_blowfish and cannot be \
                 verified reliably; ask the user to reset the password",
            ));
        }
        if !BCRYPT_PREFIXES.contains(&prefix) {
            return Err(invalid(
                "expected a modular-crypt string starting `$2a$`, `$2b$` or `$2y$`",
            ));
        }
        if hash.len() != 60 || !hash.is_ascii() || hash.as_bytes().get(6) != Some(&b'$') {
            return Err(invalid(
                "expected 60 characters: `$2b$`, two cost digits, `$`, 53 salt+hash characters",
            ));
        }
        let cost: u32 = hash
            .get(4..6)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| invalid("the cost is not two digits"))?;
        if !(4..=31).contains(&cost) {
            return Err(PasswordError::BcryptCost(cost));
        }
        hash.parse::<bcrypt::HashParts>()
            .map_err(|e| invalid(&format!("salt or hash is malformed ({e})")))?;
        Ok(BcryptHash {
            hash: hash.to_owned(),
        })
    }

    /// Runs bcrypt (whose comparison is constant time via `subtle`).
    pub fn verify(&self, password: &str) -> bool {
        bcrypt::verify(password, &self.hash).unwrap_or(false)
    }
}

/// An imported password hash, validated and typed. One variant per Stytch `hash_type`.
///
/// Stored as JSON via [`ImportedHash::to_storage_json`]; the `hash_type` tag uses
/// Stytch's spelling and byte strings are hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hash_type")]
pub enum ImportedHash {
    #[serde(rename = "bcrypt")]
    Bcrypt(BcryptHash),
    #[serde(rename = "md_5")]
    Md5(SaltedDigest),
    #[serde(rename = "argon_2i")]
    Argon2i(Argon2Hash),
    #[serde(rename = "argon_2id")]
    Argon2id(Argon2Hash),
    #[serde(rename = "sha_1")]
    Sha1(SaltedDigest),
    #[serde(rename = "sha_512")]
    Sha512(SaltedDigest),
    #[serde(rename = "scrypt")]
    Scrypt(ScryptHash),
    #[serde(rename = "phpass")]
    Phpass(PhpassHash),
    #[serde(rename = "pbkdf_2")]
    Pbkdf2(Pbkdf2Hash),
}

impl ImportedHash {
    /// Parses and validates a migrate request's `hash_type`, `hash` and configs.
    pub fn parse(
        hash_type: &str,
        hash: &str,
        configs: &MigrateConfigs,
    ) -> Result<ImportedHash, PasswordError> {
        let kind = HashType::parse(hash_type)?;
        if hash.is_empty() {
            return Err(PasswordError::InvalidHash {
                hash_type: kind,
                reason: "`hash` is empty".to_owned(),
            });
        }
        let salted = |config: &Option<SaltAffixConfig>| {
            let config = config.clone().unwrap_or_default();
            SaltedDigest::parse(kind, hash, &config.prepend_salt, &config.append_salt)
        };
        Ok(match kind {
            HashType::Bcrypt => ImportedHash::Bcrypt(BcryptHash::parse(hash)?),
            HashType::Md5 => ImportedHash::Md5(salted(&configs.md_5_config)?),
            HashType::Sha1 => ImportedHash::Sha1(salted(&configs.sha_1_config)?),
            HashType::Sha512 => ImportedHash::Sha512(salted(&configs.sha_512_config)?),
            HashType::Argon2i | HashType::Argon2id => {
                let parsed = parse_argon2(kind, hash, configs.argon_2_config.as_ref())?;
                if kind == HashType::Argon2i {
                    ImportedHash::Argon2i(parsed)
                } else {
                    ImportedHash::Argon2id(parsed)
                }
            }
            HashType::Scrypt => ImportedHash::Scrypt(parse_scrypt(hash, configs)?),
            HashType::Phpass => ImportedHash::Phpass(PhpassHash::parse(hash)?),
            HashType::Pbkdf2 => {
                let config =
                    configs
                        .pbkdf_2_config
                        .as_ref()
                        .ok_or(PasswordError::MissingConfig {
                            hash_type: kind,
                            config: "pbkdf_2_config",
                            why: "PBKDF2 hashes carry no salt or iteration count of their own",
                        })?;
                ImportedHash::Pbkdf2(Pbkdf2Hash::parse(
                    hash,
                    &config.salt,
                    config.iteration_amount,
                    config.key_length,
                    &config.algorithm,
                )?)
            }
        })
    }

    /// The Stytch `hash_type` this hash was imported as.
    pub fn hash_type(&self) -> HashType {
        match self {
            ImportedHash::Bcrypt(_) => HashType::Bcrypt,
            ImportedHash::Md5(_) => HashType::Md5,
            ImportedHash::Argon2i(_) => HashType::Argon2i,
            ImportedHash::Argon2id(_) => HashType::Argon2id,
            ImportedHash::Sha1(_) => HashType::Sha1,
            ImportedHash::Sha512(_) => HashType::Sha512,
            ImportedHash::Scrypt(_) => HashType::Scrypt,
            ImportedHash::Phpass(_) => HashType::Phpass,
            ImportedHash::Pbkdf2(_) => HashType::Pbkdf2,
        }
    }

    /// True when `password` matches. Every final comparison is constant time.
    pub fn verify(&self, password: &str) -> bool {
        let kind = self.hash_type();
        match self {
            ImportedHash::Bcrypt(h) => h.verify(password),
            ImportedHash::Md5(h) | ImportedHash::Sha1(h) | ImportedHash::Sha512(h) => {
                h.verify(kind, password)
            }
            ImportedHash::Argon2i(h) | ImportedHash::Argon2id(h) => h.verify(kind, password),
            ImportedHash::Scrypt(h) => h.verify(password),
            ImportedHash::Phpass(h) => h.verify(password),
            ImportedHash::Pbkdf2(h) => h.verify(password),
        }
    }

    /// Re-checks every invariant `parse` established.
    pub fn validate(&self) -> Result<(), PasswordError> {
        let kind = self.hash_type();
        match self {
            ImportedHash::Bcrypt(h) => BcryptHash::parse(&h.hash).map(|_| ()),
            ImportedHash::Md5(h) | ImportedHash::Sha1(h) | ImportedHash::Sha512(h) => {
                h.validate(kind)
            }
            ImportedHash::Argon2i(h) | ImportedHash::Argon2id(h) => h.validate(kind),
            ImportedHash::Scrypt(h) => h.validate(),
            ImportedHash::Phpass(h) => h.validate(),
            ImportedHash::Pbkdf2(h) => h.validate(),
        }
    }

    /// The storage form: a JSON object tagged with `hash_type`.
    pub fn to_storage_json(&self) -> Result<String, PasswordError> {
        serde_json::to_string(self).map_err(|e| PasswordError::Storage(e.to_string()))
    }

    /// Loads the storage form back, re-validating it (a corrupted row is an error,
    /// never a hash that verifies everything).
    pub fn from_storage_json(json: &str) -> Result<ImportedHash, PasswordError> {
        let parsed: ImportedHash =
            serde_json::from_str(json).map_err(|e| PasswordError::Storage(e.to_string()))?;
        parsed
            .validate()
            .map_err(|e| PasswordError::Storage(e.to_string()))?;
        Ok(parsed)
    }
}

fn parse_argon2(
    kind: HashType,
    hash: &str,
    config: Option<&Argon2Config>,
) -> Result<Argon2Hash, PasswordError> {
    if hash.starts_with('$') {
        return Argon2Hash::parse_phc(kind, hash);
    }
    let config = config.ok_or(PasswordError::MissingConfig {
        hash_type: kind,
        config: "argon_2_config",
        why: "the hash is not a `$argon2...$` PHC string, so salt, memory, iterations, \
              threads and key length must be given",
    })?;
    Argon2Hash::parse_raw(
        kind,
        hash,
        Argon2RawParams {
            salt: &config.salt,
            iteration_amount: config.iteration_amount,
            memory: config.memory,
            threads: config.threads,
            key_length: config.key_length,
        },
    )
}

fn parse_scrypt(hash: &str, configs: &MigrateConfigs) -> Result<ScryptHash, PasswordError> {
    if hash.starts_with('$') {
        return ScryptHash::parse_phc(hash);
    }
    let config = configs
        .scrypt_config
        .as_ref()
        .ok_or(PasswordError::MissingConfig {
            hash_type: HashType::Scrypt,
            config: "scrypt_config",
            why: "the hash is not a `$scrypt$` PHC string, so salt, N, r, p and key length \
                  must be given",
        })?;
    ScryptHash::parse_raw(
        hash,
        ScryptRawParams {
            salt: &config.salt,
            n_parameter: config.n_parameter,
            r_parameter: config.r_parameter,
            p_parameter: config.p_parameter,
            key_length: config.key_length,
        },
    )
}
