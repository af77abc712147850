//! Enterprise-managed authorization: the RFC 7523 `jwt-bearer` grant redeeming an Identity
//! Assertion JWT Authorization Grant (ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant
//! §3 and §4.3; MCP's Enterprise-Managed Authorization extension; Stytch's "Exchange ID-JAG
//! (Cross App Access)"). The enterprise IdP has already decided that the member may use the
//! client with the resource; this module holds the rules the resource authorization server
//! (latchkey) applies on top: which clients may present one, the header and claim checks, how
//! `sub` finds a member, and which scopes the token may carry.
//!
//! The signature is checked by the server against the trusted issuer's JWK set before
//! [`check_claims`] runs; nothing here reads the clock or the network.

use serde_json::Value;

use super::client::ClientType;
use super::error::{OAuthError, OAuthErrorCode};
use super::rbac::{grantable_scopes, ScopeResult};
use super::scope::{BuiltinScope, ScopeSet};
use crate::ApiError;
use latchkey_types::{ConnectedApp, IdentityAssertionIssuer, Member};

pub mod issuer;

/// RFC 7523 §2.1.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The ID-JAG's JOSE `typ` (draft §3.1).
pub const TYP: &str = "oauth-id-jag+jwt";
/// `authorization_grant_profiles_supported` (draft §6.1, RFC 8414 metadata).
pub const PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";
/// Signature algorithms accepted from identity providers.
pub const ALGORITHMS: [&str; 2] = ["RS256", "ES256"];
/// Clock skew tolerated on `iat` and `exp`.
pub const SKEW_SECS: i64 = 60;
/// An ID-JAG is short-lived (draft §3.1: "minutes"): `iat` at most this far in the past.
pub const MAX_AGE_SECS: i64 = 600;
/// Longest `jti` kept.
const MAX_JTI_LEN: usize = 256;

/// Only confidential clients authenticate, so only they may redeem an ID-JAG (Stytch: "This
/// grant type requires a confidential client"; draft §4.3).
pub fn check_allowed(client_type: ClientType, allowed: bool) -> Result<(), ApiError> {
    if allowed && client_type.is_public() {
        return Err(ApiError::bad_request(
            "jwt_bearer_requires_confidential_client",
            "jwt_bearer_allowed can only be set on confidential clients (first_party, third_party).",
        ));
    }
    Ok(())
}

/// The authenticated client may use the grant: its `jwt_bearer_allowed` setting is on (off by
/// default, issue 14 item 7), it is confidential and active.
pub fn check_client(app: &ConnectedApp, client_type: ClientType) -> Result<(), OAuthError> {
    if !app.jwt_bearer_allowed || client_type.is_public() {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "This client may not use the jwt-bearer grant (jwt_bearer_allowed is off, or the client is public).",
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

/// The JOSE header: `typ` must say ID-JAG (draft §3.1; RFC 8725 §3.11 explicit typing, which
/// keeps an ID token or an access token from being replayed as a grant), and the algorithm
/// must be one we verify. Media types compare case-insensitively, with or without the
/// `application/` prefix (RFC 7515 §4.1.9).
pub fn check_header(typ: Option<&str>, alg: &str) -> Result<(), OAuthError> {
    let typ = typ.map(str::to_ascii_lowercase);
    let typ = typ
        .as_deref()
        .map(|t| t.strip_prefix("application/").unwrap_or(t));
    if typ != Some(TYP) {
        return Err(OAuthError::invalid_grant(format!(
            "The assertion is not an ID-JAG: its JOSE header typ must be {TYP}."
        )));
    }
    if !ALGORITHMS.contains(&alg) {
        return Err(OAuthError::invalid_grant(format!(
            "The assertion's alg {alg} is not accepted; use RS256 or ES256."
        )));
    }
    Ok(())
}

/// What latchkey expects of an ID-JAG presented at this request.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// latchkey's issuer identifier: the only `aud` accepted (draft §4.3, RFC 7523 §3 item 3).
    pub issuer: &'a str,
    /// The authenticated client.
    pub client_id: &'a str,
    pub now: i64,
}

/// A verified ID-JAG's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdJag {
    pub sub: String,
    pub jti: String,
    pub exp: i64,
    pub iat: i64,
    /// The resource (RFC 8707) the IdP issued the grant for.
    pub resource: Option<String>,
    /// The scopes the IdP granted (space-delimited), if it named any.
    pub scope: Option<String>,
    /// When the member authenticated at the IdP, else `iat`.
    pub auth_time: i64,
}

fn bad(why: impl Into<String>) -> OAuthError {
    OAuthError::invalid_grant(why)
}

/// Checks a signature-verified ID-JAG's claims against the trusted issuer and this request
/// (draft §4.3; RFC 7523 §3): `iss` is the issuer, `aud` latchkey's issuer (a single value or a
/// list naming it), `client_id` the authenticated client and one the issuer may speak to, `exp`
/// not passed, `iat` neither ahead nor older than [`MAX_AGE_SECS`], `jti` and `sub` present.
/// Every failure is `invalid_grant` (RFC 7523 §3.1).
pub fn check_claims(
    claims: &Value,
    trusted: &IdentityAssertionIssuer,
    expect: &Expect<'_>,
) -> Result<IdJag, OAuthError> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if text("iss") != Some(trusted.issuer.as_str()) {
        return Err(bad(
            "The ID-JAG's iss is not a trusted identity assertion issuer.",
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expect.issuer,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expect.issuer)),
        _ => false,
    };
    if !aud_ok {
        return Err(bad(format!(
            "The ID-JAG's aud must be this authorization server's issuer, {}.",
            expect.issuer
        )));
    }
    if text("client_id") != Some(expect.client_id) {
        return Err(bad(
            "The ID-JAG's client_id is not the authenticated client.",
        ));
    }
    if !trusted
        .allowed_client_ids
        .iter()
        .any(|c| c == expect.client_id)
    {
        return Err(bad(
            "The identity assertion issuer is not trusted for this client (allowed_client_ids).",
        ));
    }
    let now = expect.now;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("The ID-JAG has no exp."))?;
    if exp + SKEW_SECS <= now {
        return Err(bad("The ID-JAG has expired."));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("The ID-JAG has no iat."))?;
    if iat > now + SKEW_SECS {
        return Err(bad("The ID-JAG's iat is in the future."));
    }
    if iat < now - MAX_AGE_SECS {
        return Err(bad(format!(
            "The ID-JAG was issued more than {MAX_AGE_SECS} seconds ago."
        )));
    }
    let jti = text("jti")
        .filter(|j| j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| bad("The ID-JAG has no jti."))?;
    let sub = text("sub").ok_or_else(|| bad("The ID-JAG has no sub."))?;
    let resource = match claims.get("resource") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if !r.is_empty() => Some(r.clone()),
        Some(_) => return Err(bad("The ID-JAG's resource must be one URL.")),
    };
    Ok(IdJag {
        sub: sub.to_string(),
        jti: jti.to_string(),
        exp,
        iat,
        resource,
        scope: text("scope").map(str::to_string),
        auth_time: claims
            .get("auth_time")
            .and_then(Value::as_i64)
            .unwrap_or(iat),
    })
}

/// What is hashed to remember a spent `jti`: per issuer, since `jti`s are unique per issuer
/// only (RFC 7519 §4.1.7).
pub fn jti_key(issuer: &str, jti: &str) -> String {
    format!("id-jag\n{issuer}\n{jti}")
}

/// Whether `member` is the one `sub` names under the issuer's subject mapping: its
/// `external_id` equals `sub` (Stytch's fallback after an SSO registration's
/// `provider_subject`; latchkey has no SSO connections yet). Never the email address alone.
pub fn member_matches(trusted: &IdentityAssertionIssuer, member: &Member, sub: &str) -> bool {
    trusted.subject_mapping == issuer::SUBJECT_EXTERNAL_ID
        && !sub.is_empty()
        && member.external_id.as_deref() == Some(sub)
}

/// The scopes asked for: the ID-JAG's `scope`, narrowed by the token request's own `scope`
/// when it has one (RFC 7523 §2.1 allows it; it may only ask for less, RFC 6749 §3.3).
pub fn requested_scopes(
    assertion: Option<&str>,
    request: Option<&str>,
) -> Result<ScopeSet, OAuthError> {
    let parse =
        |s: &str| ScopeSet::parse(s).map_err(|e| OAuthError::invalid_scope(format!("scope: {e}.")));
    let granted = parse(assertion.unwrap_or_default())?;
    if granted.is_empty() {
        return Err(OAuthError::invalid_scope("The ID-JAG grants no scope."));
    }
    match request.filter(|s| !s.trim().is_empty()) {
        None => Ok(granted),
        Some(r) => {
            let asked = parse(r)?;
            if !asked.is_subset_of(&granted) {
                return Err(OAuthError::invalid_scope(
                    "scope asks for more than the ID-JAG grants.",
                ));
            }
            Ok(asked)
        }
    }
}

/// The token's scopes from the resolved request: those the member's roles can grant to this
/// client (RBAC, spec §14.2) and the resource accepts, without `offline_access` (no refresh
/// token is issued, draft §4.4) and `full_access` (it trades a token for a whole Stytch
/// session, which an assertion from another party must not open). None left is `invalid_scope`.
pub fn token_scopes(results: &[ScopeResult]) -> Result<Vec<String>, OAuthError> {
    let scopes: Vec<String> = grantable_scopes(results)
        .to_vec()
        .into_iter()
        .filter(|s| {
            s != BuiltinScope::OfflineAccess.as_str() && s != BuiltinScope::FullAccess.as_str()
        })
        .collect();
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope(
            "The member's roles grant none of the requested scopes to this client.",
        ));
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests;
