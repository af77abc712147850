//! Enterprise-managed authorization at the token endpoint: the RFC 7523 `jwt-bearer` grant with
//! an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.3; MCP's Enterprise-Managed
//! Authorization; Stytch's "Exchange ID-JAG (Cross App Access)"). Load: the trusted issuer named
//! by the assertion's `iss`, its JWK set (SSRF-guarded fetch, cached like client metadata
//! documents), the member its `sub` maps to, the organization's policies, the project's RBAC
//! policy and resources. Decide: `core::oauth::id_jag`. Persist: the spent `jti`, the new family
//! and its access token, and the audit event, in one transaction. No refresh token, no ID
//! token (draft §4.4).

use axum::response::Response;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use latchkey_core::ids;
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::id_jag::{self, Expect, IdJag};
use latchkey_core::oauth::resource::{self, resolve_targets};
use latchkey_core::oauth::{FullAccess, GrantingClient, OAuthError, OrgConnectedAppsPolicy};
use latchkey_core::secret::SecretHash;
use latchkey_store::{MemberLookup, SpentAssertion};
use latchkey_types::{AuditParty, IdentityAssertionIssuer, Member, Organization, ResourceServer};
use serde_json::{json, Value};

use super::cimd::MAX_JWKS_BYTES;
use super::clients::AuthedClient;
use super::envelope::{oauth_ok, OAuthFailure};
use super::tokens::{mint, AccessSettings};
use crate::envelope::ApiFailure;
use crate::state::AppState;

/// Longest assertion read.
const MAX_ASSERTION_LEN: usize = 16 * 1024;

/// A `jwt-bearer` token request's own parameters.
pub struct Request<'a> {
    pub assertion: &'a str,
    /// RFC 7523 §2.1: may narrow the ID-JAG's scopes.
    pub scope: Option<&'a str>,
    /// RFC 8707 `resource`: when given, it must be the ID-JAG's.
    pub resources: &'a [String],
}

pub async fn grant(
    state: &AppState,
    client: &AuthedClient,
    req: &Request<'_>,
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    id_jag::check_client(&client.app, client.client_type())?;
    let project_id = client.creds.project_id.as_str();
    let (trusted, claims) = verify(state, project_id, req.assertion).await?;
    let now = state.clock.now().unix_timestamp();
    let expect = Expect {
        issuer: iss,
        client_id: &client.app.client_id,
        now,
    };
    let jag = id_jag::check_claims(&claims, &trusted, &expect)?;
    let (member, org) = member_for(state, project_id, &trusted, &jag.sub).await?;
    governance(state, client, &member, &org).await?;
    let targets = targets_for(state, project_id, &jag, req.resources).await?;
    let scopes = scopes_for(
        state, project_id, client, &member, &org, &jag, req.scope, &targets,
    )
    .await?;
    let grant = Grant {
        grant_id: ids::make_id(
            "grant",
            ids::Environment::of_project(project_id),
            state.tokens.uuid(),
        ),
        project_id: project_id.to_string(),
        client_id: client.app.client_id.clone(),
        member_id: member.member_id.clone(),
        organization_id: org.organization_id.clone(),
        member_session_id: None,
        scopes,
        nonce: None,
        auth_time: jag.auth_time,
        resources: targets.iter().map(|t| t.url.clone()).collect(),
    };
    let facts = (iss, jkt);
    issue(
        state, client, &grant, &jag, &trusted, facts, &member, &org, &targets,
    )
    .await
}

/// The trusted issuer the assertion names and its verified claims. Nothing of the assertion is
/// trusted before the signature but the `iss` used to find the keys, and the header.
async fn verify(
    state: &AppState,
    project_id: &str,
    assertion: &str,
) -> Result<(IdentityAssertionIssuer, Value), OAuthFailure> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(OAuthError::invalid_grant("The assertion is too long.").into());
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| OAuthError::invalid_grant("The assertion is not a well-formed JWT."))?;
    let alg = format!("{:?}", header.alg);
    id_jag::check_header(header.typ.as_deref(), &alg)?;
    let iss = unverified_iss(assertion)
        .ok_or_else(|| OAuthError::invalid_grant("The ID-JAG has no iss."))?;
    let trusted = state
        .store
        .trusted_assertion_issuer(project_id, &iss)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "The ID-JAG's iss is not a trusted identity assertion issuer.",
            )
        })?;
    let keys = issuer_keys(state, &trusted, header.kid.as_deref()).await?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| OAuthError::invalid_grant("No key of the issuer matches the ID-JAG's kid."))?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| OAuthError::invalid_grant("The issuer's key cannot be used."))?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|e| {
            OAuthError::invalid_grant(format!("The ID-JAG's signature is not valid: {e}."))
        })?
        .claims;
    Ok((trusted, claims))
}

fn unverified_iss(jwt: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_string)
}

/// The issuer's JWK set, through the SSRF-guarded document cache; fetched again once when no
/// key has the assertion's `kid` (the IdP rotated its keys).
async fn issuer_keys(
    state: &AppState,
    trusted: &IdentityAssertionIssuer,
    kid: Option<&str>,
) -> Result<JwkSet, OAuthFailure> {
    let url = url::Url::parse(&trusted.jwks_url)
        .map_err(|_| OAuthError::invalid_grant("The issuer's jwks_url is not a URL."))?;
    let now = state.clock.now().unix_timestamp();
    let load = || async {
        let c = state
            .documents
            .get(&url, MAX_JWKS_BYTES, now)
            .await
            .map_err(|why| OAuthError::invalid_grant(format!("The issuer's jwks_url: {why}")))?;
        serde_json::from_slice::<JwkSet>(&c.body).map_err(|e| {
            OAuthError::invalid_grant(format!(
                "The issuer's jwks_url does not hold a JWK set: {e}."
            ))
        })
    };
    let set = load().await?;
    match kid {
        Some(kid) if set.find(kid).is_none() => {
            state.documents.forget(&url, MAX_JWKS_BYTES).await;
            Ok(load().await?)
        }
        _ => Ok(set),
    }
}

/// The active member of the trusting organization whose `external_id` is `sub`.
async fn member_for(
    state: &AppState,
    project_id: &str,
    trusted: &IdentityAssertionIssuer,
    sub: &str,
) -> Result<(Member, Organization), OAuthFailure> {
    let unknown = || {
        OAuthFailure::from(OAuthError::invalid_grant(
            "The ID-JAG's sub is not an active member of the organization that trusts its issuer.",
        ))
    };
    let org = state
        .store
        .get_organization(project_id, &trusted.organization_id)
        .await?
        .ok_or_else(unknown)?;
    let member = state
        .store
        .get_member(&org.organization_id, MemberLookup::IdOrExternalId(sub))
        .await?
        .filter(|m| id_jag::member_matches(trusted, m, sub))
        .filter(latchkey_core::member::is_active)
        .ok_or_else(unknown)?;
    Ok((member, org))
}

/// The organization's Connected Apps policy (spec §15.2) and registration-path policy and
/// approvals (`api::approvals::enforce`, the rule the consent page applies) must allow the
/// client: an enterprise IdP's assertion does not bypass the organization's own governance.
pub(crate) async fn governance(
    state: &AppState,
    client: &AuthedClient,
    member: &Member,
    org: &Organization,
) -> Result<(), OAuthFailure> {
    let policy = OrgConnectedAppsPolicy::of(org).map_err(|_| {
        OAuthError::invalid_grant("The organization's Connected Apps policy could not be read.")
    })?;
    if !policy.permits(&client.app.client_id, client.client_type()) {
        return Err(OAuthError::invalid_grant(
            "The organization's Connected Apps policy does not allow this client.",
        )
        .into());
    }
    let who = crate::api::approvals::Asking {
        project_id: &client.creds.project_id,
        member,
        addr: None,
    };
    crate::api::approvals::enforce(state, &client.app, org, &who)
        .await
        .map_err(refusal)
}

/// A management-API refusal as a token endpoint error.
pub(crate) fn refusal(f: ApiFailure) -> OAuthFailure {
    if f.0.status >= 500 {
        return OAuthFailure::server_error();
    }
    OAuthError::invalid_grant(f.0.message).into()
}

/// The resource the ID-JAG was issued for, as a registered resource (none when the project
/// registers none). A `resource` parameter must name the same one.
async fn targets_for(
    state: &AppState,
    project_id: &str,
    jag: &IdJag,
    requested: &[String],
) -> Result<Vec<ResourceServer>, OAuthFailure> {
    let Some(r) = &jag.resource else {
        if requested.is_empty() {
            return Ok(vec![]);
        }
        return Err(OAuthError::invalid_target(
            "The ID-JAG names no resource; the token cannot be bound to one.",
        )
        .into());
    };
    let mine = resource::indicator_form(r)
        .map_err(|e| OAuthError::invalid_target(format!("The ID-JAG's resource: {e}.")))?;
    if requested
        .iter()
        .any(|q| resource::indicator_form(q).ok().as_deref() != Some(mine.as_str()))
    {
        return Err(
            OAuthError::invalid_target("resource differs from the ID-JAG's resource.").into(),
        );
    }
    let registered = state.store.project_resource_servers(project_id).await?;
    Ok(resolve_targets(std::slice::from_ref(r), &registered).map_err(OAuthError::from)?)
}

/// The ID-JAG's scopes that the member's roles grant this client and the resource accepts.
#[expect(
    clippy::too_many_arguments,
    reason = "one step of a handler, given what the handler loaded"
)]
async fn scopes_for(
    state: &AppState,
    project_id: &str,
    client: &AuthedClient,
    member: &Member,
    org: &Organization,
    jag: &IdJag,
    narrowed: Option<&str>,
    targets: &[ResourceServer],
) -> Result<Vec<String>, OAuthFailure> {
    let requested = id_jag::requested_scopes(jag.scope.as_deref(), narrowed)?;
    let policy = state.effective_policy(project_id).await?;
    let roles = latchkey_core::member::effective_role_ids(member, org);
    let perms = policy.member_permissions(&roles);
    let granting = GrantingClient {
        client_type: client.client_type(),
        full_access: FullAccess::from_flag(client.app.full_access_allowed),
    };
    let results = resource::scope_results_for(&policy, &requested, granting, &perms, targets)
        .map_err(|e| OAuthError::invalid_scope(format!("{e}.")))?;
    Ok(id_jag::token_scopes(&results)?)
}

/// Mints the access token and persists it with the spent `jti` and the new family.
#[expect(
    clippy::too_many_arguments,
    reason = "one step of a handler, given what the handler loaded"
)]
async fn issue(
    state: &AppState,
    client: &AuthedClient,
    grant: &Grant,
    jag: &IdJag,
    trusted: &IdentityAssertionIssuer,
    (iss, jkt): (&str, Option<&str>),
    member: &Member,
    org: &Organization,
    targets: &[ResourceServer],
) -> Result<Response, OAuthFailure> {
    let registered: Vec<ResourceServer> = targets.to_vec();
    let target =
        resource::token_target(grant, &[], &registered, &grant.scopes).map_err(OAuthError::from)?;
    let scopes = target
        .as_ref()
        .map_or_else(|| grant.scopes.clone(), |t| t.scopes.clone());
    let minutes = target
        .as_ref()
        .and_then(|t| t.expiry_minutes)
        .unwrap_or(client.app.access_token_expiry_minutes);
    let settings = AccessSettings {
        lifetime_secs: minutes.max(1) * 60,
        custom_audience: client.app.access_token_custom_audience.as_deref(),
        template: &client.app.access_token_template_content,
        resource_audience: target.as_ref().map(|t| t.audience(&grant.project_id)),
        act: None,
        jkt,
    };
    let minted = mint(state, grant, &scopes, iss, &settings, member, org).await?;
    let key = SecretHash::of(&id_jag::jti_key(&trusted.issuer, &jag.jti));
    let spent = SpentAssertion {
        jti_hash: key.as_str(),
        // Kept past expiry by the skew `check_claims` allows, so no replay outlives the record.
        expires_at: jag.exp + id_jag::SKEW_SECS,
    };
    let mut event = crate::api::events::event(
        state,
        &grant.project_id,
        &org.organization_id,
        &client.app.client_id,
        crate::api::events::actions::ENTERPRISE_AUTHORIZED,
        AuditParty::new("member", &member.member_id),
        None,
    );
    event.details.insert("issuer".into(), json!(trusted.issuer));
    event.details.insert("scopes".into(), json!(scopes));
    event
        .details
        .insert("resources".into(), json!(grant.resources));
    let now = state.clock.now().unix_timestamp();
    if !state
        .store
        .issue_assertion_grant(&spent, grant, &minted.row, Some(&event), now)
        .await?
    {
        return Err(OAuthError::invalid_grant("The ID-JAG was already used (jti replay).").into());
    }
    // No refresh token and no ID token (draft §4.4: the client asks the IdP for a new ID-JAG).
    Ok(oauth_ok(json!({
        "access_token": minted.access_token,
        "token_type": super::dpop::token_type(jkt),
        "expires_in": minted.expires_in,
        "scope": scopes.join(" "),
    })))
}
