//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OIDC Core §9) for clients with
//! public keys (`jwks` or `jwks_uri`, from dynamic client registration or a client ID metadata
//! document), at the token, introspection and revocation endpoints.
//!
//! Rules: `iss` = `sub` = the client id; `aud` is latchkey's issuer
//! (draft-ietf-oauth-rfc7523bis, after the 2025 audience-injection findings) or, for clients
//! that still follow OIDC Core §9, the token endpoint URL, as a single value, never a list
//! naming other audiences; `exp` present and at most five minutes ahead; `jti` single use
//! (a database table shared by replicas, rows kept until the assertion expires); RS256, PS256,
//! ES256 or EdDSA, with the key chosen by `kid` (or the only key). Signature checks use the
//! `jsonwebtoken` crate.

use axum::http::HeaderMap;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use latchkey_core::oauth::{OAuthError, OAuthErrorCode};
use latchkey_core::secret::SecretHash;
use serde_json::Value;

use latchkey_core::connected_app::ClientCredentials;
use latchkey_core::oauth::client_metadata::is_client_id_url;

use super::cimd::MAX_JWKS_BYTES;
use super::clients::AuthedClient;
use super::envelope::OAuthFailure;
use crate::state::AppState;

/// RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Signature algorithms accepted (and advertised).
pub const ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];
/// Longest lifetime left on an assertion, in seconds.
pub const MAX_AHEAD_SECS: i64 = 300;
const MAX_ASSERTION_LEN: usize = 8 * 1024;

fn invalid_client(why: impl Into<String>) -> OAuthFailure {
    OAuthError::new(OAuthErrorCode::InvalidClient, why).into()
}

/// The keys of a client that authenticates with `private_key_jwt`: its registration's or
/// metadata document's `jwks`, or the set at its `jwks_uri` (fetched through the SSRF guard,
/// cached like documents, fetched again once when no key has the assertion's `kid`, for
/// clients that rotated their keys).
pub async fn registered_keys(
    state: &AppState,
    creds: &ClientCredentials,
    kid: Option<&str>,
) -> Result<Option<JwkSet>, OAuthFailure> {
    let metadata: Value = if is_client_id_url(&creds.client_id) {
        match super::cimd::metadata(state, &creds.project_id, &creds.client_id).await? {
            Some(m) => m,
            None => return Ok(None),
        }
    } else {
        match state.store.dynamic_client(&creds.client_id).await? {
            Some(reg) => serde_json::from_str(&reg.metadata).unwrap_or_default(),
            None => return Ok(None),
        }
    };
    if metadata["token_endpoint_auth_method"] != "private_key_jwt" {
        return Ok(None);
    }
    match metadata["jwks_uri"].as_str() {
        Some(uri) => fetch_keys(state, uri, kid).await.map(Some),
        None => Ok(serde_json::from_value(metadata["jwks"].clone()).ok()),
    }
}

async fn fetch_keys(
    state: &AppState,
    uri: &str,
    kid: Option<&str>,
) -> Result<JwkSet, OAuthFailure> {
    let url = url::Url::parse(uri)
        .map_err(|_| invalid_client("The client's registered jwks_uri is not a URL."))?;
    let now = state.clock.now().unix_timestamp();
    let load = || async {
        let c = state
            .documents
            .get(&url, MAX_JWKS_BYTES, now)
            .await
            .map_err(|why| invalid_client(format!("The client's jwks_uri: {why}")))?;
        serde_json::from_slice::<JwkSet>(&c.body).map_err(|e| {
            invalid_client(format!(
                "The client's jwks_uri does not hold a JWK set: {e}."
            ))
        })
    };
    let set = load().await?;
    match kid {
        Some(kid) if set.find(kid).is_none() => {
            state.documents.forget(&url, MAX_JWKS_BYTES).await;
            load().await
        }
        _ => Ok(set),
    }
}

/// Parses a registered `jwks` the way assertions will be checked; an error names the problem.
pub fn check_keys(jwks: &Value) -> Result<(), String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| format!("jwks: {e}"))?;
    for (i, k) in set.keys.iter().enumerate() {
        DecodingKey::from_jwk(k).map_err(|e| format!("jwks.keys[{i}]: {e}"))?;
    }
    Ok(())
}

/// Authenticates the client by its assertion (type already checked by the caller).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body_id: Option<&str>,
    assertion: &str,
    path_project: Option<&str>,
) -> Result<AuthedClient, OAuthFailure> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(invalid_client("client_assertion is too long."));
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid_client("client_assertion is not a well-formed JWT."))?;
    let alg = format!("{:?}", header.alg);
    if !ALGORITHMS.contains(&alg.as_str()) {
        return Err(invalid_client(format!(
            "client_assertion alg {alg} is not accepted; use RS256, PS256, ES256 or EdDSA."
        )));
    }
    // The client is named by `sub` (= `iss`); nothing else is trusted before the signature.
    let client_id = unverified_sub(assertion)
        .ok_or_else(|| invalid_client("client_assertion has no sub naming the client."))?;
    if body_id.is_some_and(|b| b != client_id) {
        return Err(invalid_client(
            "client_id and the client_assertion's sub differ.",
        ));
    }
    let (creds, app) = super::cimd::find(state, &client_id, path_project)
        .await
        .map_err(super::cimd::CimdError::oauth)?
        .ok_or_else(|| invalid_client("Unknown client."))?;
    if path_project.is_some_and(|p| p != creds.project_id) {
        return Err(invalid_client("Unknown client."));
    }
    let keys = registered_keys(state, &creds, header.kid.as_deref())
        .await?
        .ok_or_else(|| invalid_client("This client does not authenticate with private_key_jwt."))?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid_client("No registered key matches the client_assertion's kid."))?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| invalid_client("The registered key cannot be used."))?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|e| invalid_client(format!("client_assertion is not valid: {e}.")))?
        .claims;
    check_claims(state, headers, &client_id, &claims).await?;
    Ok(AuthedClient { creds, app })
}

fn unverified_sub(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("sub")?.as_str().map(str::to_string)
}

async fn check_claims(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    claims: &Value,
) -> Result<(), OAuthFailure> {
    if claims["iss"] != client_id || claims["sub"] != client_id {
        return Err(invalid_client(
            "client_assertion iss and sub must both be the client_id.",
        ));
    }
    let iss = crate::issuer::issuer(state, headers)?;
    let accepted = [iss.clone(), format!("{iss}{}", super::paths::TOKEN)];
    let aud_ok = match &claims["aud"] {
        Value::String(a) => accepted.contains(a),
        // A list is accepted only when it names nothing but this server.
        Value::Array(list) => {
            list.len() == 1
                && list[0]
                    .as_str()
                    .is_some_and(|a| accepted.iter().any(|x| x == a))
        }
        _ => false,
    };
    if !aud_ok {
        return Err(invalid_client(format!(
            "client_assertion aud must be the issuer {iss} (or the token endpoint URL), as a single value."
        )));
    }
    let now = state.clock.now().unix_timestamp();
    let exp = claims["exp"]
        .as_i64()
        .ok_or_else(|| invalid_client("client_assertion has no exp."))?;
    if exp <= now {
        return Err(invalid_client("client_assertion has expired."));
    }
    if exp > now + MAX_AHEAD_SECS {
        return Err(invalid_client(format!(
            "client_assertion exp is more than {MAX_AHEAD_SECS} seconds ahead."
        )));
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now + 30) {
        return Err(invalid_client("client_assertion is not valid yet (nbf)."));
    }
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| invalid_client("client_assertion has no jti."))?;
    let key = SecretHash::of(&format!("{client_id}\n{jti}"));
    if !state
        .store
        .use_client_assertion_jti(key.as_str(), exp)
        .await?
    {
        return Err(invalid_client(
            "client_assertion was already used (jti replay).",
        ));
    }
    Ok(())
}
