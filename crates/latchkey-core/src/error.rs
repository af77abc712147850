//! `ApiError`: a failure in Stytch's error shape (`status_code`, `error_type`,
//! `error_message`). The server adds `request_id` and `error_url` and maps it to HTTP in one
//! place. Error types and messages follow Stytch's error reference
//! (https://stytch.com/docs/api-reference/b2b/api/errors/400 and siblings).

use std::borrow::Cow;

/// A Stytch API error: HTTP status, machine-readable `error_type`, human `error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub error_type: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, error_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error_type: Cow::Borrowed(error_type),
            message: message.into(),
        }
    }

    /// 400 with the given type.
    pub fn bad_request(error_type: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, error_type, message)
    }

    /// 400 `bad_request` for a malformed field, naming it.
    pub fn invalid_field(field: &str, why: &str) -> Self {
        Self::new(400, "bad_request", format!("{field} {why}"))
    }

    /// 400 for a missing required field.
    pub fn missing_field(field: &str) -> Self {
        Self::new(
            400,
            "missing_required_field",
            format!("{field} is a required field."),
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized_credentials", "Unauthorized credentials.")
    }

    pub fn organization_not_found() -> Self {
        Self::new(
            404,
            "organization_not_found",
            "Organization could not be found.",
        )
    }

    pub fn member_not_found() -> Self {
        Self::new(404, "member_not_found", "Member could not be found.")
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "internal_server_error",
            "Oops, something seems to have gone wrong, please reach out to support@stytch.com to let us know what went wrong.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error_type, self.message)
    }
}

impl std::error::Error for ApiError {}
