//! An organization's Connected Apps policy: which first-party and third-party clients its
//! members may authorize (Stytch Organization object, spec §15.2:
//! `first_party_connected_apps_allowed_type` + `allowed_first_party_connected_apps`,
//! `third_party_connected_apps_allowed_type` + `allowed_third_party_connected_apps`).
//! Enforced by Start and Submit (`connected_app_not_allowed_for_org`, spec §4.3).

use super::client::ClientType;

/// One of `first_party_connected_apps_allowed_type` / `third_party_…` with its id list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectedAppsAllowed {
    /// `ALL_ALLOWED` (Stytch's default).
    AllAllowed,
    /// `RESTRICTED`: only these client ids (`allowed_*_connected_apps`).
    Restricted(Vec<String>),
    /// `NOT_ALLOWED`.
    NotAllowed,
}

/// The `*_allowed_type` string was not one of the three values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid connected apps allowed type '{0}': expected ALL_ALLOWED, RESTRICTED or NOT_ALLOWED"
)]
pub struct InvalidAllowedType(pub String);

impl ConnectedAppsAllowed {
    /// From the organization's wire fields; absent or empty type → `ALL_ALLOWED`. The id list
    /// is kept only for `RESTRICTED`.
    pub fn from_wire(
        allowed_type: Option<&str>,
        ids: &[String],
    ) -> Result<Self, InvalidAllowedType> {
        match allowed_type.unwrap_or("") {
            "" | "ALL_ALLOWED" => Ok(Self::AllAllowed),
            "RESTRICTED" => Ok(Self::Restricted(ids.to_vec())),
            "NOT_ALLOWED" => Ok(Self::NotAllowed),
            other => Err(InvalidAllowedType(other.to_owned())),
        }
    }

    /// The wire value of the type.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AllAllowed => "ALL_ALLOWED",
            Self::Restricted(_) => "RESTRICTED",
            Self::NotAllowed => "NOT_ALLOWED",
        }
    }

    /// Whether `client_id` may be used.
    pub fn permits(&self, client_id: &str) -> bool {
        match self {
            Self::AllAllowed => true,
            Self::Restricted(ids) => ids.iter().any(|id| id == client_id),
            Self::NotAllowed => false,
        }
    }
}

/// An organization's Connected Apps policy (spec §15.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgConnectedAppsPolicy {
    /// Applies to `first_party` and `first_party_public` clients.
    pub first_party: ConnectedAppsAllowed,
    /// Applies to `third_party` and `third_party_public` clients.
    pub third_party: ConnectedAppsAllowed,
}

impl OrgConnectedAppsPolicy {
    /// Both `ALL_ALLOWED` (a new organization).
    pub fn all_allowed() -> Self {
        Self {
            first_party: ConnectedAppsAllowed::AllAllowed,
            third_party: ConnectedAppsAllowed::AllAllowed,
        }
    }

    /// The organization's stored policy. An unreadable `*_connected_apps_allowed_type` is an
    /// error for the caller to refuse on, never "allowed" (issue 9 item 9: fail closed).
    pub fn of(org: &latchkey_types::Organization) -> Result<Self, InvalidAllowedType> {
        Ok(Self {
            first_party: ConnectedAppsAllowed::from_wire(
                Some(&org.first_party_connected_apps_allowed_type),
                &org.allowed_first_party_connected_apps,
            )?,
            third_party: ConnectedAppsAllowed::from_wire(
                Some(&org.third_party_connected_apps_allowed_type),
                &org.allowed_third_party_connected_apps,
            )?,
        })
    }

    /// Whether this client may act in this organization.
    pub fn permits(&self, client_id: &str, client_type: ClientType) -> bool {
        let rule = if client_type.is_first_party() {
            &self.first_party
        } else {
            &self.third_party
        };
        rule.permits(client_id)
    }
}

#[cfg(test)]
mod tests;
