//! An organization's login policies, one rule in one place, each failing closed (issue 9 item 9):
//! which primary authentication methods it allows (`auth_methods` + `allowed_auth_methods`,
//! https://stytch.com/docs/b2b/api/organization-object), and whether a primary factor alone may
//! yield a full session (`mfa_policy`, the member's `mfa_enrolled`). Every login path (API
//! passwords and magic links, the hosted page, `sessions/exchange`) calls these functions.

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
/// for all (`mfa_policy: REQUIRED_FOR_ALL`, or any value but `OPTIONAL`), or the member is
/// enrolled (`mfa_enrolled`).
pub fn mfa_required(org: &Organization, member: &Member) -> bool {
    org.mfa_policy != "OPTIONAL" || member.mfa_enrolled
}

/// Fails closed until latchkey implements MFA: a primary factor alone never yields a full
/// session where [`mfa_required`] holds (Stytch would answer with an intermediate session and
/// `mfa_required`). 403 `mfa_required_not_supported` (docs/stytch-errors.md).
pub fn require_no_mfa(org: &Organization, member: &Member) -> Result<(), ApiError> {
    if mfa_required(org, member) {
        return Err(ApiError::new(
            403,
            "mfa_required_not_supported",
            "This login requires multi-factor authentication (the organization's mfa_policy is REQUIRED_FOR_ALL or the member is enrolled in MFA), which latchkey does not support yet; no session was started.",
        ));
    }
    Ok(())
}

/// The rules a primary login by `method` must pass before it becomes a full session: the
/// organization allows the method, and no second factor is required.
pub fn primary_login(
    org: &Organization,
    member: &Member,
    method: AuthMethod,
) -> Result<(), ApiError> {
    require(org, method)?;
    require_no_mfa(org, member)
}

#[cfg(test)]
mod tests;
