//! An organization's registration-path policy (latchkey extension, issue 11 item 5): which
//! *self-registered* clients its members may authorize, beside Stytch's first/third-party
//! policies ([`super::org_policy`], which keep governing every client, pre-registered ones
//! included). Client ID Metadata Document clients (draft-ietf-oauth-client-id-metadata-document:
//! the `client_id` is the https URL of the document) are all allowed, allowed from listed hosts
//! only, or refused; RFC 7591 dynamically registered clients are all allowed, allowed once an
//! admin approved them for the organization, or refused. One function, [`decide`], serves the
//! hosted page and the API; it fails closed on an unreadable stored policy.

use latchkey_types::ClientRegistrationPolicy;

/// How a client came to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationPath {
    /// Created through the management API or the CLI.
    PreRegistered,
    /// A Client ID Metadata Document client, with the host of its document URL.
    Cimd { host: String },
    /// Registered itself (RFC 7591).
    Dynamic,
}

/// `creation_method` of RFC 7591 registrations (see [`super::registration`]).
const DCR: &str = super::registration::CREATED_BY_DCR;

impl RegistrationPath {
    /// CIMD when the `client_id` is a URL (or a metadata URL is recorded), DCR when the client
    /// registered itself, else pre-registered.
    pub fn classify(client_id: &str, creation_method: &str, metadata_url: Option<&str>) -> Self {
        let url = if client_id.starts_with("https://") || client_id.starts_with("http://") {
            Some(client_id)
        } else {
            metadata_url
        };
        if let Some(u) = url {
            let host = url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_default();
            return Self::Cimd { host };
        }
        if creation_method == DCR {
            Self::Dynamic
        } else {
            Self::PreRegistered
        }
    }

    /// The wire name (`pre_registered`, `cimd`, `dcr`), as the installed-agents view shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PreRegistered => "pre_registered",
            Self::Cimd { .. } => "cimd",
            Self::Dynamic => "dcr",
        }
    }
}

/// `cimd_allowed_type` with its host list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CimdClients {
    AllAllowed,
    /// `RESTRICTED`: documents served from these hosts only (`*.example.com`: its subdomains).
    Restricted(Vec<String>),
    NotAllowed,
}

/// `dcr_allowed_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcrClients {
    AllAllowed,
    ApprovalRequired,
    NotAllowed,
}

/// An organization's registration-path policy, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPolicy {
    pub cimd: CimdClients,
    pub dcr: DcrClients,
}

/// A stored or requested `*_allowed_type` was not one of its values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} '{value}': expected one of {expected}")]
pub struct InvalidRegistrationPolicy {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

pub const CIMD_TYPES: &[&str] = &["ALL_ALLOWED", "RESTRICTED", "NOT_ALLOWED"];
pub const DCR_TYPES: &[&str] = &["ALL_ALLOWED", "APPROVAL_REQUIRED", "NOT_ALLOWED"];

impl RegistrationPolicy {
    /// From the organization's stored extension field.
    pub fn of(p: &ClientRegistrationPolicy) -> Result<Self, InvalidRegistrationPolicy> {
        let bad = |field, value: &str, expected| InvalidRegistrationPolicy {
            field,
            value: value.to_owned(),
            expected,
        };
        let cimd = match p.cimd_allowed_type.as_str() {
            "" | "ALL_ALLOWED" => CimdClients::AllAllowed,
            "RESTRICTED" => CimdClients::Restricted(p.allowed_cimd_hosts.clone()),
            "NOT_ALLOWED" => CimdClients::NotAllowed,
            v => {
                return Err(bad(
                    "cimd_allowed_type",
                    v,
                    "ALL_ALLOWED, RESTRICTED, NOT_ALLOWED",
                ))
            }
        };
        let dcr = match p.dcr_allowed_type.as_str() {
            "" | "ALL_ALLOWED" => DcrClients::AllAllowed,
            "APPROVAL_REQUIRED" => DcrClients::ApprovalRequired,
            "NOT_ALLOWED" => DcrClients::NotAllowed,
            v => {
                return Err(bad(
                    "dcr_allowed_type",
                    v,
                    "ALL_ALLOWED, APPROVAL_REQUIRED, NOT_ALLOWED",
                ))
            }
        };
        Ok(Self { cimd, dcr })
    }

    /// Whether [`decide`] needs the organization's approval record for this client (so the
    /// caller loads it only then: nothing is read for other clients and policies).
    pub fn needs_approval_record(&self, path: &RegistrationPath) -> bool {
        matches!(path, RegistrationPath::Dynamic) && self.dcr == DcrClients::ApprovalRequired
    }
}

/// An admin's decision on a client for an organization, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Denied,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// Why a client may not be authorized in the organization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRefusal {
    #[error(
        "This organization does not allow apps that identify with a Client ID Metadata Document."
    )]
    CimdNotAllowed,
    #[error("This organization allows Client ID Metadata Document apps only from approved hosts, and {0:?} is not one of them.")]
    CimdHostNotListed(String),
    #[error("This organization does not allow apps that registered themselves (dynamic client registration).")]
    DcrNotAllowed,
    /// The request is (now) recorded; members can consent once an admin approves it.
    #[error("An administrator of this organization must approve this app before members can authorize it. The request is recorded and waiting for approval.")]
    ApprovalPending,
    #[error("An administrator of this organization denied this app.")]
    ApprovalDenied,
}

impl PathRefusal {
    /// The Stytch-style `error_type`: Stytch's own one for a policy refusal, latchkey extension
    /// ones for the approval states.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::ApprovalPending => "connected_app_approval_pending",
            Self::ApprovalDenied => "connected_app_approval_denied",
            _ => "connected_app_not_allowed_for_org",
        }
    }
}

/// What the policy says about this client, given the organization's approval record for it
/// (`None`: no record, or not looked up because [`RegistrationPolicy::needs_approval_record`]
/// said so). `Err(ApprovalPending)` with `approval == None` means: record the request.
pub fn decide(
    policy: &RegistrationPolicy,
    path: &RegistrationPath,
    approval: Option<ApprovalStatus>,
) -> Result<(), PathRefusal> {
    match (path, &policy.cimd, policy.dcr) {
        (RegistrationPath::PreRegistered, _, _) => Ok(()),
        (RegistrationPath::Cimd { .. }, CimdClients::AllAllowed, _) => Ok(()),
        (RegistrationPath::Cimd { .. }, CimdClients::NotAllowed, _) => {
            Err(PathRefusal::CimdNotAllowed)
        }
        (RegistrationPath::Cimd { host }, CimdClients::Restricted(hosts), _) => {
            if hosts.iter().any(|h| host_matches(h, host)) {
                Ok(())
            } else {
                Err(PathRefusal::CimdHostNotListed(host.clone()))
            }
        }
        (RegistrationPath::Dynamic, _, DcrClients::AllAllowed) => Ok(()),
        (RegistrationPath::Dynamic, _, DcrClients::NotAllowed) => Err(PathRefusal::DcrNotAllowed),
        (RegistrationPath::Dynamic, _, DcrClients::ApprovalRequired) => match approval {
            Some(ApprovalStatus::Approved) => Ok(()),
            Some(ApprovalStatus::Denied) => Err(PathRefusal::ApprovalDenied),
            Some(ApprovalStatus::Pending) | None => Err(PathRefusal::ApprovalPending),
        },
    }
}

/// `pattern` is a host (exact, case-insensitive) or `*.` and a domain (any host below it).
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => pattern == host,
    }
}

/// An `allowed_cimd_hosts` entry, normalized (lowercase), or `None` when it is not a bare host
/// name (no scheme, port, path) optionally prefixed by `*.`.
pub fn normalize_host(entry: &str) -> Option<String> {
    let lower = entry.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("*.").unwrap_or(&lower);
    if bare.is_empty() || bare.contains(['/', ':', '@', '*', '?', '#']) {
        return None;
    }
    let url = url::Url::parse(&format!("https://{bare}/")).ok()?;
    (url.host_str() == Some(bare)).then_some(lower)
}

#[cfg(test)]
mod tests;
