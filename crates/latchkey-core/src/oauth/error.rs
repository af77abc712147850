//! The one closed set of OAuth 2.x / OpenID Connect error codes and the `OAuthError` value
//! carried by token, introspection, revocation and authorize-redirect responses.
//!
//! Codes come from RFC 6749 §4.1.2.1 (authorization response) and §5.2 (token endpoint),
//! RFC 6750 §3.1 (bearer-token resource errors) and OpenID Connect Core 1.0 §3.1.2.6
//! (`login_required`, `consent_required`, `interaction_required`). Stytch's SDKs decode
//! this family as the body shape `{error, error_description, error_uri}` (spec §2.3).

use serde::{Deserialize, Serialize};

/// An OAuth error code. Closed: every code the server can emit is listed here, and each has
/// exactly one HTTP status ([`OAuthErrorCode::http_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    /// RFC 6749 §4.1.2.1, §5.2: missing, repeated or malformed parameter.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: code / refresh token invalid, expired, revoked or issued to another client.
    InvalidGrant,
    /// RFC 6749 §4.1.2.1, §5.2: client not allowed to use this grant or response type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: grant type not supported.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1, §5.2: scope invalid, unknown or malformed.
    InvalidScope,
    /// RFC 6749 §4.1.2.1: resource owner or authorization server denied the request.
    AccessDenied,
    /// RFC 6749 §4.1.2.1: response type not supported.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1: unexpected condition (a 500 that has to travel in a redirect).
    ServerError,
    /// RFC 6749 §4.1.2.1: temporary overload or maintenance.
    TemporarilyUnavailable,
    /// RFC 6750 §3.1: access token expired, revoked, malformed or invalid.
    InvalidToken,
    /// RFC 6750 §3.1: the token lacks the scope the resource requires.
    InsufficientScope,
    /// OIDC Core §3.1.2.6: end-user authentication is required.
    LoginRequired,
    /// OIDC Core §3.1.2.6: end-user consent is required.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: some user interaction is required.
    InteractionRequired,
    /// RFC 8707 §2: the requested resource is invalid, missing, unknown or malformed.
    InvalidTarget,
    /// RFC 8628 §3.5: the member has not yet approved or denied the device request.
    AuthorizationPending,
    /// RFC 8628 §3.5: the device polls faster than its interval (which grows by 5 seconds).
    SlowDown,
    /// RFC 8628 §3.5: the device code expired; the device starts again.
    ExpiredToken,
    /// RFC 9449 §5, §7.1: the DPoP proof is missing, malformed or does not match the request.
    InvalidDpopProof,
}

impl OAuthErrorCode {
    /// Every code, in declaration order (for exhaustive tests and documentation).
    pub const ALL: [OAuthErrorCode; 20] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::AccessDenied,
        Self::UnsupportedResponseType,
        Self::ServerError,
        Self::TemporarilyUnavailable,
        Self::InvalidToken,
        Self::InsufficientScope,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::InteractionRequired,
        Self::InvalidTarget,
        Self::AuthorizationPending,
        Self::SlowDown,
        Self::ExpiredToken,
        Self::InvalidDpopProof,
    ];

    /// The wire value of the `error` member / query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidTarget => "invalid_target",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
        }
    }

    /// Parse a wire value; `None` for anything outside the closed set.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// HTTP status when the error is returned as a JSON body rather than in a redirect.
    ///
    /// - `invalid_client` → 401 (RFC 6749 §5.2 allows 400, but 401 is required when the client
    ///   tried HTTP Basic, and one status per code keeps it simple; send `WWW-Authenticate`).
    /// - `invalid_token` → 401 and `insufficient_scope` → 403 (RFC 6750 §3.1).
    /// - `access_denied` → 403 (only reaches a JSON body outside the redirect flow).
    /// - `server_error` → 500, `temporarily_unavailable` → 503 (their HTTP equivalents).
    /// - everything else → 400 (RFC 6749 §5.2).
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::AccessDenied | Self::InsufficientScope => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            Self::InvalidRequest
            | Self::InvalidGrant
            | Self::UnauthorizedClient
            | Self::UnsupportedGrantType
            | Self::InvalidScope
            | Self::UnsupportedResponseType
            | Self::LoginRequired
            | Self::ConsentRequired
            | Self::InteractionRequired
            | Self::InvalidTarget
            | Self::AuthorizationPending
            | Self::SlowDown
            | Self::ExpiredToken
            | Self::InvalidDpopProof => 400,
        }
    }

    /// Whether a JSON response with this code must carry a `WWW-Authenticate` header
    /// (RFC 6749 §5.2 for `invalid_client`, RFC 6750 §3 for bearer-token errors).
    pub fn needs_www_authenticate(self) -> bool {
        matches!(
            self,
            Self::InvalidClient | Self::InvalidToken | Self::InsufficientScope
        )
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error: a code plus a human-readable `error_description` (RFC 6749 §5.2).
///
/// The description must stay within RFC 6749's `error_description` alphabet (printable ASCII
/// without `"` and `\`); [`OAuthError::new`] replaces anything else with `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    /// The `error` value.
    pub code: OAuthErrorCode,
    /// The `error_description` value.
    pub description: String,
}

impl OAuthError {
    /// Build an error, sanitising the description to RFC 6749 §5.2's
    /// `%x20-21 / %x23-5B / %x5D-7E`.
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        let description = description
            .into()
            .chars()
            .map(|c| match c {
                ' ' | '!' | '#'..='[' | ']'..='~' => c,
                _ => '?',
            })
            .collect();
        Self { code, description }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` with a description.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope` with a description.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidScope, description)
    }

    /// `invalid_target` (RFC 8707 §2) with a description.
    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidTarget, description)
    }

    /// `access_denied` with a description.
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::AccessDenied, description)
    }

    /// HTTP status of this error as a JSON body (see [`OAuthErrorCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }
}

#[cfg(test)]
mod tests;
