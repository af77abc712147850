//! RFC 8693 token exchange at the token endpoint (issue 14 item 4): an agent hands a sub-agent
//! (or itself) a token for one registered resource with a subset of what it holds. Load: the
//! subject (and actor) token, verified and live ([`super::tokens::check_access`]), the member
//! and organization it speaks for, the project's resources. Decide:
//! `core::oauth::token_exchange`. Persist: the new access token on the subject token's grant
//! (its family lock held, failing closed when the grant was revoked meanwhile), recorded under
//! the grant's own client so that consent withdrawal, revoking the parent token, or deleting
//! the client revokes it as well.

use axum::response::Response;
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::token_exchange::{self as tx, ACCESS_TOKEN_TYPE};
use latchkey_core::oauth::token_request::TokenExchangeRequest;
use latchkey_core::oauth::OAuthError;
use latchkey_store::MemberLookup;
use latchkey_types::{Member, Organization, ResourceServer};
use serde_json::{json, Value};

use super::clients::AuthedClient;
use super::envelope::{oauth_ok, OAuthFailure};
use super::tokens::{check_access, mint, AccessSettings, Inactive, LiveAccess};
use crate::state::AppState;

/// What an exchange decided: the tokens presented, the target, the new token's scopes and
/// `act`, and the member and organization it speaks for.
struct Exchange {
    subject: LiveAccess,
    target: ResourceServer,
    scopes: Vec<String>,
    act: Option<Value>,
    member: Member,
    org: Organization,
}

pub async fn grant(
    state: &AppState,
    client: &AuthedClient,
    req: &TokenExchangeRequest,
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    tx::check_client(&client.app)?;
    let subject_type = req.subject_token_type.as_deref();
    tx::check_token_type("subject_token_type", subject_type, true)?;
    let requested_type = req.requested_token_type.as_deref();
    tx::check_token_type("requested_token_type", requested_type, false)?;
    let ex = decide(state, client, req).await?;
    // RFC 9449 §5 spirit: a DPoP-bound subject token is only exchanged by its key holder, and
    // what it becomes stays bound to that key; else a stolen bound token could be traded for
    // an unbound one.
    if let Some(bound) = ex
        .subject
        .claims
        .pointer("/cnf/jkt")
        .and_then(Value::as_str)
    {
        if jkt != Some(bound) {
            return Err(OAuthError::new(
                latchkey_core::oauth::OAuthErrorCode::InvalidDpopProof,
                "The subject token is DPoP-bound: send a DPoP proof by its key.",
            )
            .into());
        }
    }
    if ex.subject.claims["client_id"].as_str() != Some(client.app.client_id.as_str()) {
        // Another client takes over: the organization's governance must allow it too.
        super::jwt_bearer::governance(state, client, &ex.member, &ex.org).await?;
    }
    issue(state, client, ex, iss, jkt).await
}

async fn decide(
    state: &AppState,
    client: &AuthedClient,
    req: &TokenExchangeRequest,
) -> Result<Exchange, OAuthFailure> {
    let subject = live(state, client, &req.subject_token, "subject_token").await?;
    let actor = match &req.actor {
        Some((token, kind)) => {
            tx::check_token_type("actor_token_type", kind.as_deref(), true)?;
            Some(live(state, client, token, "actor_token").await?)
        }
        None => None,
    };
    let project_id = client.creds.project_id.as_str();
    let registered = state.store.project_resource_servers(project_id).await?;
    let subject_aud: Vec<String> = match &subject.claims["aud"] {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(a) => vec![a.clone()],
        _ => vec![],
    };
    let target = tx::target(&req.resources, &req.audiences, &registered, &subject_aud)?;
    let held = subject.claims["scope"].as_str().unwrap_or_default();
    let scopes = tx::scopes(held, req.scope.as_deref(), &target)?;
    let act = tx::act_claim(actor.as_ref().map(|a| &a.claims), subject.claims.get("act"))?;
    let (member, org) = subject_member(state, project_id, &subject).await?;
    Ok(Exchange {
        subject,
        target,
        scopes,
        act,
        member,
        org,
    })
}

/// Mints the new token and records it on the subject token's grant.
async fn issue(
    state: &AppState,
    client: &AuthedClient,
    ex: Exchange,
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    let Exchange {
        subject,
        target,
        scopes,
        act,
        member,
        org,
    } = ex;
    let project_id = client.creds.project_id.as_str();
    let now = state.clock.now().unix_timestamp();
    let minutes = target
        .access_token_expiry_minutes
        .unwrap_or(client.app.access_token_expiry_minutes);
    let subject_exp = subject.claims["exp"].as_i64().unwrap_or(now);
    let lifetime_secs = tx::lifetime(now, subject_exp, minutes.max(1) * 60)?;
    let mut audience = vec![target.url.clone()];
    if target.audience_includes_project_id {
        audience.push(project_id.to_string());
    }
    let grant = Grant {
        grant_id: subject.status.grant_id.clone(),
        project_id: project_id.to_string(),
        client_id: client.app.client_id.clone(),
        member_id: member.member_id.clone(),
        organization_id: org.organization_id.clone(),
        member_session_id: subject.status.member_session_id.clone(),
        scopes: scopes.clone(),
        nonce: None,
        auth_time: now,
        resources: vec![target.url.clone()],
    };
    let settings = AccessSettings {
        lifetime_secs,
        custom_audience: None,
        template: &client.app.access_token_template_content,
        resource_audience: Some(audience),
        act,
        jkt,
    };
    let mut minted = mint(state, &grant, &scopes, iss, &settings, &member, &org).await?;
    // Recorded under the family's client: what revokes the grant revokes this token.
    minted.row.client_id = subject.status.client_id.clone();
    if !state.store.record_access(&minted.row).await? {
        return Err(OAuthError::invalid_grant(
            "The subject token's authorization has been revoked.",
        )
        .into());
    }
    Ok(oauth_ok(json!({
        "access_token": minted.access_token,
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": super::dpop::token_type(jkt),
        "expires_in": minted.expires_in,
        "scope": scopes.join(" "),
    })))
}

/// A live latchkey access token of the client's project, about a member (RFC 8693 §2.2.2:
/// an unacceptable subject or actor token is `invalid_request`).
async fn live(
    state: &AppState,
    client: &AuthedClient,
    token: &str,
    param: &str,
) -> Result<LiveAccess, OAuthFailure> {
    let invalid = || {
        OAuthFailure::from(OAuthError::invalid_request(format!(
            "{param} is not an active access token of this project."
        )))
    };
    match check_access(state, token).await {
        Ok(l) if l.project_id == client.creds.project_id => Ok(l),
        Ok(_) | Err(Inactive::Invalid) | Err(Inactive::Revoked) => Err(invalid()),
        Err(Inactive::Store(e)) => Err(e.into()),
    }
}

/// The member and organization the subject token speaks for, still active.
async fn subject_member(
    state: &AppState,
    project_id: &str,
    subject: &LiveAccess,
) -> Result<(Member, Organization), OAuthFailure> {
    let gone = || {
        OAuthFailure::from(OAuthError::invalid_grant(
            "The member of the subject token no longer exists or is not active.",
        ))
    };
    let org_id = subject.claims["https://stytch.com/organization"]["organization_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(gone)?;
    let org = state
        .store
        .get_organization(project_id, &org_id)
        .await?
        .ok_or_else(gone)?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&subject.status.member_id),
        )
        .await?
        .filter(|m| m.member_id == subject.status.member_id)
        .filter(latchkey_core::member::is_active)
        .ok_or_else(gone)?;
    Ok((member, org))
}
