//! Minting and checking the authorization server's tokens: RS256 access tokens and ID tokens
//! signed with the project's active key, access tokens recorded by `jti` so that revocation
//! and consent withdrawal show in introspection and userinfo.

use base64::Engine;
use latchkey_core::jwt::{self, Expectations};
use latchkey_core::oauth::claims;
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::scope::BuiltinScope;
use latchkey_store::{AccessRow, AccessStatus};
use latchkey_types::{Member, Organization};
use serde_json::Value;

use super::envelope::OAuthFailure;
use crate::state::AppState;

/// Per-client settings of access tokens.
pub struct AccessSettings<'a> {
    pub lifetime_secs: i64,
    pub custom_audience: Option<&'a str>,
    pub template: &'a str,
    /// `aud` of a token bound to resource servers (RFC 8707); replaces the project id and
    /// the custom audience.
    pub resource_audience: Option<Vec<String>>,
    /// RFC 8693 §4.1 `act` (the delegation chain of an exchanged token).
    pub act: Option<Value>,
    /// RFC 9449 §6.1: the DPoP key thumbprint the token is bound to (`cnf.jkt`).
    pub jkt: Option<&'a str>,
}

/// What a token response carries.
pub struct Minted {
    pub access_token: String,
    pub id_token: Option<String>,
    pub expires_in: i64,
    pub row: AccessRow,
}

/// The issuer for this request (configured, else a loopback `Host`): see [`crate::issuer`].
pub use crate::issuer::issuer;

/// Signs an access token (and an ID token when `openid` was granted) for a grant. The caller
/// persists `row` in the same transaction as whatever else the grant step changes.
#[allow(clippy::too_many_arguments)]
pub async fn mint(
    state: &AppState,
    grant: &Grant,
    scopes: &[String],
    issuer: &str,
    settings: &AccessSettings<'_>,
    member: &Member,
    org: &Organization,
) -> Result<Minted, OAuthFailure> {
    let now = state.clock.now().unix_timestamp();
    let keys = state
        .keys
        .key_set(&grant.project_id, now, state.tokens.as_ref())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "signing keys unavailable");
            OAuthFailure::server_error()
        })?;
    let audience = match &settings.resource_audience {
        Some(aud) => aud.clone(),
        None => {
            let mut audience = vec![grant.project_id.clone()];
            if let Some(a) = settings.custom_audience.filter(|a| !a.is_empty()) {
                audience.push(a.to_string());
            }
            audience
        }
    };
    let roles = latchkey_core::member::effective_role_ids(member, org);
    let custom = claims::render_template(settings.template, member, org, &roles);
    let jti = jti(state);
    let facts = claims::AccessTokenFacts {
        issuer,
        audience: &audience,
        jti: &jti,
        now,
        lifetime_secs: settings.lifetime_secs,
    };
    let mut access_claims = claims::access_token(grant, scopes, org, &custom, &facts);
    if let (Some(act), Value::Object(m)) = (&settings.act, &mut access_claims) {
        m.insert("act".into(), act.clone());
    }
    bind(&mut access_claims, settings.jkt);
    let access_token = sign(&keys, &access_claims)?;
    let id_token = if scopes.iter().any(|s| s == BuiltinScope::OpenId.as_str()) {
        let id_claims = claims::id_token(
            grant,
            scopes,
            issuer,
            member,
            org,
            &jwt::at_hash(&access_token),
            now,
        );
        Some(sign(&keys, &id_claims)?)
    } else {
        None
    };
    let row = AccessRow {
        jti,
        project_id: grant.project_id.clone(),
        grant_id: grant.grant_id.clone(),
        client_id: grant.client_id.clone(),
        member_id: grant.member_id.clone(),
        member_session_id: grant.member_session_id.clone(),
        expires_at: now + settings.lifetime_secs,
    };
    Ok(Minted {
        access_token,
        id_token,
        expires_in: settings.lifetime_secs,
        row,
    })
}

/// Signs a stateless token (M2M and client-credentials access tokens, issue 14) with the
/// project's active key, and answers RFC 6749 §5.1 with it (Stytch's lowercase `bearer`).
pub(crate) async fn sign_stateless(
    state: &AppState,
    project_id: &str,
    claims: &Value,
    scopes: &[String],
    expires_in: i64,
    jkt: Option<&str>,
) -> Result<axum::response::Response, OAuthFailure> {
    let now = state.clock.now().unix_timestamp();
    let keys = state
        .keys
        .key_set(project_id, now, state.tokens.as_ref())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "signing keys unavailable");
            OAuthFailure::server_error()
        })?;
    let mut claims = claims.clone();
    bind(&mut claims, jkt);
    Ok(super::envelope::oauth_ok(serde_json::json!({
        "access_token": sign(&keys, &claims)?,
        "token_type": super::dpop::token_type(jkt),
        "expires_in": expires_in,
        "scope": scopes.join(" "),
    })))
}

/// RFC 9449 §6.1: `cnf: {jkt}` on a DPoP-bound access token.
fn bind(claims: &mut Value, jkt: Option<&str>) {
    if let (Some(jkt), Value::Object(m)) = (jkt, claims) {
        m.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
    }
}

pub(crate) fn jti(state: &AppState) -> String {
    let mut b = [0u8; 24];
    state.tokens.fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub(crate) fn sign(keys: &jwt::KeySet, claims: &Value) -> Result<String, OAuthFailure> {
    jwt::sign_jwt(keys.active(), claims).map_err(|e| {
        tracing::error!(error = %e, "token signing failed");
        OAuthFailure::server_error()
    })
}

/// A verified, live access token.
pub struct LiveAccess {
    pub project_id: String,
    pub claims: Value,
    pub status: AccessStatus,
}

/// Why an access token is not live (the caller chooses the envelope).
#[derive(Debug)]
pub enum Inactive {
    Invalid,
    Revoked,
    Store(latchkey_store::StoreError),
}

/// Verifies an access token: signature by a project key, `exp`/`nbf`, the project in `aud`,
/// then that it was issued here and not revoked since.
pub async fn check_access(state: &AppState, token: &str) -> Result<LiveAccess, Inactive> {
    let (project_id, audience) = token_project(state, token).await?;
    let now = state.clock.now().unix_timestamp();
    // Read only: the project comes from the unverified `aud` (security review #4).
    let keys = state
        .keys
        .verifying_set(&project_id, now, state.tokens.as_ref())
        .await
        .map_err(|_| Inactive::Invalid)?;
    let iss = unverified_claim(token, "iss").ok_or(Inactive::Invalid)?;
    let expect = Expectations::new([iss], audience).with_leeway(30);
    let claims = match jwt::verify_jwt(token, &keys, now, &expect) {
        Err(jwt::VerifyError::UnknownKid) => {
            let keys = state
                .keys
                .reload(&project_id, now, state.tokens.as_ref())
                .await
                .map_err(|_| Inactive::Invalid)?;
            jwt::verify_jwt(token, &keys, now, &expect)
        }
        other => other,
    }
    .map_err(|_| Inactive::Invalid)?;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .ok_or(Inactive::Invalid)?;
    let status = state
        .store
        .access_status(jti)
        .await
        .map_err(Inactive::Store)?
        .ok_or(Inactive::Invalid)?;
    if status.revoked {
        return Err(Inactive::Revoked);
    }
    Ok(LiveAccess {
        project_id,
        claims,
        status,
    })
}

/// The project whose keys must have signed a token, and the audience to expect. A token
/// bound to resource servers (RFC 8707) may not name the project in `aud`: its client does
/// (client ids are unique across projects). Checked properly once the key set is known.
async fn token_project(state: &AppState, token: &str) -> Result<(String, String), Inactive> {
    if let Some(p) = unverified_project(token) {
        return Ok((p.clone(), p));
    }
    let first_aud = match unverified_payload(token).and_then(|p| p.get("aud").cloned()) {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
    .ok_or(Inactive::Invalid)?;
    let client_id = unverified_claim(token, "client_id").ok_or(Inactive::Invalid)?;
    // A metadata document URL may name a client in several projects: the project served at
    // project-less paths first (the signature check settles it either way).
    let mut found = None;
    if latchkey_core::oauth::client_metadata::is_client_id_url(&client_id) {
        if let Ok(p) = crate::state::default_project(state).await {
            found = state
                .store
                .connected_app_credentials_in(&p, &client_id)
                .await
                .map_err(Inactive::Store)?;
        }
    }
    if found.is_none() {
        found = super::cimd::credentials(state, &client_id)
            .await
            .map_err(Inactive::Store)?;
    }
    let (creds, _) = found.ok_or(Inactive::Invalid)?;
    Ok((creds.project_id, first_aud))
}

/// The project an access token names in `aud`.
fn unverified_project(token: &str) -> Option<String> {
    let aud = unverified_payload(token)?.get("aud")?.clone();
    let project = |s: &str| s.starts_with("project-").then(|| s.to_string());
    match aud {
        Value::Array(a) => a.iter().filter_map(Value::as_str).find_map(project),
        Value::String(s) => project(&s),
        _ => None,
    }
}

fn unverified_claim(token: &str, claim: &str) -> Option<String> {
    unverified_payload(token)?
        .get(claim)?
        .as_str()
        .map(str::to_string)
}

fn unverified_payload(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
