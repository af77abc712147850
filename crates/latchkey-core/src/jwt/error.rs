//! Error types: [`JwtError`] for key handling and signing, [`VerifyError`] for token checks.

use thiserror::Error;

/// Failures while loading, generating, storing or using signing keys.
#[derive(Debug, Error)]
pub enum JwtError {
    /// The key id is empty, too long or contains characters outside visible ASCII.
    #[error("invalid key id: {0}")]
    InvalidKid(&'static str),
    /// aws-lc-rs rejected the PKCS#8 DER (not RSA, too small, inconsistent, …).
    #[error("RSA private key rejected: {0}")]
    KeyRejected(String),
    /// RSA key generation failed inside aws-lc-rs.
    #[error("RSA key generation failed")]
    KeyGeneration,
    /// A public JWK could not be turned into a verification key.
    #[error("invalid public JWK: {0}")]
    InvalidJwk(&'static str),
    /// Two keys with the same `kid` were added to one key set.
    #[error("duplicate key id in key set: {0}")]
    DuplicateKid(String),
    /// Building the self-signed `x5c` certificate failed.
    #[error("certificate generation failed: {0}")]
    Certificate(String),
    /// The RSA signing operation failed.
    #[error("signing failed")]
    Signing,
    /// JWT claims must serialize to a JSON object.
    #[error("JWT claims must be a JSON object")]
    ClaimsNotObject,
    /// JSON serialization failed.
    #[error("JSON serialization failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The master key string is neither 64 hex characters nor base64 of 32 bytes.
    #[error("invalid master key: expected 64 hex characters or base64 of exactly 32 bytes")]
    InvalidMasterKey,
    /// The stored private key string is not `v1.<nonce>.<ciphertext>` or `plain.<der>`.
    #[error("stored private key is malformed")]
    MalformedStoredKey,
    /// The stored private key is encrypted (`v1.`) but no master key was given.
    #[error("stored private key is encrypted but no master key is configured")]
    MasterKeyRequired,
    /// The stored private key is plaintext (`plain.`) but a master key was given.
    #[error("stored private key is plaintext but a master key is configured")]
    PlaintextNotAllowed,
    /// AES-GCM authentication failed: wrong master key, wrong key id (AAD) or tampering.
    #[error("stored private key could not be decrypted (wrong master key, key id or tampered)")]
    Decrypt,
    /// AES-GCM encryption failed.
    #[error("private key encryption failed")]
    Encrypt,
    /// The system random number generator failed.
    #[error("random number generation failed")]
    Random,
}

/// Why a token was rejected. Variants are distinct so that callers can map them to Stytch
/// error types; [`VerifyError::code`] gives a stable snake_case name for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// Not a well-formed compact JWS / JSON object (the detail is for logs only).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// Header `alg` is not `RS256` (`none`, `HS256`, `RS512`, …) or `crit` is present.
    #[error("unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// Header `kid` is missing or names no key in the key set.
    #[error("unknown key id")]
    UnknownKid,
    /// The RS256 signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// Header `typ` is missing or not `JWT`.
    #[error("wrong token type")]
    WrongType,
    /// `exp` (plus leeway) is not after `now`.
    #[error("token expired")]
    Expired,
    /// `nbf` (minus leeway) is after `now`.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is missing or not in the allowed list.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` is missing or does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
}

impl VerifyError {
    /// Stable snake_case name of the variant.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnknownKid => "unknown_kid",
            Self::BadSignature => "bad_signature",
            Self::WrongType => "wrong_type",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
        }
    }
}
