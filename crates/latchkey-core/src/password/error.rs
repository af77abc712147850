//! The one error type of the password module, with messages a person can act on
//! and a best-effort mapping onto Stytch's `error_type` strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `hash_type` values Stytch's `passwords/migrate` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashType {
    #[serde(rename = "bcrypt")]
    Bcrypt,
    #[serde(rename = "md_5")]
    Md5,
    #[serde(rename = "argon_2i")]
    Argon2i,
    #[serde(rename = "argon_2id")]
    Argon2id,
    #[serde(rename = "sha_1")]
    Sha1,
    #[serde(rename = "sha_512")]
    Sha512,
    #[serde(rename = "scrypt")]
    Scrypt,
    #[serde(rename = "phpass")]
    Phpass,
    #[serde(rename = "pbkdf_2")]
    Pbkdf2,
}

impl HashType {
    /// Every accepted wire value, in Stytch's documented order.
    pub const ALL: [HashType; 9] = [
        HashType::Bcrypt,
        HashType::Md5,
        HashType::Argon2i,
        HashType::Argon2id,
        HashType::Sha1,
        HashType::Sha512,
        HashType::Scrypt,
        HashType::Phpass,
        HashType::Pbkdf2,
    ];

    /// The wire spelling (`md_5`, `argon_2id`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HashType::Bcrypt => "bcrypt",
            HashType::Md5 => "md_5",
            HashType::Argon2i => "argon_2i",
            HashType::Argon2id => "argon_2id",
            HashType::Sha1 => "sha_1",
            HashType::Sha512 => "sha_512",
            HashType::Scrypt => "scrypt",
            HashType::Phpass => "phpass",
            HashType::Pbkdf2 => "pbkdf_2",
        }
    }

    /// Parses the wire spelling; exact match, as Stytch's enum is.
    pub fn parse(value: &str) -> Result<HashType, PasswordError> {
        HashType::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| PasswordError::UnsupportedHashType(value.to_owned()))
    }
}

impl fmt::Display for HashType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong when hashing, parsing or loading a password hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "unsupported hash_type `{0}`; expected one of: bcrypt, md_5, argon_2i, argon_2id, \
         sha_1, sha_512, scrypt, phpass, pbkdf_2"
    )]
    UnsupportedHashType(String),

    #[error("hash_type `{hash_type}` needs `{config}`: {why}")]
    MissingConfig {
        hash_type: HashType,
        config: &'static str,
        why: &'static str,
    },

    #[error("`{field}` is not valid {expected}")]
    BadEncoding {
        hash_type: HashType,
        field: &'static str,
        expected: &'static str,
    },

    #[error("`hash` is not a valid {hash_type} hash: {reason}")]
    InvalidHash { hash_type: HashType, reason: String },

    #[error("`{field}` {reason}")]
    InvalidParameter {
        hash_type: HashType,
        field: &'static str,
        reason: String,
    },

    #[error(
        "unsupported pbkdf_2_config.algorithm `{0}`; use `sha256` (the default), `sha512` or `sha1`"
    )]
    UnsupportedPbkdf2Algorithm(String),

    #[error(
        "`{field}` is {key_length} but the decoded hash is {actual} bytes long; they must match"
    )]
    KeyLengthMismatch {
        hash_type: HashType,
        field: &'static str,
        key_length: i64,
        actual: usize,
    },

    #[error("hash_type is `{hash_type}` but the hash is a `{found}` PHC string; send hash_type `{expected}`")]
    VariantMismatch {
        hash_type: HashType,
        found: String,
        expected: &'static str,
    },

    #[error("bcrypt cost {0} is outside the supported range 4..=31")]
    BcryptCost(u32),

    #[error("malformed password hash: {0}")]
    MalformedPhc(String),

    #[error("stored imported hash could not be loaded: {0}")]
    Storage(String),

    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl PasswordError {
    /// Best-effort Stytch `error_type` for a `400` from `passwords/migrate`.
    ///
    /// Names come from the "Common Error Types" list on Stytch's migrate page; any case
    /// without a dedicated name maps to `invalid_hash` (or `invalid_hash_type`).
    pub fn stytch_error_type(&self) -> &'static str {
        use HashType as H;
        match self {
            PasswordError::UnsupportedHashType(_) => "invalid_hash_type",
            PasswordError::BcryptCost(_) => "invalid_bcrypt_cost",
            PasswordError::UnsupportedPbkdf2Algorithm(_) => "invalid_hash",
            PasswordError::KeyLengthMismatch { hash_type, .. } => match hash_type {
                H::Pbkdf2 => "pbkdf_2_key_length_mismatch",
                H::Scrypt => "scrypt_key_length_mismatch",
                _ => "invalid_hash",
            },
            PasswordError::BadEncoding {
                hash_type, field, ..
            } => match (hash_type, *field) {
                (H::Scrypt, "hash") => "invalid_base64_scrypt_hash",
                (H::Pbkdf2, "hash") => "invalid_pbkdf_2_hash",
                (H::Pbkdf2, _) => "invalid_pbkdf_2_salt",
                (H::Argon2i | H::Argon2id, f) if f.ends_with("salt") => "invalid_argon_2_salt",
                (H::Md5, _) => "invalid_md_5_hash",
                (H::Sha1, _) => "invalid_sha_1_hash",
                _ => "invalid_hash",
            },
            PasswordError::InvalidHash { hash_type, reason } => match hash_type {
                H::Bcrypt => "invalid_bcrypt_hash",
                H::Md5 => "invalid_md_5_hash",
                H::Sha1 => "invalid_sha_1_hash",
                H::Pbkdf2 => "invalid_pbkdf_2_hash",
                H::Phpass if reason.contains("prefix") => "invalid_phpass_hash_prefix",
                _ => "invalid_hash",
            },
            PasswordError::InvalidParameter {
                hash_type, field, ..
            } => match (hash_type, *field) {
                (H::Pbkdf2, "pbkdf_2_config.iteration_amount") => {
                    "invalid_pbkdf_2_iteration_amount"
                }
                (H::Pbkdf2, "pbkdf_2_config.salt") => "invalid_pbkdf_2_salt",
                (H::Scrypt, f) if f.ends_with("salt") => "invalid_scrypt_salt_length",
                (H::Argon2i | H::Argon2id, f) if f.ends_with("salt") => "invalid_argon_2_salt",
                _ => "invalid_hash",
            },
            PasswordError::MissingConfig { .. }
            | PasswordError::VariantMismatch { .. }
            | PasswordError::MalformedPhc(_)
            | PasswordError::Storage(_)
            | PasswordError::Hashing(_) => "invalid_hash",
        }
    }
}
