//! OAuth 2.0 Token Exchange (RFC 8693) for down-scoping and delegation (issue 14 item 4): a
//! client allowed to (`token_exchange_allowed`, off by default) exchanges a live latchkey access
//! token (`subject_token`) for one bound to one registered resource, with a subset of the
//! subject token's scopes, never outliving it, optionally naming an actor (`actor_token`,
//! which becomes the outermost `act` claim, RFC 8693 §4.1). The new token belongs to the
//! subject token's grant, so revoking that grant revokes it too.

use serde_json::{json, Value};

use super::error::{OAuthError, OAuthErrorCode};
use super::resource::{accepts, indicator_form};
use super::scope::{BuiltinScope, ScopeSet};
use latchkey_types::{ConnectedApp, ResourceServer};

/// RFC 8693 §2.1.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: the only token type accepted and issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Deepest `act` chain kept (a loop of exchanges must not grow tokens without bound).
pub const MAX_ACT_DEPTH: usize = 8;

/// The authenticated client may exchange tokens: `token_exchange_allowed` is on and it is
/// active.
pub fn check_client(app: &ConnectedApp) -> Result<(), OAuthError> {
    if !app.token_exchange_allowed {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "This client may not use the token exchange grant (token_exchange_allowed is off).",
        ));
    }
    if app.status != "active" {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "This client is inactive.",
        ));
    }
    Ok(())
}

/// `subject_token_type` / `actor_token_type` / `requested_token_type`: latchkey exchanges and
/// issues access tokens only (RFC 8693 §2.2.2: an unsupported type is `invalid_request`).
pub fn check_token_type(
    param: &str,
    value: Option<&str>,
    required: bool,
) -> Result<(), OAuthError> {
    match value {
        Some(ACCESS_TOKEN_TYPE) => Ok(()),
        None if !required => Ok(()),
        None => Err(OAuthError::invalid_request(format!("{param} is required."))),
        Some(other) => Err(OAuthError::invalid_request(format!(
            "{param} {other:?} is not supported; use {ACCESS_TOKEN_TYPE}."
        ))),
    }
}

/// The one registered resource the new token is for, named by `resource` (its URL) and/or
/// `audience` (its URL or resource id). Naming none, several, two different ones, or one that
/// is not registered is `invalid_target` (RFC 8693 §2.2.2); so is one outside the subject
/// token's audience (`subject_aud`) when that token is bound to resources: an exchange narrows,
/// it never carries a member's consent for one resource over to another. A token bound to no
/// resource (`aud` the project) may be narrowed to any registered resource.
pub fn target(
    resources: &[String],
    audiences: &[String],
    registered: &[ResourceServer],
    subject_aud: &[String],
) -> Result<ResourceServer, OAuthError> {
    let found = named_target(resources, audiences, registered)?;
    let bound: Vec<&String> = subject_aud
        .iter()
        .filter(|a| registered.iter().any(|r| &r.url == *a))
        .collect();
    if !bound.is_empty() && !bound.contains(&&found.url) {
        return Err(OAuthError::invalid_target(format!(
            "The subject token is not for {}; an exchange can only narrow its audience.",
            found.url
        )));
    }
    Ok(found)
}

fn named_target(
    resources: &[String],
    audiences: &[String],
    registered: &[ResourceServer],
) -> Result<ResourceServer, OAuthError> {
    let mut found: Option<&ResourceServer> = None;
    let named = resources
        .iter()
        .map(|r| (r, true))
        .chain(audiences.iter().map(|a| (a, false)));
    for (raw, is_resource) in named {
        let url = indicator_form(raw).ok();
        let hit = registered.iter().find(|r| {
            url.as_deref() == Some(r.url.as_str()) || (!is_resource && &r.resource_id == raw)
        });
        let Some(hit) = hit else {
            return Err(OAuthError::invalid_target(format!(
                "{raw:?} is not a resource server registered in this project."
            )));
        };
        if found.is_some_and(|f| f.resource_id != hit.resource_id) {
            return Err(OAuthError::invalid_target(
                "A token exchange issues a token for one resource; several were named.",
            ));
        }
        found = Some(hit);
    }
    found.cloned().ok_or_else(|| {
        OAuthError::invalid_target("Name the resource the new token is for (resource or audience).")
    })
}

/// The new token's scopes: the requested ones, each held by the subject token (else
/// `invalid_scope`: an exchange never widens, RFC 8693 §1.1 down-scoping) and accepted by the
/// target (built-ins belong to the authorization server); none requested means the subject
/// token's that the target accepts. Never `offline_access` or `full_access`.
pub fn scopes(
    subject_scope: &str,
    requested: Option<&str>,
    target: &ResourceServer,
) -> Result<Vec<String>, OAuthError> {
    let parse =
        |s: &str| ScopeSet::parse(s).map_err(|e| OAuthError::invalid_scope(format!("scope: {e}.")));
    let held = parse(subject_scope)?;
    let fits = |s: &str| BuiltinScope::parse(s).is_some() || accepts(target, s);
    let out: Vec<String> = match requested.filter(|s| !s.trim().is_empty()) {
        Some(r) => {
            let asked = parse(r)?;
            if let Some(extra) = asked.iter().find(|s| !held.contains(s.as_str())) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {:?} is not held by the subject token.",
                    extra.as_str()
                )));
            }
            if let Some(foreign) = asked.iter().find(|s| !fits(s.as_str())) {
                return Err(OAuthError::invalid_scope(format!(
                    "The resource {} does not accept scope {:?}.",
                    target.url,
                    foreign.as_str()
                )));
            }
            asked.to_vec()
        }
        None => held.to_vec().into_iter().filter(|s| fits(s)).collect(),
    };
    let out: Vec<String> = out.into_iter().filter(|s| !never_passed_on(s)).collect();
    if out.is_empty() {
        return Err(OAuthError::invalid_scope(
            "None of the subject token's scopes is accepted by the resource.",
        ));
    }
    Ok(out)
}

/// `offline_access` (no refresh token is issued) and `full_access` (it trades a token for a
/// whole session: a delegated token must not carry that power).
fn never_passed_on(scope: &str) -> bool {
    scope == BuiltinScope::OfflineAccess.as_str() || scope == BuiltinScope::FullAccess.as_str()
}

/// Lifetime in seconds: the configured one, cut to what the subject token has left (an
/// exchanged token never outlives its subject).
pub fn lifetime(now: i64, subject_exp: i64, configured_secs: i64) -> Result<i64, OAuthError> {
    let left = subject_exp - now;
    if left <= 0 {
        return Err(OAuthError::invalid_grant("The subject token has expired."));
    }
    Ok(configured_secs.min(left))
}

/// The `act` claim (RFC 8693 §4.1): the actor token's subject (and client) as the current
/// actor, the subject token's own `act` nested inside it as the prior chain; with no actor the
/// subject token's chain carries over unchanged.
pub fn act_claim(
    actor: Option<&Value>,
    subject_act: Option<&Value>,
) -> Result<Option<Value>, OAuthError> {
    let Some(actor) = actor else {
        return Ok(subject_act.cloned());
    };
    let sub = actor
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| OAuthError::invalid_request("actor_token has no sub."))?;
    let mut act = json!({"sub": sub});
    if let Some(c) = actor.get("client_id").and_then(Value::as_str) {
        act["client_id"] = c.into();
    }
    if let Some(prior) = subject_act {
        if depth(prior) >= MAX_ACT_DEPTH {
            return Err(OAuthError::invalid_request(format!(
                "The delegation chain would exceed {MAX_ACT_DEPTH} actors."
            )));
        }
        act["act"] = prior.clone();
    }
    Ok(Some(act))
}

fn depth(act: &Value) -> usize {
    let mut n = 0;
    let mut cur = Some(act);
    while let Some(a) = cur {
        n += 1;
        cur = a.get("act");
    }
    n
}

#[cfg(test)]
mod tests;
