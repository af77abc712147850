//! Password reset rules (https://stytch.com/docs/b2b/api/passwords-email-reset-start,
//! `passwords-email-reset`, `passwords-session-reset`, `passwords-existing-password-reset`,
//! `passwords-email-require-reset`): link kind and lifetime, the link itself, the strength a new
//! password needs, how recent a session's factor must be, and the errors Stytch answers with.
//! Reset tokens are magic-link tokens ([`crate::magic_link::MagicLinkToken`]: 256 random bits,
//! stored as SHA-256) with their own kind, so a reset link cannot log in and a login link
//! cannot reset.

use time::OffsetDateTime;
use url::Url;

use crate::magic_link::MagicLinkToken;
use crate::password::StrengthResult;
use crate::session::SessionRecord;
use crate::ApiError;

/// The `kind` stored with a reset token.
pub const LINK_KIND: &str = "reset_password";
/// `reset_password_expiration_minutes` default (Stytch: 30, between 5 and 10080).
pub const DEFAULT_MINUTES: i64 = 30;
/// `passwords/session/reset`: a factor must have been authenticated this recently (Stytch).
pub const SESSION_FACTOR_MAX_AGE_SECS: i64 = 5 * 60;

/// The link in the email: the redirect URL with `stytch_token_type=multi_tenant_passwords` and
/// `token` added to its query (what the Stytch B2B SDKs' `parseAuthenticateUrl` reads).
pub fn link(redirect: &Url, token: &MagicLinkToken) -> String {
    let mut u = redirect.clone();
    u.query_pairs_mut()
        .append_pair("stytch_token_type", "multi_tenant_passwords")
        .append_pair("token", token.expose_secret());
    u.to_string()
}

/// A new password must pass the project's strength policy (as `passwords/strength_check`
/// judges it): else 400 `weak_password`.
pub fn require_strong(result: &StrengthResult) -> Result<(), ApiError> {
    if result.valid_password {
        return Ok(());
    }
    let mut message =
        String::from("The password is too weak: check it with passwords/strength_check first.");
    if !result.zxcvbn_feedback.warning.is_empty() {
        message = format!("{message} {}", result.zxcvbn_feedback.warning);
    }
    Err(ApiError::bad_request("weak_password", message))
}

/// `passwords/session/reset`: the session must hold a factor authenticated in the last five
/// minutes, else 400 `session_too_old_to_reset_password`.
pub fn require_recent_factor(s: &SessionRecord, now: OffsetDateTime) -> Result<(), ApiError> {
    let fmt = time::format_description::well_known::Rfc3339;
    let recent = s.factors.iter().any(|f| {
        OffsetDateTime::parse(&f.last_authenticated_at, &fmt)
            .is_ok_and(|t| (now - t).whole_seconds() <= SESSION_FACTOR_MAX_AGE_SECS)
    });
    match recent {
        true => Ok(()),
        false => Err(ApiError::bad_request(
            "session_too_old_to_reset_password",
            "The session has no factor authenticated in the last 5 minutes: log in again, then reset the password.",
        )),
    }
}

/// A correct password for a member marked by `passwords/email/require_reset`: 401
/// `member_reset_password` (the status docs/stytch-errors.md infers), until the member resets it.
pub fn reset_required() -> ApiError {
    ApiError::new(
        401,
        "member_reset_password",
        "This member must reset their password before logging in with one (passwords/email/reset/start).",
    )
}

/// A reset token presented to `passwords/email/reset` that is not a reset link.
pub fn not_a_reset_token() -> ApiError {
    crate::magic_link::Unusable::NotFound.to_api()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::{strength_check, StrengthPolicy};

    #[test]
    fn weak_passwords_are_refused_with_stytch_error() {
        let weak = strength_check("password", None, StrengthPolicy::Zxcvbn);
        assert_eq!(
            require_strong(&weak).unwrap_err().error_type,
            "weak_password"
        );
        let strong = strength_check(
            "correct-horse-battery-staple-91",
            None,
            StrengthPolicy::Zxcvbn,
        );
        assert!(require_strong(&strong).is_ok());
    }

    #[test]
    fn link_carries_token_type_and_token() {
        let u = Url::parse("https://app.example/reset?x=1").unwrap();
        let t = MagicLinkToken::generate(&crate::clock::OsTokens);
        let l = link(&u, &t);
        assert!(l.starts_with(
            "https://app.example/reset?x=1&stytch_token_type=multi_tenant_passwords&token="
        ));
    }
}
