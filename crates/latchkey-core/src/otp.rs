//! One-time passcodes (issue 13 item 3; https://stytch.com/docs/b2b/api/otp-sms-send,
//! `otp-sms-authenticate`, `otp-email-login-or-signup`, `otp-email-authenticate`): six-digit
//! codes sent by SMS (a second factor) or email (a primary factor), their lifetimes, the keyed
//! hash they are stored as, the attempt limit and the resend interval, and the verdict on a
//! presented code.
//!
//! A six-digit code has only a million values, so a plain SHA-256 of it is reversed by trying
//! them all. Codes are stored as `HMAC-SHA256(project OTP key, code_id ‖ code)`; the key is
//! sealed at rest with the master key (like the signing keys), so a copy of the database alone
//! does not reveal a live code. Online guessing is bounded by [`MAX_ATTEMPTS`] per code, each
//! attempt claimed atomically in the store before the comparison.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::clock::TokenGenerator;
use crate::ApiError;

/// SMS codes live two minutes (Stytch: "OTP codes expire after two minutes").
pub const SMS_LIFETIME_SECS: i64 = 120;
/// Email codes: `login_expiration_minutes` / `signup_expiration_minutes`, default 10, 2 to 15
/// (Stytch's `LoginOrSignupRequest`).
pub const EMAIL_DEFAULT_MINUTES: i64 = 10;
const EMAIL_MIN_MINUTES: i64 = 2;
const EMAIL_MAX_MINUTES: i64 = 15;
/// Wrong guesses a code survives: the fifth attempt is its last, right or wrong.
pub const MAX_ATTEMPTS: i64 = 5;
/// A member gets at most one new code per channel in this many seconds (sending one replaces
/// the previous one, as Stytch documents, so a faster resend would only cost SMS fees).
pub const RESEND_INTERVAL_SECS: i64 = 30;
/// Digits of a code.
pub const CODE_DIGITS: usize = 6;

/// Where a code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    /// The stored `channel` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// A code in the clear: sent once, never stored. Redacted Debug, no Clone.
pub struct OtpCode(String);

impl OtpCode {
    /// Six uniformly random digits (rejection sampling: no modulo bias).
    pub fn generate(tokens: &dyn TokenGenerator) -> Self {
        const RANGE: u32 = 1_000_000;
        // The largest multiple of RANGE that fits in a u32.
        const LIMIT: u32 = u32::MAX - (u32::MAX % RANGE);
        loop {
            let mut b = [0u8; 4];
            tokens.fill(&mut b);
            let n = u32::from_be_bytes(b);
            if n < LIMIT {
                return OtpCode(format!("{:06}", n % RANGE));
            }
        }
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

/// The stored form of `code` issued as `code_id`: hex `HMAC-SHA256(key, label ‖ code_id ‖ 0 ‖
/// code)`. The id binds the hash to its row, so equal codes of two members differ.
pub fn code_hash(key: &[u8], code_id: &str, code: &str) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(b"latchkey otp v1\0");
            m.update(code_id.as_bytes());
            m.update(b"\0");
            m.update(code.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => String::new(),
    }
}

/// A stored code, as the store hands it to [`verify`] after claiming an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCode {
    pub code_id: String,
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    pub channel: String,
    /// The phone number (E.164) or email address the code went to.
    pub destination: String,
    pub code_hash: String,
    /// Attempts made, this one included.
    pub attempts: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

/// Why a presented code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No code was sent to this member on this channel (or it was replaced).
    NotFound,
    Wrong,
    Expired,
    AlreadyUsed,
    /// [`MAX_ATTEMPTS`] were spent: the code is dead; a new one must be sent.
    TooManyAttempts,
}

impl Refusal {
    /// Stytch's error shape: 401 for every refusal of a code but a dead one (429), so a caller
    /// cannot tell a wrong code from an unknown one.
    pub fn to_api(self) -> ApiError {
        match self {
            Refusal::TooManyAttempts => ApiError::new(
                429,
                "otp_code_too_many_attempts",
                "Too many wrong codes: this passcode no longer works. Send a new one.",
            ),
            Refusal::Expired => ApiError::new(
                401,
                "otp_code_expired",
                "The passcode has expired. Send a new one.",
            ),
            _ => ApiError::new(
                401,
                "unable_to_auth_otp_code",
                "The passcode is wrong, was already used, or was replaced by a newer one.",
            ),
        }
    }
}

/// The verdict on `presented` for a code whose attempt was claimed: right, unused, unexpired.
/// Compared in constant time.
pub fn verify(key: &[u8], stored: &StoredCode, presented: &str, now: i64) -> Result<(), Refusal> {
    if stored.used_at.is_some() {
        return Err(Refusal::AlreadyUsed);
    }
    if stored.expires_at <= now {
        return Err(Refusal::Expired);
    }
    if stored.attempts > MAX_ATTEMPTS {
        return Err(Refusal::TooManyAttempts);
    }
    let presented = presented.trim();
    if presented.len() != CODE_DIGITS || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Wrong);
    }
    let expected = code_hash(key, &stored.code_id, presented);
    if bool::from(expected.as_bytes().ct_eq(stored.code_hash.as_bytes())) {
        Ok(())
    } else {
        Err(Refusal::Wrong)
    }
}

/// `login_expiration_minutes` / `signup_expiration_minutes` of an email code: 2 to 15, default
/// 10 (400 `invalid_expiration_minutes` otherwise).
pub fn email_minutes(field: &str, given: Option<i64>) -> Result<i64, ApiError> {
    match given {
        None => Ok(EMAIL_DEFAULT_MINUTES),
        Some(m) if (EMAIL_MIN_MINUTES..=EMAIL_MAX_MINUTES).contains(&m) => Ok(m),
        Some(_) => Err(ApiError::bad_request(
            "invalid_expiration_minutes",
            format!("{field} must be between {EMAIL_MIN_MINUTES} and {EMAIL_MAX_MINUTES}."),
        )),
    }
}

/// 429 for a resend within [`RESEND_INTERVAL_SECS`] of the last code.
pub fn resend_too_soon() -> ApiError {
    ApiError::new(
        429,
        "too_many_requests",
        format!(
            "A passcode was sent less than {RESEND_INTERVAL_SECS} seconds ago. Wait before asking for another."
        ),
    )
}

/// The phone the SMS code of `member` goes to (Stytch `otps/sms/send`): the member's own
/// number when it has one (a different `mfa_phone_number` is 400
/// `mfa_phone_number_mismatch`), else the given one, validated as E.164, which the member
/// then carries (unverified until a code sent to it is authenticated). Returns the number and
/// whether it is new to the member.
pub fn sms_destination(
    member_phone: &str,
    given: Option<&str>,
) -> Result<(String, bool), ApiError> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    match (member_phone.is_empty(), given) {
        (false, None) => Ok((member_phone.to_string(), false)),
        (false, Some(g)) if g == member_phone => Ok((member_phone.to_string(), false)),
        (false, Some(_)) => Err(ApiError::bad_request(
            "mfa_phone_number_mismatch",
            "The member already has a different mfa_phone_number; update the member to change it.",
        )),
        (true, Some(g)) => Ok((crate::validate::e164(g)?, true)),
        (true, None) => Err(ApiError::bad_request(
            "no_mfa_phone_number",
            "The member has no mfa_phone_number: pass mfa_phone_number to send the passcode to.",
        )),
    }
}

/// The session factor of an SMS passcode (Stytch: type `otp`, delivery method `sms`, with
/// `phone_number_factor`; `api_session_v1_AuthenticationFactor`).
pub fn sms_factor(
    member: &latchkey_types::Member,
    phone: &str,
    now: time::OffsetDateTime,
) -> latchkey_types::AuthenticationFactor {
    let mut f = crate::session::factor("otp", "sms", member, now);
    f.phone_number_factor = Some(latchkey_types::PhoneNumberFactor {
        phone_id: format!(
            "phone-number-{}",
            member.member_id.trim_start_matches("member-")
        ),
        phone_number: phone.to_string(),
    });
    f
}

/// The SMS text.
pub fn sms_body(product: &str, code: &OtpCode) -> String {
    format!(
        "{} is your {product} verification code. It expires in {} minutes.",
        code.expose_secret(),
        SMS_LIFETIME_SECS / 60
    )
}

/// The `X-Latchkey-Signature` of an SMS webhook delivery (docs/operations.md): `v1=` and the
/// hex `HMAC-SHA256(secret, "{timestamp}.{body}")`. Signing the timestamp with the body lets the
/// receiver refuse a replayed delivery by its age.
pub fn webhook_signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(timestamp.to_string().as_bytes());
            m.update(b".");
            m.update(body);
            format!("v1={}", hex::encode(m.finalize().into_bytes()))
        }
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests;
