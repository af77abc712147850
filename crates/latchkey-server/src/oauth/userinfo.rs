//! UserInfo (OIDC Core §5.3, Stytch §7): `GET`/`POST` with a bearer access token; the claims
//! the token's scopes allow. An invalid, expired or revoked token is 401 with
//! `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3). A DPoP-bound token
//! (`cnf.jkt`) is accepted only as `Authorization: DPoP` with a proof by its key carrying
//! `ath` (RFC 9449 §7.1); presented as Bearer it is refused (§7.2), as is an unbound token
//! presented as DPoP.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::Response;
use latchkey_core::oauth::claims;
use latchkey_store::MemberLookup;
use serde_json::Value;

use super::envelope::{oauth_ok, OAuthFailure};
use super::tokens::{check_access, Inactive};
use crate::state::AppState;

pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, OAuthFailure> {
    let (scheme, token) = presented(&headers)
        .ok_or_else(|| OAuthFailure::invalid_token("A bearer access token is required."))?;
    let live = check_access(&state, token).await.map_err(|e| match e {
        Inactive::Store(s) => OAuthFailure::from(s),
        Inactive::Revoked => OAuthFailure::invalid_token("The access token has been revoked."),
        Inactive::Invalid => OAuthFailure::invalid_token("The access token is invalid or expired."),
    })?;
    let bound = live.claims.pointer("/cnf/jkt").and_then(Value::as_str);
    let htu = format!("{}{}", super::tokens::issuer(&state, &headers)?, uri.path());
    check_binding(
        &state,
        &headers,
        (method.as_str(), &htu),
        scheme,
        token,
        bound,
    )
    .await?;
    let org_id = live
        .claims
        .pointer("/https:~1~1stytch.com~1organization/organization_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let member = state
        .store
        .get_member(org_id, MemberLookup::IdOrExternalId(&live.status.member_id))
        .await?
        .ok_or_else(|| OAuthFailure::invalid_token("The member no longer exists."))?;
    let scopes: Vec<String> = live
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    Ok(oauth_ok(Value::Object(claims::userinfo(&member, &scopes))))
}

/// RFC 9449 §7: the scheme must match the binding, and a bound token needs a proof by its key.
async fn check_binding(
    state: &AppState,
    headers: &HeaderMap,
    (htm, htu): (&str, &str),
    scheme: Scheme,
    token: &str,
    bound: Option<&str>,
) -> Result<(), OAuthFailure> {
    match (scheme, bound) {
        (Scheme::Bearer, None) => Ok(()),
        (Scheme::Bearer, Some(_)) => Err(OAuthFailure::invalid_token(
            "This access token is DPoP-bound: present it with Authorization: DPoP and a proof.",
        )),
        (Scheme::Dpop, None) => Err(OAuthFailure::invalid_token(
            "This access token is not DPoP-bound: present it as a Bearer token.",
        )),
        (Scheme::Dpop, Some(jkt)) => {
            let proof = super::dpop::proof(state, headers, htm, htu, Some(token))
                .await?
                .ok_or_else(|| OAuthFailure::invalid_token("A DPoP proof is required."))?;
            if proof.jkt != jkt {
                return Err(OAuthFailure::invalid_token(
                    "The DPoP proof is not by the key the access token is bound to.",
                ));
            }
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1) or `DPoP <token>` (RFC 9449 §7.1).
fn presented(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    (!token.is_empty()).then_some((scheme, token))
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
