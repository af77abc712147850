//! Proof Key for Code Exchange (RFC 7636), S256 only (OAuth 2.1 §4.1.1; Stytch's Submit has no
//! `code_challenge_method` field and discovery advertises only `S256`, spec §5.1).
//!
//! Owns the formats of `code_challenge` / `code_verifier`, the constant-time S256 check, and
//! the two decisions around them: "does this client have to send a challenge" (authorize) and
//! "does the presented verifier satisfy the stored challenge" (token).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::client::ClientType;
use super::error::{OAuthError, OAuthErrorCode};

/// Shortest challenge / verifier (RFC 7636 §4.1, §4.2).
pub const MIN_LEN: usize = 43;
/// Longest challenge / verifier (RFC 7636 §4.1, §4.2).
pub const MAX_LEN: usize = 128;

/// PKCE format or verification failure, one variant per Stytch `error_type` (spec §2.5, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// Challenge is not 43-128 base64url characters.
    #[error("code_challenge must be 43-128 characters of base64url (RFC 7636 section 4.2)")]
    InvalidChallenge,
    /// Verifier is not 43-128 unreserved characters.
    #[error("code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)")]
    InvalidVerifier,
    /// `code_challenge_method=plain`: refused, S256 is mandatory (OAuth 2.1 §4.1.1).
    #[error("code_challenge_method plain is not supported; use S256")]
    PlainNotSupported,
    /// Any other unknown `code_challenge_method`.
    #[error("unsupported code_challenge_method; use S256")]
    UnsupportedMethod,
    /// Public client authorized without a `code_challenge`.
    #[error("public clients must send a code_challenge (PKCE)")]
    Required,
    /// A challenge was stored but no verifier was presented.
    #[error("code_verifier is required because a code_challenge was sent")]
    ExpectedVerifier,
    /// A verifier was presented but no challenge was stored.
    #[error("code_verifier was sent but no code_challenge was sent with the authorization")]
    DidNotExpectVerifier,
    /// S256(verifier) != challenge.
    #[error("code_verifier does not match code_challenge")]
    Mismatch,
}

impl PkceError {
    /// Stytch `error_type`.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::InvalidChallenge => "invalid_pkce_code_challenge",
            Self::InvalidVerifier => "invalid_pkce_code_verifier",
            Self::PlainNotSupported | Self::UnsupportedMethod => "invalid_pkce_code_challenge",
            Self::Required => "pkce_required_for_idp_authorization_flow",
            Self::ExpectedVerifier => "pkce_expected_code_verifier",
            Self::DidNotExpectVerifier => "pkce_did_not_expect_code_verifier",
            Self::Mismatch => "pkce_mismatch",
        }
    }

    /// OAuth form: token-time failures are `invalid_grant` (RFC 7636 §4.6); format problems and
    /// a missing challenge are `invalid_request` (RFC 7636 §4.4.1).
    pub fn to_oauth(self) -> OAuthError {
        let code = match self {
            Self::ExpectedVerifier | Self::DidNotExpectVerifier | Self::Mismatch => {
                OAuthErrorCode::InvalidGrant
            }
            _ => OAuthErrorCode::InvalidRequest,
        };
        OAuthError::new(code, self.to_string())
    }
}

/// The transformation named by `code_challenge_method`. Only S256 exists here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceMethod {
    /// `S256`: `BASE64URL(SHA256(ASCII(code_verifier)))`.
    S256,
}

impl PkceMethod {
    /// Absent → S256 (Stytch's Submit has no method field); `S256` → S256; `plain` refused.
    /// Case-sensitive, as in RFC 7636 §4.3.
    pub fn parse(method: Option<&str>) -> Result<Self, PkceError> {
        match method {
            None | Some("S256") => Ok(Self::S256),
            Some("plain") => Err(PkceError::PlainNotSupported),
            Some(_) => Err(PkceError::UnsupportedMethod),
        }
    }
}

/// A `code_challenge` (RFC 7636 §4.2): 43-128 chars of `[A-Za-z0-9-_]`. Not secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// Validate the format. Only a 43-char value can ever equal an S256 digest; longer ones
    /// are accepted (RFC 7636 grammar) and will simply fail verification.
    pub fn parse(s: &str) -> Result<Self, PkceError> {
        let ok = (MIN_LEN..=MAX_LEN).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PkceError::InvalidChallenge)
        }
    }

    /// The challenge text, for storing with the code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The S256 challenge of a verifier (for tests and clients).
    pub fn s256_of(verifier: &PkceVerifier) -> Self {
        Self(s256(verifier))
    }
}

/// A `code_verifier` (RFC 7636 §4.1): 43-128 chars of `[A-Za-z0-9-._~]`. Secret and single
/// use: no `Clone`, no `Display`, redacted `Debug`.
#[derive(PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// Validate the format.
    pub fn parse(s: &str) -> Result<Self, PkceError> {
        let ok = (MIN_LEN..=MAX_LEN).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PkceError::InvalidVerifier)
        }
    }

    /// The raw verifier.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PkceVerifier([REDACTED])")
    }
}

fn s256(verifier: &PkceVerifier) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.0.as_bytes()))
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(verifier)) == challenge`, compared in constant time.
pub fn verify_s256(challenge: &PkceChallenge, verifier: &PkceVerifier) -> bool {
    s256(verifier)
        .as_bytes()
        .ct_eq(challenge.0.as_bytes())
        .into()
}

/// Authorize/Submit time: public clients must send a challenge (spec §4.3, §13.1;
/// OAuth 2.1 §7.5.1). Confidential clients may.
pub fn require_challenge(
    client_type: ClientType,
    challenge: Option<&PkceChallenge>,
) -> Result<(), PkceError> {
    match challenge {
        None if client_type.is_public() => Err(PkceError::Required),
        _ => Ok(()),
    }
}

/// Token time (spec §6.3): a verifier is required iff a challenge was stored with the code,
/// and must match it. Consumes the verifier.
pub fn check_code_verifier(
    stored: Option<&PkceChallenge>,
    presented: Option<PkceVerifier>,
) -> Result<(), PkceError> {
    match (stored, presented) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(PkceError::ExpectedVerifier),
        (None, Some(_)) => Err(PkceError::DidNotExpectVerifier),
        (Some(c), Some(v)) if verify_s256(c, &v) => Ok(()),
        (Some(_), Some(_)) => Err(PkceError::Mismatch),
    }
}

#[cfg(test)]
mod tests;
