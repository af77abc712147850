//! Client secrets of confidential Connected Apps: generation, the rotation state machine
//! (spec §13.4, https://stytch.com/docs/b2b/api/connected-apps-rotate-secret-start) and
//! client authentication at the token endpoint (RFC 6749 §2.3.1, OAuth 2.1 §2.4).
//!
//! Secrets are shown once and stored only as SHA-256 hashes ([`SecretHash`]). A client is in
//! one of three states: public (no secret), current secret only, or rotating (current and
//! next, both accepted). Stytch does not document a prefix for client secrets, so they are 48
//! random base64url characters (288 bits) with none.

use crate::clock::TokenGenerator;
use crate::oauth::client::ClientType;
use crate::oauth::error::OAuthErrorCode;
use crate::secret::{Secret, SecretHash};
use crate::ApiError;

/// A fresh client secret (or next secret).
pub fn generate_secret(tokens: &dyn TokenGenerator) -> Secret {
    Secret::generate("", tokens)
}

/// Where a client's secrets stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretState {
    /// A public client: no secret ever.
    Public,
    /// One secret.
    Current,
    /// A rotation was started: the current and the next secret both authenticate.
    Rotating,
}

impl SecretState {
    /// From which hashes are stored.
    pub fn of(has_current: bool, has_next: bool) -> Self {
        match (has_current, has_next) {
            (false, _) => Self::Public,
            (true, false) => Self::Current,
            (true, true) => Self::Rotating,
        }
    }
}

/// The three secret operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    /// `secrets/rotate/start`: make a next secret.
    Start,
    /// `secrets/rotate`: the next secret replaces the current one, which stops working.
    Complete,
    /// `secrets/rotate/cancel`: drop the next secret.
    Cancel,
}

/// A secret operation refused in the client's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("Public Connected Apps do not have client secrets.")]
    PublicClient,
    #[error("This Connected App is already rotating its secret; complete or cancel that rotation first.")]
    AlreadyRotating,
    #[error("This Connected App is not rotating its secret; start a rotation first.")]
    NotRotating,
}

impl RotationError {
    /// Stytch `error_type` (spec §2.5); all are 400.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::PublicClient => "public_connected_apps_do_not_have_secrets",
            Self::AlreadyRotating => "connected_app_already_rotating_secret",
            Self::NotRotating => "connected_app_not_rotating_secret",
        }
    }
}

impl From<RotationError> for ApiError {
    fn from(e: RotationError) -> Self {
        ApiError::bad_request(e.error_type(), e.to_string())
    }
}

/// Whether `step` is allowed in `state`. The store applies the step with a conditional
/// write, so two concurrent calls cannot both pass.
pub fn check_rotation(state: SecretState, step: RotationStep) -> Result<(), RotationError> {
    match (state, step) {
        (SecretState::Public, _) => Err(RotationError::PublicClient),
        (SecretState::Rotating, RotationStep::Start) => Err(RotationError::AlreadyRotating),
        (SecretState::Current, RotationStep::Complete | RotationStep::Cancel) => {
            Err(RotationError::NotRotating)
        }
        _ => Ok(()),
    }
}

/// What the token endpoint needs to authenticate a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub project_id: String,
    pub client_id: String,
    pub client_type: ClientType,
    pub secret_hash: Option<SecretHash>,
    pub next_secret_hash: Option<SecretHash>,
}

/// Client authentication failed; always OAuth `invalid_client` (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientAuthError {
    /// A confidential client sent no secret.
    #[error("client authentication is required for this client")]
    MissingSecret,
    /// The secret matches neither the current nor the next secret.
    #[error("the client secret is not valid")]
    InvalidSecret,
    /// A public client sent a secret.
    #[error("public clients must not send a client secret")]
    PublicClientSentSecret,
}

impl ClientAuthError {
    /// Stytch `error_type` for the management-shaped error.
    pub fn error_type(self) -> &'static str {
        "invalid_client_secret"
    }

    /// The OAuth error code: `invalid_client` (401).
    pub fn oauth_code(self) -> OAuthErrorCode {
        OAuthErrorCode::InvalidClient
    }
}

/// Authenticates a client at the token endpoint.
///
/// - Confidential clients must present a secret matching the current one or, during a
///   rotation, the next one (spec §13.4). Both hashes are always compared, in constant time,
///   so timing does not tell which secret matched.
/// - Public clients have no credentials (RFC 6749 §2.1; OAuth 2.1 §2.4: the server "MUST NOT
///   rely on public client authentication"). A non-empty secret from a public client is
///   refused rather than ignored: it means the client believes it is confidential, a
///   misconfiguration better surfaced than hidden. An empty secret counts as none.
pub fn authenticate_client(
    stored: &ClientCredentials,
    presented: Option<&str>,
) -> Result<(), ClientAuthError> {
    let presented = presented.filter(|s| !s.is_empty());
    if stored.client_type.is_public() {
        return match presented {
            None => Ok(()),
            Some(_) => Err(ClientAuthError::PublicClientSentSecret),
        };
    }
    let secret = presented.ok_or(ClientAuthError::MissingSecret)?;
    // A confidential client without a stored hash fails closed.
    let matches_current = stored
        .secret_hash
        .as_ref()
        .is_some_and(|h| h.matches(secret));
    let matches_next = stored
        .next_secret_hash
        .as_ref()
        .is_some_and(|h| h.matches(secret));
    // `|`, not `||`: both comparisons always run.
    if matches_current | matches_next {
        Ok(())
    } else {
        Err(ClientAuthError::InvalidSecret)
    }
}
