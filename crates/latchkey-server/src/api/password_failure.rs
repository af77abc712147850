//! Why a password login failed, as a type (code review §9 item 5): `check_password` returns it,
//! the API maps it once to Stytch's envelope ([`PasswordFailure::into_api`]) and the hosted page
//! once to its own copy, so the page never parses `error_type` strings.

use latchkey_core::password::lockout;
use latchkey_core::ApiError;
use latchkey_store::StoreError;

use crate::envelope::ApiFailure;

#[derive(Debug)]
pub enum PasswordFailure {
    /// Wrong password, unknown email, no password or a member who is not active: one answer
    /// for all (401 `unauthorized_credentials`).
    Credentials,
    /// The member is locked after too many failures (429 `user_lock_limit_reached`).
    Locked,
    /// Too many failures from the client's address (429 `too_many_requests`).
    Throttled(ApiError),
    /// The organization does not allow passwords (403 `unauthorized_auth_method`).
    MethodNotAllowed(ApiError),
    /// The password was right but `passwords/email/require_reset` marked it (401
    /// `member_reset_password`).
    ResetRequired,
    /// Anything else (store, hashing): the API's generic answer.
    Internal(ApiFailure),
}

impl PasswordFailure {
    /// The Stytch error the API answers with.
    pub fn into_api(self) -> ApiFailure {
        match self {
            PasswordFailure::Credentials => ApiError::unauthorized().into(),
            PasswordFailure::Locked => lockout::locked_error().into(),
            PasswordFailure::ResetRequired => {
                latchkey_core::password::reset::reset_required().into()
            }
            PasswordFailure::Throttled(e) | PasswordFailure::MethodNotAllowed(e) => e.into(),
            PasswordFailure::Internal(f) => f,
        }
    }
}

impl From<ApiFailure> for PasswordFailure {
    fn from(f: ApiFailure) -> Self {
        PasswordFailure::Internal(f)
    }
}

impl From<StoreError> for PasswordFailure {
    fn from(e: StoreError) -> Self {
        PasswordFailure::Internal(e.into())
    }
}

impl From<PasswordFailure> for ApiFailure {
    fn from(f: PasswordFailure) -> Self {
        f.into_api()
    }
}
