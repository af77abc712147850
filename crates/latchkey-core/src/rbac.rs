//! The project's RBAC policy as an operator writes it and as the API serves it (spec §15.7),
//! and the session authorization check (Stytch `authorization_check`, spec §8.2, §15.7).
//!
//! The policy shapes (`RbacPolicy`, `Role`, `Resource`, `RbacScope`) and scope grantability
//! live in [`crate::oauth::rbac`]; this module adds what the operator's file needs:
//! - [`parse_policy_document`]: the JSON/TOML document → `RbacPolicy`, every unknown key or
//!   wrong type reported with its path (`roles[1].permissions[0].actions`);
//! - [`validate_policy`]: Stytch's rules (reserved `stytch` prefix, unknown resources and
//!   actions, `*` rules, duplicates, lengths), all errors at once, Stytch's error types;
//! - [`effective_policy`]: Stytch's defaults merged with the operator's policy;
//! - [`authorize`]: the `verdict` of a session check.
//!
//! Sources: <https://stytch.com/docs/b2b/guides/rbac/overview>,
//! <https://stytch.com/docs/b2b/guides/rbac/stytch-default>,
//! <https://stytch.com/docs/api-reference/b2b/api/sessions/authenticate-session>.

mod actor;
mod authorize;
mod document;
mod merge;
mod validate;

use std::fmt;

pub use actor::{authorize_actor, requirements, Need, Operation, Requirement};
pub use authorize::{authorize, AuthorizationCheck, Verdict};
pub use document::parse_policy_document;
pub use merge::effective_policy;
pub use validate::{validate_org_roles, validate_policy, MAX_DESCRIPTION_CHARS, MAX_ID_CHARS};

pub use crate::oauth::rbac::{
    default_policy, Permission, RbacPolicy, RbacScope, Resource, Role, STYTCH_ADMIN_ROLE,
    STYTCH_MEMBER_ROLE, WILDCARD_ACTION,
};
use crate::ApiError;

/// One problem in an operator's policy: where it is, Stytch's `error_type`, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// Path of the offending entry, e.g. `roles[1].permissions[0].actions[2]`.
    pub path: String,
    /// Stytch's error type, e.g. `invalid_permission_action`.
    pub error_type: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(path: impl Into<String>, error_type: &'static str, message: String) -> Self {
        Self {
            path: path.into(),
            error_type,
            message,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.error_type)
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        ApiError::bad_request(e.error_type, format!("{}: {}", e.path, e.message))
    }
}

#[cfg(test)]
mod tests;
