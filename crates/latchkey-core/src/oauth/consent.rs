//! The consent decision of Start (`consent_required`, spec §4.4) and the grant of Submit
//! (spec §5.3), including the organization's Connected Apps policy (spec §15.2).
//!
//! Rules from Stytch "Consent management" (spec §12.4,
//! <https://stytch.com/docs/b2b/guides/connected-apps/consent-management>): first-party clients
//! skip consent; third-party clients need it once per scope set; `prompt=consent` and
//! `offline_access` always need it, unless a first-party client bypasses it for
//! `offline_access`.

use super::authorize::{AuthorizeError, Prompt};
use super::client::{ClientType, FullAccess, OfflineAccessConsent};
use super::error::OAuthError;
use super::org_policy::OrgConnectedAppsPolicy;
use super::rbac::{grantable_scopes, ScopeResult};
use super::scope::{BuiltinScope, ScopeSet};

/// The client facts the decision needs (from the ConnectedApp record, spec §13.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentClient<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `client_type`.
    pub client_type: ClientType,
    /// `full_access_allowed`.
    pub full_access: FullAccess,
    /// `bypass_consent_for_offline_access` (ignored for third-party clients).
    pub offline_access_consent: OfflineAccessConsent,
}

/// Everything the Start decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct ConsentRequest<'a> {
    /// The client.
    pub client: ConsentClient<'a>,
    /// Parsed `prompt`.
    pub prompt: Prompt,
    /// `RbacPolicy::resolve_scopes` of the requested scopes, for this member and client.
    pub scope_results: &'a [ScopeResult],
    /// Scopes this member previously granted this client, if a grant is on record.
    pub prior_grant: Option<&'a ScopeSet>,
    /// The member's organization's policy.
    pub org_policy: &'a OrgConnectedAppsPolicy,
}

/// Why the consent screen must be shown (all that apply, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentReason {
    /// `prompt=consent`.
    PromptConsent,
    /// `offline_access` requested without a first-party bypass.
    OfflineAccess,
    /// Third-party client, no grant on record.
    ThirdPartyFirstAuthorization,
    /// Third-party client asking for grantable scopes beyond its recorded grant.
    ThirdPartyScopesChanged,
}

/// Whether Start reports `consent_required`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentRequirement {
    /// `consent_required: false`.
    NotRequired,
    /// `consent_required: true`, with the reasons (never empty).
    Required(Vec<ConsentReason>),
}

/// Start's verdict: whether to ask, and what approval would grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDecision {
    /// Consent requirement.
    pub requirement: ConsentRequirement,
    /// Requested ∩ grantable, in request order: what an approval grants (spec §5.3).
    pub grantable: ScopeSet,
}

impl ConsentDecision {
    /// The `consent_required` response field.
    pub fn consent_required(&self) -> bool {
        matches!(self.requirement, ConsentRequirement::Required(_))
    }
}

/// Spec §4.4 / §12.4. Errors: org policy forbids the client; third-party `full_access`.
/// A third-party prior grant is reused when everything grantable now is already in it, so
/// asking for fewer scopes does not re-prompt but asking for a new one does.
pub fn decide_consent(req: &ConsentRequest<'_>) -> Result<ConsentDecision, AuthorizeError> {
    let client = req.client;
    if !req.org_policy.permits(client.client_id, client.client_type) {
        return Err(AuthorizeError::NotAllowedForOrg);
    }
    let requests = |b: BuiltinScope| {
        req.scope_results
            .iter()
            .any(|r| r.scope.builtin() == Some(b))
    };
    let first_party = client.client_type.is_first_party();
    if !first_party && requests(BuiltinScope::FullAccess) {
        return Err(AuthorizeError::ThirdPartyFullAccess);
    }
    let grantable = grantable_scopes(req.scope_results);
    let mut reasons = Vec::new();
    if req.prompt == Prompt::Consent {
        reasons.push(ConsentReason::PromptConsent);
    }
    let bypass = first_party && client.offline_access_consent == OfflineAccessConsent::Bypassed;
    if requests(BuiltinScope::OfflineAccess) && !bypass {
        reasons.push(ConsentReason::OfflineAccess);
    }
    if !first_party {
        match req.prior_grant {
            None => reasons.push(ConsentReason::ThirdPartyFirstAuthorization),
            Some(prior) if !grantable.is_subset_of(prior) => {
                reasons.push(ConsentReason::ThirdPartyScopesChanged)
            }
            Some(_) => {}
        }
    }
    let requirement = if reasons.is_empty() {
        ConsentRequirement::NotRequired
    } else {
        ConsentRequirement::Required(reasons)
    };
    Ok(ConsentDecision {
        requirement,
        grantable,
    })
}

/// Submit's `consent_granted`, as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserConsent {
    /// `consent_granted: true`.
    Granted,
    /// `consent_granted: false`.
    Denied,
}

impl UserConsent {
    /// From the wire boolean.
    pub fn from_flag(granted: bool) -> Self {
        if granted {
            Self::Granted
        } else {
            Self::Denied
        }
    }
}

/// What Submit does after the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Issue a code for `granted`; upsert the member+client grant as `grant_record`
    /// (prior ∪ granted, so a later narrower request does not re-prompt).
    Approved {
        /// Scopes bound to the authorization code.
        granted: ScopeSet,
        /// Scopes to store on the member's grant for this client (§12.1 `scopes_granted`).
        grant_record: ScopeSet,
    },
    /// Redirect with this error (`access_denied`) and `state`; store nothing.
    Denied(OAuthError),
}

/// Submit (spec §5.2, §5.3). A denial is honoured even when consent was not required.
/// Nothing grantable → `Err(NothingGrantable)` rather than a code with no scopes.
pub fn submit_decision(
    decision: &ConsentDecision,
    consent: UserConsent,
    prior_grant: Option<&ScopeSet>,
) -> Result<SubmitOutcome, AuthorizeError> {
    if consent == UserConsent::Denied {
        let err = OAuthError::access_denied("The member denied the authorization request");
        return Ok(SubmitOutcome::Denied(err));
    }
    if decision.grantable.is_empty() {
        return Err(AuthorizeError::NothingGrantable);
    }
    let granted = decision.grantable.clone();
    let grant_record = prior_grant.map_or_else(|| granted.clone(), |p| p.union(&granted));
    Ok(SubmitOutcome::Approved {
        granted,
        grant_record,
    })
}

#[cfg(test)]
mod tests;
