//! One-time passcode request bodies (`api_b2b_otp_v1_b2b_otp_sms_SendRequest`,
//! `..._sms_AuthenticateRequest`, `..._email_LoginOrSignupRequest`,
//! `..._email_AuthenticateRequest`). Raw: every field optional, unknown fields ignored.

use serde::Deserialize;
use serde_json::{Map, Value};

/// `POST /v1/b2b/otps/sms/send` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtpSmsSendRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub mfa_phone_number: Option<String>,
    pub locale: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
}

/// `POST /v1/b2b/otps/sms/authenticate` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtpSmsAuthenticateRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub code: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    /// `enroll` or `unenroll` (ignored under `mfa_policy: REQUIRED_FOR_ALL`).
    pub set_mfa_enrollment: Option<String>,
    pub set_default_mfa: Option<bool>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/otps/email/login_or_signup` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtpEmailLoginOrSignupRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub login_template_id: Option<String>,
    pub signup_template_id: Option<String>,
    pub locale: Option<String>,
    pub login_expiration_minutes: Option<i64>,
    pub signup_expiration_minutes: Option<i64>,
}

/// `POST /v1/b2b/otps/email/authenticate` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtpEmailAuthenticateRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub code: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub locale: Option<String>,
    pub telemetry_id: Option<String>,
}
