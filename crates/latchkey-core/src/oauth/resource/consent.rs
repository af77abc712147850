//! Consent per resource (incremental consent): what a member granted a client at each resource
//! server is kept in the consent record's scope list as `scope#resource` entries beside the
//! plain scopes. `#` is a valid scope character (RFC 6749 §3.3) and can never occur in a
//! resource URL (RFC 8707 §2 forbids fragments), so the split is unambiguous, and the record
//! needs no second shape. A re-authorization adds entries; it never removes any.

use std::collections::BTreeMap;

use crate::oauth::consent::{ConsentDecision, ConsentReason, ConsentRequirement};
use crate::oauth::rbac::ScopeResult;
use crate::oauth::scope::{Scope, ScopeSet};
use crate::oauth::ClientType;

const SEP: char = '#';

fn entry(scope: &str, resource: &str) -> String {
    format!("{scope}{SEP}{resource}")
}

/// The per-resource entries of what this authorization grants: for every granted scope that
/// goes to resources, one `scope#resource` per resource.
pub fn entries(results: &[ScopeResult], granted: &ScopeSet) -> Vec<String> {
    results
        .iter()
        .filter(|r| granted.contains(r.scope.as_str()))
        .flat_map(|r| r.resources.iter().map(|u| entry(r.scope.as_str(), u)))
        .collect()
}

/// The record to store: the prior record, then the newly granted scopes and their entries
/// (a union: step-up from `read` to `read write` keeps `read`).
pub fn record(
    prior: Option<&ScopeSet>,
    granted: &ScopeSet,
    results: &[ScopeResult],
) -> Vec<String> {
    let mut set = prior.cloned().unwrap_or_default().union(granted);
    for e in entries(results, granted) {
        if let Ok(s) = Scope::parse(&e) {
            set.insert(s);
        }
    }
    set.to_vec()
}

/// A third-party client needs consent again when a grantable scope goes to a resource the
/// member has not granted it for, even if the plain scope was granted before (for another
/// resource, or for none).
pub fn widen(
    decision: &mut ConsentDecision,
    client_type: ClientType,
    results: &[ScopeResult],
    prior: Option<&ScopeSet>,
) {
    if client_type.is_first_party() {
        return;
    }
    let Some(prior) = prior else { return };
    let missing = results
        .iter()
        .filter(|r| r.is_grantable)
        .flat_map(|r| r.resources.iter().map(|u| entry(r.scope.as_str(), u)))
        .any(|e| !prior.contains(&e));
    if !missing {
        return;
    }
    match &mut decision.requirement {
        ConsentRequirement::NotRequired => {
            decision.requirement =
                ConsentRequirement::Required(vec![ConsentReason::ThirdPartyScopesChanged]);
        }
        ConsentRequirement::Required(reasons) => {
            if !reasons.contains(&ConsentReason::ThirdPartyScopesChanged) {
                reasons.push(ConsentReason::ThirdPartyScopesChanged);
            }
        }
    }
}

/// A stored record as the views show it: the plain scopes, and the scopes per resource.
pub fn split(record: &[String]) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut plain = Vec::new();
    let mut by_resource: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in record {
        match s.split_once(SEP) {
            Some((scope, resource)) => by_resource
                .entry(resource.to_string())
                .or_default()
                .push(scope.to_string()),
            None => plain.push(s.clone()),
        }
    }
    (plain, by_resource)
}
