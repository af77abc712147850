//! The `client_credentials` grant (RFC 6749 §4.4; MCP's client-credentials extension) for
//! Connected Apps confidential clients, a latchkey extension (issue 14; Stytch offers the grant
//! to M2M clients only, [`crate::m2m`]). A client may use it only when its
//! `client_credentials_allowed` setting is on (off by default); the token's subject is the
//! client itself, with no member and no organization, its scopes limited to the client's
//! `client_credentials_scopes`, and it is audience-bound to registered resources when the
//! request names them (RFC 8707).

use serde_json::{json, Value};

use super::client::ClientType;
use super::error::{OAuthError, OAuthErrorCode};
use super::resource::accepts;
use super::scope::BuiltinScope;
use crate::ApiError;
use latchkey_types::{ConnectedApp, ResourceServer};

/// Most `client_credentials_scopes`, and the longest one.
pub const MAX_SCOPES: usize = 100;
pub const MAX_SCOPE_LEN: usize = 256;

/// Only confidential clients authenticate, so only they may act as themselves (RFC 6749 §4.4:
/// "MUST only be used by confidential clients").
pub fn check_allowed(client_type: ClientType, allowed: bool) -> Result<(), ApiError> {
    if allowed && client_type.is_public() {
        return Err(ApiError::bad_request(
            "client_credentials_requires_confidential_client",
            "client_credentials_allowed can only be set on confidential clients (first_party, third_party).",
        ));
    }
    Ok(())
}

/// `client_credentials_scopes`: RFC 6749 §3.3 scope tokens, none of the built-in scopes (they
/// speak for a member: `openid`, `email`, `profile`, `phone`, `offline_access`, `full_access`).
pub fn validate_scopes(scopes: &[String]) -> Result<Vec<String>, ApiError> {
    if scopes.len() > MAX_SCOPES {
        return Err(ApiError::invalid_field(
            "client_credentials_scopes",
            &format!("may hold at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for s in scopes {
        let token = !s.is_empty()
            && s.len() <= MAX_SCOPE_LEN
            && s.bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if !token || BuiltinScope::parse(s).is_some() {
            return Err(ApiError::bad_request(
                "invalid_scope",
                format!(
                    "client_credentials_scopes: {s:?} is not a scope a client can hold for itself."
                ),
            ));
        }
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    Ok(out)
}

/// The scopes of a token for `app` (RFC 6749 §4.4.2): the client must be allowed and
/// confidential; none requested means all of its `client_credentials_scopes`, else each
/// requested scope must be one of them.
pub fn token_scopes(
    app: &ConnectedApp,
    client_type: ClientType,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    if !app.client_credentials_allowed || client_type.is_public() {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "This client may not use the client_credentials grant.",
        ));
    }
    if app.status != "active" {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "This client is inactive.",
        ));
    }
    let Some(req) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(app.client_credentials_scopes.clone());
    };
    let mut out: Vec<String> = Vec::new();
    for s in req.split(' ').filter(|s| !s.is_empty()) {
        if !app.client_credentials_scopes.iter().any(|c| c == s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {s:?} is not one this client may request for itself."
            )));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Audience, scopes and lifetime (minutes) of a token for `targets`, the registered resources
/// the request named (RFC 8707; docs/resources.md): unbound, `aud` is the project id; bound, `aud`
/// names the resources (plus the project id when one asks), the scopes are those they accept,
/// and the shortest lifetime a resource sets wins over the client's.
pub fn bind(
    project_id: &str,
    targets: &[ResourceServer],
    scopes: Vec<String>,
    client_minutes: i64,
) -> (Vec<String>, Vec<String>, i64) {
    if targets.is_empty() {
        return (vec![project_id.to_string()], scopes, client_minutes);
    }
    let mut audience: Vec<String> = targets.iter().map(|t| t.url.clone()).collect();
    if targets.iter().any(|t| t.audience_includes_project_id) {
        audience.push(project_id.to_string());
    }
    let scopes = scopes
        .into_iter()
        .filter(|s| targets.iter().any(|t| accepts(t, s)))
        .collect();
    let minutes = targets
        .iter()
        .filter_map(|t| t.access_token_expiry_minutes)
        .min()
        .unwrap_or(client_minutes);
    (audience, scopes, minutes)
}

/// The per-token facts.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    pub issuer: &'a str,
    pub audience: &'a [String],
    pub jti: &'a str,
    pub now: i64,
    pub lifetime_secs: i64,
}

/// Access token claims (RFC 9068 §2.2: for a client acting on its own behalf `sub` is the
/// client id). No `https://stytch.com/organization`: there is no organization.
pub fn access_token_claims(client_id: &str, scopes: &[String], f: &TokenFacts<'_>) -> Value {
    json!({
        "iss": f.issuer,
        "sub": client_id,
        "aud": f.audience,
        "client_id": client_id,
        "scope": scopes.join(" "),
        "iat": f.now,
        "nbf": f.now,
        "exp": f.now + f.lifetime_secs,
        "jti": f.jti,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(allowed: bool) -> ConnectedApp {
        serde_json::from_value(serde_json::json!({
            "client_id": "c", "client_name": "", "client_description": "", "status": "active",
            "full_access_allowed": false, "client_type": "first_party", "redirect_urls": [],
            "access_token_expiry_minutes": 60, "access_token_template_content": "",
            "post_logout_redirect_urls": [], "bypass_consent_for_offline_access": false,
            "creation_method": "api", "id_token_template_content": "",
            "client_secret_last_four": null, "next_client_secret_last_four": null,
            "access_token_custom_audience": null, "logo_url": null, "client_id_metadata_url": null,
            "client_credentials_allowed": allowed, "client_credentials_scopes": ["read", "write"],
        }))
        .unwrap()
    }

    #[test]
    fn off_by_default_and_confidential_only() {
        let a = app(false);
        let e = token_scopes(&a, ClientType::FirstParty, None).unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::UnauthorizedClient);
        assert!(check_allowed(ClientType::ThirdPartyPublic, true).is_err());
        assert!(check_allowed(ClientType::ThirdParty, true).is_ok());
        let e = token_scopes(&app(true), ClientType::FirstPartyPublic, None).unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::UnauthorizedClient);
    }

    #[test]
    fn scopes_are_limited_to_the_configured_ones() {
        let a = app(true);
        assert_eq!(
            token_scopes(&a, ClientType::FirstParty, None).unwrap(),
            ["read", "write"]
        );
        assert_eq!(
            token_scopes(&a, ClientType::FirstParty, Some("write")).unwrap(),
            ["write"]
        );
        let e = token_scopes(&a, ClientType::FirstParty, Some("read openid")).unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::InvalidScope);
        assert!(validate_scopes(&["openid".into()]).is_err());
        assert!(validate_scopes(&["a b".into()]).is_err());
        assert_eq!(validate_scopes(&["x".into(), "x".into()]).unwrap(), ["x"]);
    }
}
