//! An organization's login policies, one rule in one place, each failing closed (issue 9 item 9):
//! which primary authentication methods it allows (`auth_methods` + `allowed_auth_methods`,
//! https://stytch.com/docs/b2b/api/organization-object), and whether a primary factor alone may
//! yield a full session (`mfa_policy`, the member's `mfa_enrolled`), and which second factors
//! count (`mfa_methods` + `allowed_mfa_methods`). Every login path (API passwords and magic
//! links, TOTP and recovery codes, the hosted page, `sessions/exchange`, Connected Apps
//! authorize) calls these functions; the intermediate session (`crate::mfa`) is what a primary
//! factor yields while [`mfa_satisfied`] does not hold.

use latchkey_types::{AuthenticationFactor, Member, Organization};

use crate::ApiError;

/// A primary authentication method as `allowed_auth_methods` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    MagicLink,
    EmailOtp,
    Sso,
}

impl AuthMethod {
    /// The `allowed_auth_methods` value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::MagicLink => "magic_link",
            AuthMethod::EmailOtp => "email_otp",
            AuthMethod::Sso => "sso",
        }
    }

    /// The method a session factor proves, by its `type`; `None` for factors that are no
    /// primary method (e.g. `oauth_access_token_exchange`).
    pub fn of_factor(f: &AuthenticationFactor) -> Option<Self> {
        match f.kind.as_str() {
            "password" => Some(AuthMethod::Password),
            "magic_link" => Some(AuthMethod::MagicLink),
            "email_otp" => Some(AuthMethod::EmailOtp),
            "sso" => Some(AuthMethod::Sso),
            _ => None,
        }
    }

    fn described(self) -> &'static str {
        match self {
            AuthMethod::Password => "password logins",
            AuthMethod::MagicLink => "email magic links",
            AuthMethod::EmailOtp => "email one-time passcodes",
            AuthMethod::Sso => "SSO",
        }
    }
}

/// Whether `org` allows `method`: `ALL_ALLOWED` allows all; `RESTRICTED` only the listed ones
/// (Stytch: "only methods that comply with allowed_auth_methods can be used"); any other stored
/// value allows nothing.
pub fn allows(org: &Organization, method: AuthMethod) -> bool {
    match org.auth_methods.as_str() {
        "ALL_ALLOWED" => true,
        "RESTRICTED" => org
            .allowed_auth_methods
            .iter()
            .any(|m| m == method.as_str()),
        _ => false,
    }
}

/// [`allows`] as a Stytch error: 403 `unauthorized_auth_method`.
pub fn require(org: &Organization, method: AuthMethod) -> Result<(), ApiError> {
    if allows(org, method) {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "unauthorized_auth_method",
            format!(
                "This organization does not allow {} (auth_methods is RESTRICTED).",
                method.described()
            ),
        ))
    }
}

/// Whether a session's factors satisfy `org` (`sessions/exchange`): at least one factor is a
/// method the organization allows.
pub fn allows_factors(org: &Organization, factors: &[AuthenticationFactor]) -> bool {
    factors
        .iter()
        .filter_map(AuthMethod::of_factor)
        .any(|m| allows(org, m))
}

/// Whether logging `member` in to `org` needs a second factor: the organization requires MFA
/// for all (`mfa_policy: REQUIRED_FOR_ALL`, or any value but `OPTIONAL`: fail closed), or the
/// member is enrolled (`mfa_enrolled`). Stytch: "If the Organization's MFA policy is
/// REQUIRED_FOR_ALL or the Member has MFA enrolled, an intermediate session is returned".
pub fn mfa_required(org: &Organization, member: &Member) -> bool {
    org.mfa_policy != "OPTIONAL" || member.mfa_enrolled
}

/// A second factor as `allowed_mfa_methods` names it (Stytch's B2B MFA factors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    SmsOtp,
    Totp,
}

impl MfaMethod {
    /// The `allowed_mfa_methods` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMethod::SmsOtp => "sms_otp",
            MfaMethod::Totp => "totp",
        }
    }

    /// The second factor a session factor proves, by Stytch's AuthenticationFactor `type` and
    /// `delivery_method`: `otp` by `sms` is an SMS passcode, `totp` an authenticator app, and
    /// `recovery_codes` stand in for the TOTP they were issued with. Primary factors: `None`.
    pub fn of_factor(f: &AuthenticationFactor) -> Option<Self> {
        match (f.kind.as_str(), f.delivery_method.as_str()) {
            ("otp", "sms") | ("sms_otp", _) => Some(MfaMethod::SmsOtp),
            ("totp", _) | ("recovery_codes", _) => Some(MfaMethod::Totp),
            _ => None,
        }
    }

    fn described(self) -> &'static str {
        match self {
            MfaMethod::SmsOtp => "SMS one-time passcodes",
            MfaMethod::Totp => "authenticator apps (TOTP)",
        }
    }
}

/// Whether `org` allows `method` as a second factor: `mfa_methods: ALL_ALLOWED` allows both;
/// `RESTRICTED` only those in `allowed_mfa_methods`; any other stored value allows nothing.
pub fn allows_mfa(org: &Organization, method: MfaMethod) -> bool {
    match org.mfa_methods.as_str() {
        "ALL_ALLOWED" => true,
        "RESTRICTED" => org.allowed_mfa_methods.iter().any(|m| m == method.as_str()),
        _ => false,
    }
}

/// [`allows_mfa`] as a Stytch error: 403 `unauthorized_mfa_method` (docs/stytch-errors.md).
pub fn require_mfa_method(org: &Organization, method: MfaMethod) -> Result<(), ApiError> {
    if allows_mfa(org, method) {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "unauthorized_mfa_method",
            format!(
                "This organization does not allow {} as a second factor (mfa_methods is RESTRICTED).",
                method.described()
            ),
        ))
    }
}

/// Whether `factors` are enough for a full session of `member` in `org`: no second factor is
/// required ([`mfa_required`]), or one of the factors is a second factor the organization
/// allows ([`allows_mfa`]). Every path that turns factors into a session, or accepts a session
/// for an organization (Connected Apps authorize, `sessions/exchange`), asks this.
pub fn mfa_satisfied(
    org: &Organization,
    member: &Member,
    factors: &[AuthenticationFactor],
) -> bool {
    !mfa_required(org, member)
        || factors
            .iter()
            .filter_map(MfaMethod::of_factor)
            .any(|m| allows_mfa(org, m))
}

/// [`mfa_satisfied`] as a Stytch error, for a *session* presented where the organization
/// needs MFA it lacks (Connected Apps authorize): 403 `mfa_required` (docs/stytch-errors.md).
pub fn require_mfa_satisfied(
    org: &Organization,
    member: &Member,
    factors: &[AuthenticationFactor],
) -> Result<(), ApiError> {
    if mfa_satisfied(org, member, factors) {
        return Ok(());
    }
    Err(ApiError::new(
        403,
        "mfa_required",
        "The organization requires multi-factor authentication and this session has no second factor; complete MFA (TOTP, SMS passcode or a recovery code) first.",
    ))
}

#[cfg(test)]
mod tests;
