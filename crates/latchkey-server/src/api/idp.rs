//! Connected Apps consent endpoints (Stytch §4, §5): Start (preflight: validate the request,
//! resolve the member, report what the consent screen needs) and Submit (record the decision,
//! issue an authorization code or an `access_denied` redirect). Both run the same core
//! pipeline, so the hosted page and the API can never disagree.

use axum::extract::State;
use latchkey_core::oauth::code::{CodeRecord, CODE_LIFETIME_SECS};
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::resource::consent as resource_consent;
use latchkey_core::oauth::{
    decide_consent, require_challenge, submit_decision, AuthorizeError, ConsentClient,
    ConsentDecision, ConsentRequest, FullAccess, GrantingClient, MatchedRedirect,
    OfflineAccessConsent, OrgConnectedAppsPolicy, PkceChallenge, Prompt, ResponseType, ScopeResult,
    ScopeSet, SubmitOutcome, UserConsent,
};
use latchkey_core::secret::SecretHash;
use latchkey_core::{ids, ApiError};
use latchkey_store::ConsentRow;
use latchkey_types::{
    AuditEvent, AuditParty, AuthorizeRequest, ConnectedApp, Member, Organization,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::net::IpAddr;

use super::auth::Project;
use super::events::actions::{CONSENT_DENIED, CONSENT_GRANTED};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::sessions::{self, Credential};
use crate::state::AppState;

/// Everything Start and Submit have established about a request.
pub struct Prepared {
    pub app: ConnectedApp,
    pub client_type: latchkey_core::oauth::ClientType,
    /// The registered redirect URI; none for a device request (RFC 8628), which has none.
    pub redirect: Option<MatchedRedirect>,
    pub member: Member,
    pub org: Organization,
    pub session_id: Option<String>,
    pub auth_time: i64,
    pub scope_results: Vec<ScopeResult>,
    pub prior: Option<ScopeSet>,
    /// When the prior consent was last written (see [`CONSENT_REFRESH_SECS`]).
    pub prior_updated_at: Option<i64>,
    pub decision: ConsentDecision,
    /// The registered resource servers the request names (RFC 8707); empty when it names
    /// none or the project has none.
    pub targets: Vec<latchkey_types::ResourceServer>,
}

fn authorize_error(e: AuthorizeError) -> ApiFailure {
    ApiFailure(ApiError {
        status: e.status_code(),
        error_type: e.error_type().into(),
        message: e.to_string(),
    })
}

/// Where a decision goes: back to a registered redirect URI (the authorization code flow), or
/// to a device that polls for it (RFC 8628 §3.3), which names no redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Redirect,
    Device,
}

/// Validates client, redirect URI, response type, member, prompt and scopes, and decides
/// whether consent is required.
pub async fn prepare(
    state: &AppState,
    project_id: &str,
    req: &AuthorizeRequest,
    addr: Option<IpAddr>,
) -> Result<Prepared, ApiFailure> {
    prepare_via(state, project_id, req, Via::Redirect, addr).await
}

/// [`prepare`] for a request answered [`Via`] a redirect or a device.
pub async fn prepare_via(
    state: &AppState,
    project_id: &str,
    req: &AuthorizeRequest,
    via: Via,
    addr: Option<IpAddr>,
) -> Result<Prepared, ApiFailure> {
    let client_id = req
        .client_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field("client_id"))?;
    let redirect_uri = req.redirect_uri.as_deref().filter(|s| !s.is_empty());
    if via == Via::Redirect && redirect_uri.is_none() {
        return Err(ApiError::missing_field("redirect_uri").into());
    }
    let app = crate::oauth::cimd::find_in(state, project_id, client_id)
        .await
        .map_err(crate::oauth::cimd::CimdError::api)?
        .ok_or_else(latchkey_core::connected_app::not_found)?;
    // Never redirect to an unregistered URI: this is a plain error, not a redirect.
    let redirect = match redirect_uri.filter(|_| via == Via::Redirect) {
        None => None,
        Some(u) => Some(
            crate::oauth::registration_settings::match_redirect(&app, u).ok_or_else(|| {
                ApiError::new(
                    401,
                    "connected_app_supplied_redirect_url_not_found_in_client",
                    "The redirect_uri is not registered on this Connected App.",
                )
            })?,
        ),
    };
    ResponseType::parse(req.response_type.as_deref().unwrap_or_default())
        .map_err(authorize_error)?;
    let client_type = latchkey_core::oauth::ClientType::parse(&app.client_type).map_err(|_| {
        ApiError::new(
            500,
            "internal_server_error",
            "stored client type is invalid",
        )
    })?;
    let (member, org, session_id, auth_time) = resolve_member(state, project_id, req).await?;
    let prompt = Prompt::parse(req.prompt.as_deref()).map_err(authorize_error)?;
    let mut scopes = req.scopes.clone().unwrap_or_default();
    if scopes.is_empty() && crate::oauth::registration_settings::is_self_registered(&app) {
        // MCP clients send no `scope`; Start's own documentation then passes `[]` (issue 10).
        scopes = crate::oauth::registration_settings::default_scopes_for(state, project_id, &app)
            .await?;
    }
    let requested = ScopeSet::from_list(scopes).map_err(|e| authorize_error(e.into()))?;
    let policy = state.effective_policy(project_id).await?;
    let roles = latchkey_core::member::effective_role_ids(&member, &org);
    let perms = policy.member_permissions(&roles);
    let full_access = FullAccess::from_flag(app.full_access_allowed);
    let requested_resources = req.resources.as_deref().unwrap_or_default();
    let targets =
        super::resources::authorization_targets(state, project_id, requested_resources).await?;
    let scope_results = latchkey_core::oauth::resource::scope_results_for(
        &policy,
        &requested,
        GrantingClient {
            client_type,
            full_access,
        },
        &perms,
        &targets,
    )
    .map_err(|e| authorize_error(e.into()))?;
    let prior_row = state
        .store
        .member_consents(project_id, &member.member_id)
        .await?
        .into_iter()
        .find(|c| c.client_id == app.client_id);
    let prior_updated_at = prior_row.as_ref().map(|c| c.updated_at);
    let prior = prior_row.and_then(|c| ScopeSet::from_list(c.scopes).ok());
    // An unreadable stored policy refuses (issue 9 item 9), it never falls back to "allowed".
    let org_policy = OrgConnectedAppsPolicy::of(&org).map_err(|e| {
        tracing::error!(error = %e, organization_id = %org.organization_id, "stored Connected Apps policy unreadable");
        ApiError::new(
            403,
            "connected_app_not_allowed_for_org",
            "The organization's Connected Apps policy could not be read, so no Connected App is allowed.",
        )
    })?;
    let mut decision = decide_consent(&ConsentRequest {
        client: ConsentClient {
            client_id: &app.client_id,
            client_type,
            full_access,
            offline_access_consent: OfflineAccessConsent::from_bypass_flag(
                app.bypass_consent_for_offline_access,
            ),
        },
        prompt,
        scope_results: &scope_results,
        prior_grant: prior.as_ref(),
        org_policy: &org_policy,
    })
    .map_err(authorize_error)?;
    // The organization's registration-path policy and approvals (latchkey extension).
    let who = super::approvals::Asking {
        project_id,
        member: &member,
        addr,
    };
    super::approvals::enforce(state, &app, &org, &who).await?;
    // Consent is per resource: a scope granted for one resource is not granted for another.
    resource_consent::widen(&mut decision, client_type, &scope_results, prior.as_ref());
    Ok(Prepared {
        app,
        client_type,
        redirect,
        member,
        org,
        session_id,
        auth_time,
        scope_results,
        prior,
        prior_updated_at,
        decision,
        targets,
    })
}

const NO_SELECTOR: &str =
    "Identify the member with organization_id and member_id, or session_token, or session_jwt.";
const TOO_MANY_SELECTORS: &str = "Identify the member in exactly one way: organization_id and \
                                  member_id, or session_token, or session_jwt.";
const MEMBER_NOT_ACTIVE: &str = "Only active members can authorize Connected Apps.";

/// Exactly one identity: organization_id + member_id, or session_token, or session_jwt.
async fn resolve_member(
    state: &AppState,
    project_id: &str,
    req: &AuthorizeRequest,
) -> Result<(Member, Organization, Option<String>, i64), ApiFailure> {
    let by_ids = req
        .organization_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .zip(req.member_id.as_deref().filter(|s| !s.is_empty()));
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    match (by_ids, cred) {
        (Some((org_key, member_key)), None) => {
            let (org, member) = state
                .store
                .member_with_organization(project_id, org_key, member_key)
                .await?
                .ok_or_else(ApiError::organization_not_found)?;
            let member = member.ok_or_else(ApiError::member_not_found)?;
            let now = state.clock.now().unix_timestamp();
            Ok((member, org, None, now))
        }
        (None, Some(cred)) => {
            let s = sessions::resolve(state, project_id, cred).await?;
            // A session without the second factor its organization requires (one started
            // before the policy changed) may not authorize a Connected App (issue 13 item 4).
            latchkey_core::organization::policy::require_mfa_satisfied(
                &s.org,
                &s.member,
                &s.record.factors,
            )?;
            let auth_time = latchkey_core::session::auth_time(&s.record);
            Ok((s.member, s.org, Some(s.record.member_session_id), auth_time))
        }
        (None, None) => {
            Err(ApiError::bad_request("no_oauth_authorize_member_selector", NO_SELECTOR).into())
        }
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "too_many_oauth_authorize_member_selectors",
            TOO_MANY_SELECTORS,
        )
        .into()),
    }
    .and_then(|(m, o, s, t)| {
        if latchkey_core::member::is_active(&m) {
            Ok((m, o, s, t))
        } else {
            Err(ApiError::bad_request("member_not_active", MEMBER_NOT_ACTIVE).into())
        }
    })
}

/// The public view of a client (`client`, with a `connected_app` alias, spec §4.2).
pub fn client_public(app: &ConnectedApp) -> Value {
    json!({
        "client_id": app.client_id,
        "client_name": app.client_name,
        "client_description": app.client_description,
        "client_type": app.client_type,
        "logo_url": app.logo_url.clone().unwrap_or_default(),
        "client_logo_url": app.logo_url.clone().unwrap_or_default(),
    })
}

#[derive(Serialize)]
pub struct StartResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
    pub client: Value,
    pub connected_app: Value,
    pub consent_required: bool,
    pub scope_results: Vec<ScopeResult>,
}

/// `POST /v1/b2b/idp/oauth/authorize/start`.
pub async fn start(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(addr): ClientAddress,
    ApiJson(req): ApiJson<AuthorizeRequest>,
) -> Result<Stytch<StartResponse>, ApiFailure> {
    let p = prepare(&state, &project.project_id, &req, addr).await?;
    let client = client_public(&p.app);
    Ok(ok(StartResponse {
        member_id: p.member.member_id.clone(),
        member: latchkey_core::member::render(&p.member, &p.org),
        organization: p.org,
        connected_app: client.clone(),
        client,
        consent_required: p.decision.consent_required(),
        scope_results: p.scope_results,
    }))
}

#[derive(Serialize)]
pub struct SubmitResponse {
    pub redirect_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<String>,
}

/// `POST /v1/b2b/idp/oauth/authorize`: a code on approval, an `access_denied` redirect on
/// refusal; either way the caller sends the browser to `redirect_uri`.
pub async fn submit(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(addr): ClientAddress,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<AuthorizeRequest>,
) -> Result<Stytch<SubmitResponse>, ApiFailure> {
    let issuer = crate::issuer::issuer(&state, &headers)?;
    let out = authorize(&state, &project.project_id, &req, &issuer, addr).await?;
    Ok(ok(out))
}

/// Submit's decision, shared with the hosted authorization page.
pub async fn authorize(
    state: &AppState,
    project_id: &str,
    req: &AuthorizeRequest,
    issuer: &str,
    addr: Option<IpAddr>,
) -> Result<SubmitResponse, ApiFailure> {
    let consent = req
        .consent_granted
        .ok_or_else(|| ApiError::missing_field("consent_granted"))?;
    let p = prepare(state, project_id, req, addr).await?;
    let redirect = p
        .redirect
        .as_ref()
        .ok_or_else(|| ApiError::missing_field("redirect_uri"))?;
    let challenge = match req.code_challenge.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(PkceChallenge::parse(c).map_err(|e| authorize_error(e.into()))?),
        None => None,
    };
    // RFC 6749 §4.1.2: `state` comes back exactly as sent, an empty one included.
    let state_param = req.state.as_deref();
    if let Err(e) = require_challenge(p.client_type, challenge.as_ref()) {
        return Err(ApiError::bad_request(
            "pkce_required_for_idp_authorization_flow",
            e.to_string(),
        )
        .into());
    }
    let outcome = submit_decision(
        &p.decision,
        UserConsent::from_flag(consent),
        p.prior.as_ref(),
    )
    .map_err(authorize_error)?;
    let (granted, grant_record) = match outcome {
        SubmitOutcome::Denied(err) => {
            record_denial(state, project_id, &p, addr).await?;
            let url = with_iss(redirect.with_error(&err, state_param), issuer);
            return Ok(SubmitResponse {
                redirect_uri: url,
                authorization_code: None,
            });
        }
        SubmitOutcome::Approved { granted, .. } => {
            // Incremental consent: the record grows by what this authorization adds, per resource.
            let record = resource_consent::record(p.prior.as_ref(), &granted, &p.scope_results);
            (granted, record)
        }
    };
    let now = state.clock.now().unix_timestamp();
    let nonce = req.nonce.clone().filter(|n| !n.is_empty());
    // An unchanged consent written less than a minute ago is not written again: the member's
    // row is otherwise rewritten by every authorization (one hot row per member and client),
    // and its `updated_at` (the agents view's `last_authorized_at`) stays right to the minute.
    let unchanged = p.prior.as_ref().is_some_and(|prior| {
        let mut before = prior.to_vec();
        let mut after = grant_record.clone();
        before.sort();
        after.sort();
        before == after
    }) && p
        .prior_updated_at
        .is_some_and(|at| now - at < CONSENT_REFRESH_SECS);
    let Approval {
        grant,
        consent,
        event,
    } = approval(state, project_id, &p, &granted, grant_record, nonce, addr);
    let code = random_token(state);
    let record = CodeRecord {
        grant,
        redirect_uri: req.redirect_uri.clone().unwrap_or_default(),
        code_challenge: challenge.map(|c| c.as_str().to_string()),
        expires_at: now + CODE_LIFETIME_SECS,
    };
    // The code, the consent it stands on and its event are written together (one transaction).
    state
        .store
        .insert_code(
            SecretHash::of(&code).as_str(),
            &record,
            (!unchanged).then_some(&consent),
            event.as_ref(),
        )
        .await?;
    if let Some(e) = &event {
        crate::audit::log(e);
    }
    approved(state, &p, now).await;
    let url = with_iss(redirect.with_code(&code, state_param), issuer);
    Ok(SubmitResponse {
        redirect_uri: url,
        authorization_code: Some(code),
    })
}

/// What an approval writes: the new grant, the member's consent record, and (only for a
/// consent the member gave on the screen, not a skipped one) its event.
pub struct Approval {
    pub grant: Grant,
    pub consent: ConsentRow,
    pub event: Option<AuditEvent>,
}

fn approval(
    state: &AppState,
    project_id: &str,
    p: &Prepared,
    granted: &ScopeSet,
    grant_record: Vec<String>,
    nonce: Option<String>,
    addr: Option<IpAddr>,
) -> Approval {
    let now = state.clock.now().unix_timestamp();
    let env = ids::Environment::of_project(project_id);
    let grant = Grant {
        grant_id: ids::make_id("grant", env, state.tokens.uuid()),
        project_id: project_id.to_string(),
        client_id: p.app.client_id.clone(),
        member_id: p.member.member_id.clone(),
        organization_id: p.org.organization_id.clone(),
        member_session_id: p.session_id.clone(),
        scopes: granted.to_vec(),
        nonce,
        auth_time: p.auth_time,
        resources: p.targets.iter().map(|r| r.url.clone()).collect(),
    };
    let consent = ConsentRow {
        project_id: project_id.to_string(),
        organization_id: p.org.organization_id.clone(),
        member_id: p.member.member_id.clone(),
        client_id: p.app.client_id.clone(),
        scopes: grant_record,
        created_at: now,
        updated_at: now,
    };
    let event = p.decision.consent_required().then(|| {
        let mut e = consent_event(state, project_id, p, CONSENT_GRANTED, addr);
        e.details
            .insert("scopes".into(), json!(grant.scopes.clone()));
        e.details
            .insert("resources".into(), json!(grant.resources.clone()));
        e
    });
    Approval {
        grant,
        consent,
        event,
    }
}

/// After an approval is written: its log line, the registered client's use, the metric.
async fn approved(state: &AppState, p: &Prepared, now: i64) {
    if crate::oauth::registration_settings::is_self_registered(&p.app) {
        // A use, for the removal of registered clients nobody uses (issue 10).
        if let Err(e) = state
            .store
            .touch_dynamic_client(&p.app.client_id, now)
            .await
        {
            tracing::warn!(error = %e, "recording a registered client's use failed");
        }
    }
    crate::metrics::consent("granted", p.client_type);
}

/// A refusal writes nothing but its event.
async fn record_denial(
    state: &AppState,
    project_id: &str,
    p: &Prepared,
    addr: Option<IpAddr>,
) -> Result<(), ApiFailure> {
    crate::metrics::consent("denied", p.client_type);
    let mut e = consent_event(state, project_id, p, CONSENT_DENIED, addr);
    e.outcome = "denied".into();
    state.store.record_events(std::slice::from_ref(&e)).await?;
    crate::audit::log(&e);
    Ok(())
}

/// How the member's decision on a device request (RFC 8628 §3.3) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approved,
    Denied,
    /// Decided elsewhere or expired meanwhile: nothing was written.
    Gone,
}

/// Submit's decision for a device request: the same rules as [`authorize`] (consent, the
/// organization's Connected Apps policy, governance), recorded on the device request instead
/// of a code; the grant, consent and event commit together.
pub async fn decide_device(
    state: &AppState,
    project_id: &str,
    req: &AuthorizeRequest,
    user_code_hash: &str,
    addr: Option<IpAddr>,
) -> Result<DeviceOutcome, ApiFailure> {
    let consent = req
        .consent_granted
        .ok_or_else(|| ApiError::missing_field("consent_granted"))?;
    let p = prepare_via(state, project_id, req, Via::Device, addr).await?;
    let outcome = submit_decision(
        &p.decision,
        UserConsent::from_flag(consent),
        p.prior.as_ref(),
    )
    .map_err(authorize_error)?;
    let SubmitOutcome::Approved { granted, .. } = outcome else {
        let done = state.store.deny_device(user_code_hash).await?;
        record_denial(state, project_id, &p, addr).await?;
        return Ok(if done {
            DeviceOutcome::Denied
        } else {
            DeviceOutcome::Gone
        });
    };
    let record = resource_consent::record(p.prior.as_ref(), &granted, &p.scope_results);
    let a = approval(state, project_id, &p, &granted, record, None, addr);
    let now = state.clock.now().unix_timestamp();
    let done = state
        .store
        .approve_device(user_code_hash, &a.grant, &a.consent, a.event.as_ref(), now)
        .await?;
    if !done {
        return Ok(DeviceOutcome::Gone);
    }
    if let Some(e) = &a.event {
        crate::audit::log(e);
    }
    approved(state, &p, now).await;
    Ok(DeviceOutcome::Approved)
}

/// How stale an unchanged consent's `updated_at` may get before an authorization rewrites it.
const CONSENT_REFRESH_SECS: i64 = 60;

/// The member's consent decision on the client, as an audit event.
fn consent_event(
    state: &AppState,
    project_id: &str,
    p: &Prepared,
    action: &str,
    addr: Option<IpAddr>,
) -> AuditEvent {
    let actor = AuditParty::new("member", &p.member.member_id);
    let (org, client) = (&p.org.organization_id, &p.app.client_id);
    let mut e = super::events::event(state, project_id, org, client, action, actor, addr);
    if let Some(s) = &p.session_id {
        e.details.insert("member_session_id".into(), json!(s));
    }
    e
}

/// RFC 9207: the authorization response names its issuer.
fn with_iss(mut url: url::Url, issuer: &str) -> String {
    url.query_pairs_mut().append_pair("iss", issuer);
    url.to_string()
}

/// 256 random bits, base64url: codes and refresh tokens.
pub fn random_token(state: &AppState) -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    state.tokens.fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
