//! B2B sessions (https://stytch.com/docs/b2b/api/authenticate-session and siblings):
//! authenticate (and extend), list, revoke, exchange (switch organization), exchange an access
//! token (back into the session it was authorized from), and the JWKS the session JWTs are
//! verified with.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::organization::policy;
use latchkey_core::session::{self, SessionRecord, SessionToken};
use latchkey_core::ApiError;
use latchkey_store::MemberLookup;
use latchkey_types::{
    AuthorizationVerdict, Member, MemberSession, Organization, SessionAuthenticateRequest,
    SessionExchangeRequest, SessionRevokeRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, ApiQuery, Stytch};
use crate::sessions::{self as live, Credential, Issued};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct AuthenticateResponse {
    #[serde(flatten)]
    pub issued: Issued,
    pub member: Member,
    pub organization: Organization,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<AuthorizationVerdict>,
}

/// `POST /v1/b2b/sessions/authenticate`: checks a session (token or JWT), optionally extends it
/// and merges custom claims, and returns it with a fresh JWT.
pub async fn authenticate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<SessionAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?
        .ok_or_else(|| ApiError::missing_field("session_token or session_jwt"))?;
    let minutes = session::duration(req.session_duration_minutes)?;
    let live::Loaded {
        mut record,
        member,
        org,
    } = live::resolve_with(
        &state,
        &project.project_id,
        cred,
        live::JwtExpiry::AllowExpired,
    )
    .await?;
    let verdict = match &req.authorization_check {
        Some(check) => {
            Some(crate::rbac::check(&state, &project.project_id, &member, &org, check).await?)
        }
        None => None,
    };
    session::touch(&mut record, minutes, state.clock.now())?;
    if let Some(c) = &req.session_custom_claims {
        session::merge_custom_claims(&mut record, c)?;
    }
    if !state.store.update_session(&record).await? {
        return Err(session::session_not_found().into());
    }
    let token = match cred {
        Credential::Token(t) => t.to_string(),
        Credential::Jwt(_) => String::new(),
    };
    let issued = live::issue(&state, &project.project_id, &record, token, &member, &org).await?;
    Ok(ok(AuthenticateResponse {
        issued,
        member: latchkey_core::member::render(&member, &org),
        organization: org,
        verdict,
    }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
}

#[derive(Serialize)]
pub struct ListResponse {
    pub member_sessions: Vec<MemberSession>,
}

/// `GET /v1/b2b/sessions?organization_id=&member_id=`: the member's live sessions.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<ListResponse> {
    let org_key = q
        .organization_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field("organization_id"))?;
    let member_key = q
        .member_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field("member_id"))?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&member_key),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    let now = state.clock.now().unix_timestamp();
    let roles = latchkey_core::member::effective_role_ids(&member, &org);
    let sessions = state
        .store
        .list_sessions(&project.project_id, &member.member_id, now)
        .await?;
    let member_sessions = sessions
        .iter()
        .map(|s| session::render(s, &org, roles.clone()))
        .collect();
    Ok(ok(ListResponse { member_sessions }))
}

#[derive(Serialize)]
pub struct Empty {}

/// `POST /v1/b2b/sessions/revoke`: one session (by id, token or JWT) or all of a member's.
pub async fn revoke(
    State(state): State<AppState>,
    project: Project,
    crate::client_address::ClientAddress(ip): crate::client_address::ClientAddress,
    actor: super::member_auth::MemberActor,
    ApiJson(req): ApiJson<SessionRevokeRequest>,
) -> ApiResult<Empty> {
    // Acting as a member (finding #3): resolve and check before anything is revoked.
    let acting = actor.resolve(&state, &project.project_id).await?;
    super::member_auth::check_session_revoke(acting.as_ref(), &state, &project.project_id, &req)
        .await?;
    let given = [
        &req.member_session_id,
        &req.session_token,
        &req.session_jwt,
        &req.member_id,
    ]
    .iter()
    .filter(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
    .count();
    if given != 1 {
        return Err(ApiError::bad_request(
            "bad_request",
            "Pass exactly one of member_session_id, session_token, session_jwt or member_id.",
        )
        .into());
    }
    let pid = &project.project_id;
    if let Some(member_id) = req.member_id.as_deref().filter(|s| !s.is_empty()) {
        state
            .store
            .get_member_in_project(pid, member_id)
            .await?
            .ok_or_else(ApiError::member_not_found)?;
        state.store.delete_member_sessions(pid, member_id).await?;
        audit_revoke(&state, pid, acting.as_ref(), ("member", member_id), ip).await;
        return Ok(ok(Empty {}));
    }
    let id = match (
        req.member_session_id.as_deref(),
        Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?,
    ) {
        (Some(id), _) if !id.is_empty() => id.to_string(),
        (_, Some(cred)) => {
            live::resolve(&state, pid, cred)
                .await?
                .record
                .member_session_id
        }
        _ => return Err(session::session_not_found().into()),
    };
    if !state.store.delete_session(pid, &id).await? {
        return Err(session::session_not_found().into());
    }
    audit_revoke(&state, pid, acting.as_ref(), ("member_session", &id), ip).await;
    Ok(ok(Empty {}))
}

/// The audit event of a revocation (issue 15 item 5): by the acting member, else the project.
async fn audit_revoke(
    state: &AppState,
    pid: &str,
    acting: Option<&super::member_auth::Acting>,
    (kind, id): (&str, &str),
    ip: Option<std::net::IpAddr>,
) {
    use crate::audit::EventExt;
    let actor = super::events::api_actor(pid, acting);
    let org = acting.map(|a| a.loaded.member.organization_id.as_str());
    let action = crate::audit::actions::SESSION_REVOKED;
    let e = crate::audit::event(state, pid, org, action, actor, ip).target(kind, id);
    crate::audit::record(state, e).await;
}

#[derive(Serialize)]
pub struct ExchangeResponse {
    pub member_id: String,
    #[serde(flatten)]
    pub answer: crate::mfa::LoginAnswer,
    pub member: Member,
    pub organization: Organization,
    pub primary_required: Option<Value>,
}

/// `POST /v1/b2b/sessions/exchange`: a session for the same person (same email) in another
/// organization they belong to. The factors carry over when the target organization accepts
/// them; the original session ends.
///
/// The email is what links the two members, so it must be proven (issue 9 #2): the current
/// member's address is verified and the session holds a factor delivered to, or looked up by,
/// that address ([`session::proves_email`]). An address an admin typed in opens nothing.
pub async fn exchange(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<SessionExchangeRequest>,
) -> ApiResult<ExchangeResponse> {
    let pid = &project.project_id;
    let target_key = req
        .organization_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field("organization_id"))?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?
        .ok_or_else(|| ApiError::missing_field("session_token or session_jwt"))?;
    let minutes = session::duration(req.session_duration_minutes)?;
    let current = live::resolve(&state, pid, cred).await?;
    check_email_proven(&current)?;
    let target = super::organizations::load(&state, &project, target_key).await?;
    let member = state
        .store
        .get_member(
            &target.organization_id,
            MemberLookup::Email(&current.member.email_address),
        )
        .await?
        .filter(latchkey_core::member::is_active)
        .ok_or_else(ApiError::member_not_found)?;
    check_factors_allowed(&current.record, &target)?;
    // Second factors were proven for the other organization's member (its TOTP, its phone):
    // only primary factors carry over (`policy::MfaMethod::of_factor`).
    let factors: Vec<_> = current
        .record
        .factors
        .iter()
        .filter(|f| policy::MfaMethod::of_factor(f).is_none())
        .cloned()
        .collect();
    let answer = if policy::mfa_satisfied(&target, &member, &factors) {
        let claims = req.session_custom_claims.as_ref();
        let issued = exchange_session(
            &state, pid, &current, &member, &target, factors, minutes, claims,
        )
        .await?;
        crate::mfa::LoginAnswer::session(issued)
    } else {
        // Stytch: the target requires MFA, so an intermediate session; the original session
        // stays, as nothing was exchanged yet.
        let ist = latchkey_core::mfa::start(pid, &member, factors, state.clock.now());
        let token = latchkey_core::mfa::IntermediateSessionToken::generate(state.tokens.as_ref());
        state
            .store
            .insert_intermediate_session(&ist, &token.hash())
            .await?;
        crate::mfa::LoginAnswer::intermediate(token, &member)
    };
    Ok(ok(ExchangeResponse {
        member_id: member.member_id.clone(),
        answer,
        member: latchkey_core::member::render(&member, &target),
        organization: target,
        primary_required: None,
    }))
}

/// The target organization's session with the carried factors; the original session ends.
#[expect(
    clippy::too_many_arguments,
    reason = "one step of a handler, given what the handler loaded"
)]
async fn exchange_session(
    state: &AppState,
    pid: &str,
    current: &live::Loaded,
    member: &Member,
    target: &Organization,
    factors: Vec<latchkey_types::AuthenticationFactor>,
    minutes: Option<i64>,
    claims: Option<&serde_json::Map<String, Value>>,
) -> Result<Issued, ApiFailure> {
    let id = latchkey_core::ids::make_id(
        "session",
        latchkey_core::ids::Environment::of_project(pid),
        state.tokens.uuid(),
    );
    let now = state.clock.now();
    let record = latchkey_core::mfa::complete(id, pid, member, factors, minutes, claims, now)?;
    let token = SessionToken::generate(state.tokens.as_ref());
    state.store.insert_session(&record, &token.hash()).await?;
    state
        .store
        .delete_session(pid, &current.record.member_session_id)
        .await?;
    let token = token.expose_secret().to_string();
    live::issue(state, pid, &record, token, member, target).await
}

/// The current member's email is verified and proven by one of the session's factors.
fn check_email_proven(current: &live::Loaded) -> Result<(), ApiError> {
    let email = &current.member.email_address;
    if current.member.email_address_verified && session::proves_email(&current.record, email) {
        return Ok(());
    }
    Err(ApiError::new(
        403,
        "unverified_email",
        "The session does not prove the member's email address (it is unverified, or no factor of this session was delivered to it), so it cannot be exchanged for another organization; log in to that organization directly.",
    ))
}

/// An organization with `auth_methods: RESTRICTED` accepts only sessions whose factors it allows.
fn check_factors_allowed(record: &SessionRecord, target: &Organization) -> Result<(), ApiError> {
    if policy::allows_factors(target, &record.factors) {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "unauthorized_auth_method",
            "The target organization does not allow the ways this session was authenticated; log in to it directly.",
        ))
    }
}

/// `GET /v1/b2b/sessions/jwks/{project_id}` (no authentication: SDKs fetch it to verify JWTs).
pub async fn jwks(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
) -> Result<Response, ApiFailure> {
    project_jwks(&state, &project_id).await
}

/// `GET /.well-known/jwks.json`: the default project's keys.
pub async fn well_known_jwks(State(state): State<AppState>) -> Result<Response, ApiFailure> {
    let project_id = crate::state::default_project(&state).await?;
    project_jwks(&state, &project_id).await
}

async fn project_jwks(state: &AppState, project_id: &str) -> Result<Response, ApiFailure> {
    if state.project_secrets(project_id).await?.is_empty() {
        return Err(ApiError::new(404, "project_not_found", "Project could not be found.").into());
    }
    let now = state.clock.now().unix_timestamp();
    let keys = state
        .keys
        .key_set(project_id, now, state.tokens.as_ref())
        .await
        .map_err(live::key_failure)?;
    // Serialized once per key set: the JWKS is the most fetched document of all.
    Ok(crate::envelope::prebuilt_json(
        StatusCode::OK,
        keys.jwks_bytes(),
        &[],
    ))
}

#[derive(Deserialize)]
pub struct ExchangeAccessTokenRequest {
    pub access_token: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<serde_json::Map<String, Value>>,
}

#[derive(Serialize)]
pub struct ExchangeAccessTokenResponse {
    pub member_id: String,
    #[serde(flatten)]
    pub issued: Issued,
    pub member: Member,
    pub organization: Organization,
}

/// `POST /v1/b2b/sessions/exchange_access_token` (Stytch §16): a first-party app's
/// `full_access` access token, at most five minutes old and exchanged once, becomes the member
/// session it was authorized from, with an `oauth_access_token_exchange` factor.
///
/// The session's own token exists only as a hash, so the exchange gives the session one more
/// token (`Store::add_session_token`) and returns it with a fresh JWT. Both tokens name the same
/// session: the authorizing app's token keeps working, and revoking either ends the session.
pub async fn exchange_access_token(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<ExchangeAccessTokenRequest>,
) -> ApiResult<ExchangeAccessTokenResponse> {
    let pid = &project.project_id;
    let access_token = req
        .access_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::missing_field("access_token"))?;
    let live = crate::oauth::tokens::check_access(&state, access_token)
        .await
        .map_err(|_| invalid_grant())?;
    // RFC 9449: a DPoP-bound token proves nothing without its key's proof, which this API
    // cannot carry: it is never turned into a session.
    if live.claims.get("cnf").is_some() {
        return Err(not_exchangeable().into());
    }
    let now = state.clock.now();
    check_exchangeable(&live, pid, now.unix_timestamp())?;
    // Checked before the token is spent, so a bad duration does not cost the one exchange.
    let minutes = session::duration(req.session_duration_minutes)?;
    let session_id = live
        .status
        .member_session_id
        .as_deref()
        .ok_or_else(not_exchangeable)?;
    let jti = live.claims["jti"].as_str().unwrap_or_default();
    let live::Loaded {
        mut record,
        member,
        org,
    } = exchanged_session(&state, pid, session_id, now.unix_timestamp()).await?;
    session::touch(&mut record, minutes, now)?;
    let mut factor = session::factor(
        "oauth_access_token_exchange",
        "oauth_access_token_exchange",
        &member,
        now,
    );
    factor.oauth_access_token_exchange_factor =
        Some(latchkey_types::OAuthAccessTokenExchangeFactor {
            client_id: live.status.client_id.clone(),
        });
    session::add_factor(&mut record, factor);
    if let Some(c) = &req.session_custom_claims {
        session::merge_custom_claims(&mut record, c)?;
    }
    // Spending the token, extending the session and adding its token commit together (issue 9
    // item 7): false means the token was spent or the session revoked meanwhile, and nothing
    // was written.
    let token = SessionToken::generate(state.tokens.as_ref());
    let exchanged = state
        .store
        .exchange_access_token(jti, &record, &token.hash(), now.unix_timestamp())
        .await?;
    if !exchanged {
        return Err(not_exchangeable().into());
    }
    let token = token.expose_secret().to_string();
    let issued = live::issue(&state, pid, &record, token, &member, &org).await?;
    Ok(ok(ExchangeAccessTokenResponse {
        member_id: member.member_id.clone(),
        issued,
        member: latchkey_core::member::render(&member, &org),
        organization: org,
    }))
}

fn invalid_grant() -> ApiError {
    ApiError::bad_request(
        "oauth_access_token_exchange_token_invalid_grant",
        "The access token is not valid for exchange.",
    )
}

fn not_exchangeable() -> ApiError {
    ApiError::new(
        404,
        "idp_access_token_could_not_be_exchanged",
        "The access token could not be exchanged.",
    )
}

/// Stytch's rules on the token itself: this project's, `full_access`, at most five minutes old.
fn check_exchangeable(
    live: &crate::oauth::tokens::LiveAccess,
    project_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    if live.project_id != project_id {
        return Err(invalid_grant());
    }
    let scopes = live
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !scopes.split_ascii_whitespace().any(|s| s == "full_access") {
        return Err(ApiError::bad_request(
            "oauth_access_token_exchange_missing_full_access",
            "Only access tokens with the full_access scope can be exchanged for a session.",
        ));
    }
    let iat = live.claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
    if now - iat > 300 {
        return Err(ApiError::bad_request(
            "oauth_access_token_exchange_token_too_old",
            "Access tokens can be exchanged only within five minutes of issue.",
        ));
    }
    Ok(())
}

/// The session an access token was authorized from, with its member and organization. A
/// session revoked or expired since (or its member or organization deleted) makes the token
/// not exchangeable (404), not an unknown session.
async fn exchanged_session(
    state: &AppState,
    project_id: &str,
    member_session_id: &str,
    now: i64,
) -> Result<live::Loaded, ApiFailure> {
    let record = state
        .store
        .session_by_id(project_id, member_session_id)
        .await?
        .filter(|r| r.expires_at > now)
        .ok_or_else(not_exchangeable)?;
    let org = state
        .store
        .get_organization(project_id, &record.organization_id)
        .await?
        .ok_or_else(not_exchangeable)?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&record.member_id),
        )
        .await?
        .ok_or_else(not_exchangeable)?;
    Ok(live::Loaded {
        record,
        member,
        org,
    })
}
