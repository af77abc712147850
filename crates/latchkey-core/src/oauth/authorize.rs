//! Parsing of the authorize-request parameters Stytch restricts (`response_type`, `prompt`)
//! and `AuthorizeError`, the Stytch-typed failures of Start / Submit after the client and
//! redirect URI are known good (spec §3, §4.3, §5).
//!
//! Every variant can travel back to the client in an RFC 6749 §4.1.2.1 error redirect
//! ([`AuthorizeError::to_oauth`]) or be returned by Start as a Stytch JSON error
//! ([`AuthorizeError::error_type`], [`AuthorizeError::status_code`]).

use super::error::{OAuthError, OAuthErrorCode};
use super::pkce::PkceError;
use super::scope::ScopeError;

/// Authorization failure, after client and `redirect_uri` were validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// `response_type` other than `code` (OAuth 2.1 removed `token`).
    #[error("unsupported response_type '{0}'; only code is supported")]
    UnsupportedResponseType(String),
    /// A `prompt` value other than `consent` (Stytch supports only `consent`, spec §3).
    #[error("unsupported prompt value '{0}'; only consent is supported")]
    UnsupportedPrompt(String),
    /// The organization's `*_connected_apps_allowed_type` forbids this client (§15.2).
    #[error("this connected app is not allowed for the organization")]
    NotAllowedForOrg,
    /// A third-party client asked for `full_access` (spec §4.3, §14.1).
    #[error("third-party clients cannot use full_access")]
    ThirdPartyFullAccess,
    /// The member can grant none of the requested scopes.
    #[error("none of the requested scopes can be granted by this member")]
    NothingGrantable,
    /// Empty, malformed or unknown scope.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// Missing or malformed PKCE challenge.
    #[error(transparent)]
    Pkce(#[from] PkceError),
}

impl AuthorizeError {
    /// Stytch `error_type` (spec §2.5). `oauth_invalid_request` for prompt is an inference
    /// from Stytch error names seen in integrations; Stytch documents no prompt error.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::UnsupportedResponseType(_) => "oauth_unsupported_response_type",
            Self::UnsupportedPrompt(_) => "oauth_invalid_request",
            Self::NotAllowedForOrg => "connected_app_not_allowed_for_org",
            Self::ThirdPartyFullAccess => "third_party_clients_cannot_use_full_access",
            Self::NothingGrantable => "oauth_invalid_scope_requested",
            Self::Scope(e) => e.error_type(),
            Self::Pkce(e) => e.error_type(),
        }
    }

    /// HTTP status for the Stytch JSON form (403 for org policy, else 400; spec §2.5 guesses).
    pub fn status_code(&self) -> u16 {
        match self {
            Self::NotAllowedForOrg => 403,
            _ => 400,
        }
    }

    /// The OAuth error for the redirect back to the client (RFC 6749 §4.1.2.1).
    /// `prompt=none` maps to `interaction_required` (OIDC Core §3.1.2.6) so silent-auth
    /// clients fall back to an interactive request instead of failing hard.
    pub fn to_oauth(&self) -> OAuthError {
        use OAuthErrorCode as C;
        let code = match self {
            Self::UnsupportedResponseType(_) => C::UnsupportedResponseType,
            Self::UnsupportedPrompt(p) if p == "none" => C::InteractionRequired,
            Self::UnsupportedPrompt(_) => C::InvalidRequest,
            Self::NotAllowedForOrg => C::AccessDenied,
            Self::ThirdPartyFullAccess | Self::NothingGrantable | Self::Scope(_) => C::InvalidScope,
            Self::Pkce(e) => e.to_oauth().code,
        };
        OAuthError::new(code, self.to_string())
    }
}

/// `response_type`: only the authorization code flow exists (spec §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// `code`.
    Code,
}

impl ResponseType {
    /// Exactly `code`; anything else (including `token`, `code id_token`) is refused.
    pub fn parse(s: &str) -> Result<Self, AuthorizeError> {
        match s {
            "code" => Ok(Self::Code),
            other => Err(AuthorizeError::UnsupportedResponseType(other.to_owned())),
        }
    }
}

/// The `prompt` parameter, reduced to what Stytch supports (spec §3: only `consent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prompt {
    /// No prompt: consent shown only when the rules of §12.4 require it.
    #[default]
    Default,
    /// `prompt=consent`: always show the consent screen.
    Consent,
}

impl Prompt {
    /// Parse the space-delimited `prompt` (OIDC Core §3.1.2.1). Absent / blank → `Default`;
    /// `consent` (repeats allowed) → `Consent`. Every other value is refused rather than
    /// ignored: `none` promises no UI but the hosted page may have to show login or consent;
    /// `login` promises re-authentication the customer's page, not this server, performs;
    /// `select_account` has no meaning with one member per organization session. Ignoring
    /// them would silently break what the client asked for.
    pub fn parse(raw: Option<&str>) -> Result<Self, AuthorizeError> {
        let mut prompt = Self::Default;
        for value in raw.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
            match value {
                "consent" => prompt = Self::Consent,
                other => return Err(AuthorizeError::UnsupportedPrompt(other.to_owned())),
            }
        }
        Ok(prompt)
    }
}

#[cfg(test)]
mod tests;
