//! TOTP (RFC 6238, Stytch `/v1/b2b/totp*`): HMAC-SHA-1, 6 digits, 30-second steps, with one
//! step of skew either way (RFC 6238 §5.2 "at most one time step is allowed as the network
//! delay"). The arithmetic is the `totp-rs` crate's; this module owns the rules around it: the
//! secret's size and encoding, the `otpauth://` URI authenticator apps scan, and single use
//! (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
//! successful validation has been issued for the first OTP"), by the last step used.

use totp_rs::{Algorithm, Builder, Secret, Totp};
use url::Url;
use zeroize::Zeroizing;

use crate::clock::TokenGenerator;
use crate::ApiError;

/// Seconds per step (RFC 6238 default X = 30).
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: u16 = 1;
/// Bytes of a generated secret: 160 bits, the HMAC-SHA-1 output size (RFC 4226 §4 R6).
pub const SECRET_BYTES: usize = 20;
/// Failed codes allowed per registration within [`ATTEMPT_WINDOW_SECS`] before 429.
pub const MAX_ATTEMPTS: i64 = 5;
pub const ATTEMPT_WINDOW_SECS: i64 = 600;
/// `expiration_minutes` of TOTP create: default 60, 5 to 1440 (Stytch).
pub const DEFAULT_EXPIRATION_MINUTES: i64 = 60;

/// A TOTP shared secret. Redacted `Debug`, zeroized on drop, no `Clone`.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate(tokens: &dyn TokenGenerator) -> Self {
        let mut b = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        tokens.fill(&mut b);
        TotpSecret(b)
    }

    /// Raw bytes, as unsealed from storage.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(Zeroizing::new(bytes))
    }

    /// A base32 secret from another system (`totp/migrate`); spaces and case are ignored.
    /// 400 `invalid_totp_secret` when it is not base32 or shorter than 80 bits (RFC 4226 R6
    /// asks for 128 at least, but authenticator apps commonly hold 80-bit secrets).
    pub fn from_base32(text: &str) -> Result<Self, ApiError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bad = || {
            ApiError::bad_request(
                "invalid_totp_secret",
                "The TOTP secret must be base32 of at least 80 bits.",
            )
        };
        let secret = Secret::try_from_base32(cleaned.trim_end_matches('=')).map_err(|_| bad())?;
        let bytes = secret.as_bytes().to_vec();
        if bytes.len() < 10 {
            return Err(bad());
        }
        Ok(TotpSecret(Zeroizing::new(bytes)))
    }

    /// The bytes, for sealing.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// The base32 form (no padding) shown to the member and put in the `otpauth://` URI.
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.to_vec())
            .to_base32()
            .trim_end_matches('=')
            .to_owned()
    }

    fn totp(&self) -> Totp {
        // Non-compliant only in accepting secrets under 128 bits, which migrate may bring.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.to_vec())
            .build_noncompliant()
    }

    /// The code for the step that holds `unix_time` (tests, and the hosted page's enrolment
    /// check).
    pub fn code_at(&self, unix_time: i64) -> String {
        self.totp()
            .generate(u64::try_from(unix_time).unwrap_or(0))
            .to_string()
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
    /// Not the code of any step in the window (or not six digits).
    Wrong,
    /// The code of a step already used (or older than one used).
    Reused,
}

impl CodeRefused {
    /// Both answer 401 `otp_code_not_found` (docs/stytch-errors.md): telling a reused code
    /// from a wrong one would only help someone who saw a code being typed.
    pub fn to_api(self) -> ApiError {
        ApiError::new(
            401,
            "otp_code_not_found",
            "The TOTP code is wrong, expired or was already used.",
        )
    }
}

/// Verifies `code` at `now` (unix seconds) for a registration whose last accepted step is
/// `last_used_step` (-1 when never used). Returns the step it matched, which the caller must
/// record atomically (the store's `WHERE last_used_step < $step`) for the code to be spent.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: i64,
    last_used_step: i64,
) -> Result<i64, CodeRefused> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRefused::Wrong);
    }
    let now = u64::try_from(now).map_err(|_| CodeRefused::Wrong)?;
    let step = secret.totp().check(code, now).ok_or(CodeRefused::Wrong)?;
    let step = i64::try_from(step).map_err(|_| CodeRefused::Wrong)?;
    if step <= last_used_step {
        return Err(CodeRefused::Reused);
    }
    Ok(step)
}

/// The `otpauth://totp/…` URI (Google Authenticator's key URI format) that the QR code
/// carries: label `issuer:account`, the base32 secret, SHA1, 6 digits, 30 s.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let mut url = match Url::parse("otpauth://totp/") {
        Ok(u) => u,
        Err(_) => return String::new(),
    };
    url.set_path(&format!("/{}", urlencode(&label)));
    url.query_pairs_mut()
        .append_pair("secret", &secret.to_base32())
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", "6")
        .append_pair("period", "30");
    url.to_string()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Validates `expiration_minutes` of TOTP create (5 to 1440, default 60).
pub fn expiration_minutes(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(DEFAULT_EXPIRATION_MINUTES),
        Some(m) if (5..=1440).contains(&m) => Ok(m),
        Some(_) => Err(ApiError::bad_request(
            "invalid_expiration_minutes",
            "expiration_minutes must be between 5 and 1440.",
        )),
    }
}

/// 404 `totp_not_found`: the member has no (verified, where one is needed) TOTP registration.
pub fn totp_not_found() -> ApiError {
    ApiError::new(
        404,
        "totp_not_found",
        "The member has no TOTP registration.",
    )
}

/// 400 `active_totp_exists` (Stytch): one verified TOTP per member.
pub fn active_totp_exists() -> ApiError {
    ApiError::bad_request(
        "active_totp_exists",
        "Cannot create a new TOTP for the member since the member already has an active TOTP. Members may only have one active TOTP at a time.",
    )
}

/// 429 `too_many_requests` after [`MAX_ATTEMPTS`] wrong codes in the window.
pub fn too_many_attempts() -> ApiError {
    ApiError::new(
        429,
        "too_many_requests",
        "Too many wrong codes for this TOTP registration; wait a few minutes and try again.",
    )
}

#[cfg(test)]
mod tests;
