//! Connected App client types and the per-client settings that change protocol behaviour.
//!
//! Stytch "Client types" (spec §13.1, <https://stytch.com/docs/b2b/guides/connected-apps/client-types>):
//! ownership (first- vs third-party) decides consent and `full_access`; confidentiality
//! (secret vs public) decides client authentication and mandatory PKCE (RFC 6749 §2.1,
//! OAuth 2.1 §7.5.1). The create/update-time checks of §12.4 and §13.5 live here too.

use serde::{Deserialize, Serialize};

/// A Connected App's `client_type` (spec §13.1). Serialized with Stytch's wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// `first_party`: owned by the project, has a secret.
    FirstParty,
    /// `first_party_public`: owned by the project, no secret (mobile, CLI); PKCE required.
    FirstPartyPublic,
    /// `third_party`: external, has a secret; consent required.
    ThirdParty,
    /// `third_party_public`: external, no secret (DCR, MCP, desktop); consent and PKCE required.
    ThirdPartyPublic,
}

/// `client_type` was not one of the four Stytch values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid client_type '{0}': expected first_party, first_party_public, third_party or third_party_public")]
pub struct InvalidClientType(pub String);

impl InvalidClientType {
    /// Stytch `error_type` (spec §2.5).
    pub fn error_type(&self) -> &'static str {
        "invalid_connected_app_type"
    }
}

impl ClientType {
    /// All four types, in Stytch's documentation order.
    pub const ALL: [ClientType; 4] = [
        Self::FirstParty,
        Self::FirstPartyPublic,
        Self::ThirdParty,
        Self::ThirdPartyPublic,
    ];

    /// Parse the exact wire value (case-sensitive, like every Stytch enum).
    pub fn parse(s: &str) -> Result<Self, InvalidClientType> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidClientType(s.to_owned()))
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstParty => "first_party",
            Self::FirstPartyPublic => "first_party_public",
            Self::ThirdParty => "third_party",
            Self::ThirdPartyPublic => "third_party_public",
        }
    }

    /// Public clients have no secret, authenticate with `none` and must use PKCE
    /// (RFC 6749 §2.1; spec §6.1).
    pub fn is_public(self) -> bool {
        matches!(self, Self::FirstPartyPublic | Self::ThirdPartyPublic)
    }

    /// First-party clients are trusted: consent usually skipped, `full_access` possible (§12.4).
    pub fn is_first_party(self) -> bool {
        matches!(self, Self::FirstParty | Self::FirstPartyPublic)
    }
}

impl std::str::FromStr for ClientType {
    type Err = InvalidClientType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl std::fmt::Display for ClientType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The client's `full_access_allowed` setting (spec §13.2, §14.1), as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FullAccess {
    /// `full_access_allowed: true` (first-party only).
    Allowed,
    /// `full_access_allowed: false`.
    NotAllowed,
}

impl FullAccess {
    /// From the stored / wire boolean.
    pub fn from_flag(allowed: bool) -> Self {
        if allowed {
            Self::Allowed
        } else {
            Self::NotAllowed
        }
    }
}

/// The client's `bypass_consent_for_offline_access` setting (spec §12.4), as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfflineAccessConsent {
    /// Default: requesting `offline_access` always shows the consent screen.
    Required,
    /// `bypass_consent_for_offline_access: true` (first-party only).
    Bypassed,
}

impl OfflineAccessConsent {
    /// From the stored / wire boolean (`true` = bypass).
    pub fn from_bypass_flag(bypass: bool) -> Self {
        if bypass {
            Self::Bypassed
        } else {
            Self::Required
        }
    }
}

/// A create/update request combined settings that Stytch forbids (spec §12.4, §13.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientSettingsError {
    /// `full_access_allowed: true` on a third-party client.
    #[error("third-party clients cannot use full_access")]
    ThirdPartyFullAccess,
    /// `bypass_consent_for_offline_access: true` on a third-party client.
    #[error("third-party clients require consent for offline_access")]
    ThirdPartyOfflineBypass,
}

impl ClientSettingsError {
    /// Stytch `error_type` (spec §2.5).
    pub fn error_type(self) -> &'static str {
        match self {
            Self::ThirdPartyFullAccess => "third_party_clients_cannot_use_full_access",
            Self::ThirdPartyOfflineBypass => {
                "third_party_clients_require_consent_for_offline_access"
            }
        }
    }
}

/// Create/update-time check: `full_access_allowed` and `bypass_consent_for_offline_access`
/// are first-party-only settings (spec §13.5). `full_access` is checked first.
pub fn validate_client_settings(
    client_type: ClientType,
    full_access: FullAccess,
    offline: OfflineAccessConsent,
) -> Result<(), ClientSettingsError> {
    if client_type.is_first_party() {
        return Ok(());
    }
    if full_access == FullAccess::Allowed {
        return Err(ClientSettingsError::ThirdPartyFullAccess);
    }
    if offline == OfflineAccessConsent::Bypassed {
        return Err(ClientSettingsError::ThirdPartyOfflineBypass);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
