//! Multi-factor authentication wire types (issue 13 items 1, 2): the `mfa_required` object of
//! primary-login responses (`api_b2b_mfa_v1_MfaRequired`), and the request bodies of Stytch's
//! `/v1/b2b/totp*` and `/v1/b2b/recovery_codes/*` endpoints (raw: every field optional, the
//! server checks the required ones).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `api_b2b_mfa_v1_MemberOptions`: how the member can complete MFA.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct MemberOptions {
    pub mfa_phone_number: String,
    pub totp_registration_id: String,
}

/// `api_b2b_mfa_v1_MfaRequired`: a primary factor succeeded but a second one is needed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct MfaRequired {
    pub member_options: Option<MemberOptions>,
    /// `null`, or `sms_otp` when a passcode was already sent to the member's phone.
    pub secondary_auth_initiated: Option<String>,
}

/// `POST /v1/b2b/totp` (`api_b2b_totp_v1_CreateRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct TotpCreateRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub expiration_minutes: Option<i64>,
    pub intermediate_session_token: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
}

/// `POST /v1/b2b/totp/authenticate` (`api_b2b_totp_v1_AuthenticateRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct TotpAuthenticateRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub code: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    /// `enroll` or `unenroll`.
    pub set_mfa_enrollment: Option<String>,
    pub set_default_mfa: Option<bool>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/totp/migrate` (`api_b2b_totp_v1_MigrateRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct TotpMigrateRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub secret: Option<String>,
    pub recovery_codes: Option<Vec<String>>,
}

/// `POST /v1/b2b/recovery_codes/recover` (`api_b2b_recovery_codes_v1_RecoverRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct RecoverRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub recovery_code: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/recovery_codes/rotate` (`api_b2b_recovery_codes_v1_RotateRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct RotateRecoveryCodesRequest {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
}
