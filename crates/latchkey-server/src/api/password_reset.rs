//! B2B password reset (issue 13 item 6; https://stytch.com/docs/b2b/api/passwords-email-reset-start,
//! `passwords-email-reset`, `passwords-session-reset`, `passwords-existing-password-reset`,
//! `passwords-email-require-reset`): mail a single-use reset link, set a new password with it,
//! with the caller's session or with the old password, and mark a password as needing a reset.
//!
//! Reset links are magic-link tokens of kind `reset_password` (hashed, single use, PKCE and the
//! redirect allow-list as magic links, the same one-mail-per-second-per-address limiter). A new
//! password must pass the project's strength policy. A reset verifies the email and, as Stytch
//! documents, ends the member's other sessions (all but the session used for the reset) in the
//! same transaction that stores the new hash. Each reset and each start is an audit event.

use axum::extract::State;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::magic_link::{self as ml, MagicLinkToken};
use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use latchkey_core::organization::policy::{self as org_policy, AuthMethod};
use latchkey_core::password::{self, reset, strength_check};
use latchkey_core::{member, session, validate, ApiError};
use latchkey_store::{MagicLinkRecord, MemberLookup, MemberPassword};
use latchkey_types::{AuditParty, Member, Organization, PasswordInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::auth::Project;
use super::magic_links::{consume, peek_usable, pkce_error};
use super::password_reset_mail::{issue_reset_link, reset_redirect, send_reset_mail};
use super::passwords::{blocking, check_password};
use crate::audit::EventExt;
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::sessions::{self as live, Credential};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// Audit actions of this module.
pub mod actions {
    pub const RESET_STARTED: &str = "member.password_reset_started";
    pub const RESET: &str = "member.password_reset";
    pub const RESET_REQUIRED: &str = "member.password_reset_required";
}

/// `api_b2b_password_v1_b2b_passwords_email_ResetStartRequest`.
#[derive(Deserialize)]
pub struct ResetStartRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub reset_password_redirect_url: Option<String>,
    pub reset_password_expiration_minutes: Option<i64>,
    pub code_challenge: Option<String>,
    /// The SDK's landing page after an email verification; accepted, not used.
    pub login_redirect_url: Option<String>,
    pub locale: Option<String>,
    pub reset_password_template_id: Option<String>,
    pub verify_email_template_id: Option<String>,
}

#[derive(Serialize)]
pub struct ResetStartResponse {
    pub member_id: String,
    pub member_email_id: String,
    pub member: Member,
}

/// `api_b2b_password_v1_b2b_passwords_email_ResetRequest`.
#[derive(Deserialize)]
pub struct EmailResetRequest {
    pub password_reset_token: Option<String>,
    pub password: Option<PasswordInput>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub code_verifier: Option<String>,
    pub locale: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub telemetry_id: Option<String>,
}

/// The answer of every reset that logs the member in (`email/reset`, `session/reset`,
/// `existing_password/reset`): Stytch's three response schemas share these fields.
#[derive(Serialize)]
pub struct ResetResponse {
    pub member_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_email_id: Option<String>,
    pub organization_id: String,
    pub member: Member,
    pub organization: Organization,
    #[serde(flatten)]
    pub answer: crate::mfa::LoginAnswer,
    pub primary_required: Option<Value>,
    pub member_device: Option<Value>,
}

/// `POST /v1/b2b/passwords/email/reset/start`: mails a reset link to an active member of the
/// organization that has this email (404 `member_not_found` otherwise, as Stytch).
pub async fn email_reset_start(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<ResetStartRequest>,
) -> ApiResult<ResetStartResponse> {
    let pid = project.project_id.as_str();
    let org_key = required(req.organization_id.as_deref(), "organization_id")?;
    let email = validate::email(required(req.email_address.as_deref(), "email_address")?)?;
    let challenge = non_empty(req.code_challenge.as_deref())
        .map(PkceChallenge::parse)
        .transpose()
        .map_err(pkce_error)?;
    let minutes = ml::expiration_minutes(
        "reset_password_expiration_minutes",
        req.reset_password_expiration_minutes,
        reset::DEFAULT_MINUTES,
    )?;
    let org = super::organizations::load(&state, &project, org_key).await?;
    org_policy::require(&org, AuthMethod::Password)?;
    let redirect = reset_redirect(&state, pid, req.reset_password_redirect_url.as_deref()).await?;
    let m = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?
        .filter(member::is_active)
        .ok_or_else(ApiError::member_not_found)?;
    state
        .email_sends
        .check(&format!("{pid}\n{email}"), state.clock.now())?;
    let link = issue_reset_link(&state, pid, &m, &redirect, challenge, minutes).await?;
    send_reset_mail(&state, pid, &org, &m.email_address, link).await?;
    let e = audit(&state, pid, &org, &m, actions::RESET_STARTED, ip);
    crate::audit::record(&state, e).await;
    Ok(ok(ResetStartResponse {
        member_id: m.member_id.clone(),
        member_email_id: email_id(&m),
        member: member::render(&m, &org),
    }))
}

/// `POST /v1/b2b/passwords/email/reset`: spends the reset token (after its PKCE verifier and the
/// new password's strength are checked, so a mistake does not burn the link), stores the new
/// password, verifies the email, ends the member's other sessions and starts one.
pub async fn email_reset(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<EmailResetRequest>,
) -> ApiResult<ResetResponse> {
    let pid = project.project_id.as_str();
    let token = required(req.password_reset_token.as_deref(), "password_reset_token")?;
    let password = req
        .password
        .ok_or_else(|| ApiError::missing_field("password"))?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    session::duration(req.session_duration_minutes)?;
    let verifier = non_empty(req.code_verifier.as_deref())
        .map(PkceVerifier::parse)
        .transpose()
        .map_err(pkce_error)?;
    let reset = LinkReset {
        token,
        verifier,
        password,
        cred,
        intermediate: req.intermediate_session_token.as_deref(),
        minutes: req.session_duration_minutes,
        claims: &req.session_custom_claims,
        ip,
    };
    reset_with_link(&state, pid, reset).await
}

/// A reset by emailed link: from `passwords/email/reset`, or the hosted page's reset form
/// (`ui::reset`, issue 13 item 5), which passes the verifier its pending request holds.
pub(crate) struct LinkReset<'a> {
    pub token: &'a str,
    pub verifier: Option<PkceVerifier>,
    pub password: PasswordInput,
    /// The caller's session (kept when it is the member's).
    pub cred: Option<Credential<'a>>,
    /// `intermediate_session_token`: factors carried forward (Stytch).
    pub intermediate: Option<&'a str>,
    pub minutes: Option<i64>,
    pub claims: &'a Option<Map<String, Value>>,
    pub ip: Option<std::net::IpAddr>,
}

/// Spends the reset token (after its PKCE verifier, the organization's rules and the new
/// password's strength are checked, so a mistake does not burn the link), stores the new
/// password, verifies the email, ends the member's other sessions and starts one.
pub(crate) async fn reset_with_link(
    state: &AppState,
    pid: &str,
    r: LinkReset<'_>,
) -> ApiResult<ResetResponse> {
    let now = state.clock.now();
    let hash = MagicLinkToken::hash_of(r.token);
    let link = peek_usable(state, pid, &hash, r.verifier, true, now).await?;
    let (org, mut m) = load_member(state, pid, &link).await?;
    org_policy::require(&org, AuthMethod::Password)?;
    let new = new_password(state, pid, &m, r.password).await?;
    let keep = same_member_session(state, pid, r.cred, &m).await?;
    consume(state, pid, &hash, now).await?;
    ml::activate(&mut m, now);
    let (existing, keep_id) = keep.unzip();
    let done = Finish {
        existing,
        intermediate: r.intermediate,
        keep: keep_id.as_deref(),
        minutes: r.minutes,
        claims: r.claims,
        method: "email",
        email_id: true,
        ip: r.ip,
    };
    finish(state, pid, m, org, &new, done).await
}

/// `api_b2b_password_v1_b2b_passwords_session_ResetRequest`.
#[derive(Deserialize)]
pub struct SessionResetRequest {
    pub organization_id: Option<String>,
    pub password: Option<PasswordInput>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub locale: Option<String>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/passwords/session/reset`: the caller's session (with a factor from the last
/// five minutes) proves who they are; their other sessions end, this one stays.
pub async fn session_reset(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<SessionResetRequest>,
) -> ApiResult<ResetResponse> {
    let pid = project.project_id.as_str();
    let org_key = required(req.organization_id.as_deref(), "organization_id")?;
    let pw = req
        .password
        .ok_or_else(|| ApiError::missing_field("password"))?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?
        .ok_or_else(|| ApiError::missing_field("session_token"))?;
    let loaded = live::resolve(&state, pid, cred).await?;
    let org = super::organizations::load(&state, &project, org_key).await?;
    if org.organization_id != loaded.org.organization_id {
        return Err(ApiError::bad_request(
            "organization_id_mismatch",
            "The session belongs to a different organization than organization_id.",
        )
        .into());
    }
    reset::require_recent_factor(&loaded.record, state.clock.now())?;
    let m = loaded.member;
    let new = new_password(&state, pid, &m, pw).await?;
    let done = Finish {
        existing: Some(cred),
        intermediate: None,
        keep: Some(&loaded.record.member_session_id),
        minutes: req.session_duration_minutes,
        claims: &req.session_custom_claims,
        method: "session",
        email_id: false,
        ip,
    };
    finish(&state, pid, m, org, &new, done).await
}

/// `api_b2b_password_v1_b2b_passwords_existing_password_ResetRequest`.
#[derive(Deserialize)]
pub struct ExistingPasswordResetRequest {
    pub email_address: Option<String>,
    pub existing_password: Option<PasswordInput>,
    pub new_password: Option<PasswordInput>,
    pub organization_id: Option<String>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub locale: Option<String>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/passwords/existing_password/reset`: the old password proves who the caller is,
/// through the same lockout and per-address throttle as a password login; all the member's
/// sessions end and a new one starts.
pub async fn existing_password_reset(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<ExistingPasswordResetRequest>,
) -> ApiResult<ResetResponse> {
    let pid = project.project_id.as_str();
    let email = required(req.email_address.as_deref(), "email_address")?;
    let old = req
        .existing_password
        .ok_or_else(|| ApiError::missing_field("existing_password"))?;
    let pw = req
        .new_password
        .ok_or_else(|| ApiError::missing_field("new_password"))?;
    let org_key = required(req.organization_id.as_deref(), "organization_id")?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    session::duration(req.session_duration_minutes)?;
    let org = super::organizations::load(&state, &project, org_key).await?;
    let checked = check_password(&state, pid, ip, &org, email, old).await;
    let m = checked.map_err(|f| f.into_api())?;
    let new = new_password(&state, pid, &m, pw).await?;
    let keep = same_member_session(&state, pid, cred, &m).await?;
    let (existing, keep_id) = keep.unzip();
    let done = Finish {
        existing,
        intermediate: None,
        keep: keep_id.as_deref(),
        minutes: req.session_duration_minutes,
        claims: &req.session_custom_claims,
        method: "existing_password",
        email_id: false,
        ip,
    };
    finish(&state, pid, m, org, &new, done).await
}

/// `api_b2b_password_v1_b2b_passwords_email_RequireResetRequest`.
#[derive(Deserialize)]
pub struct RequireResetRequest {
    pub email_address: Option<String>,
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
}

#[derive(Serialize)]
pub struct RequireResetResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
}

/// `POST /v1/b2b/passwords/email/require_reset`: marks the password of the member with this
/// email (in `organization_id`, or the one `member_id` names; without either, every member of
/// the project with this email) as needing a reset. A correct password login is then refused
/// with 401 `member_reset_password` until the member resets it.
pub async fn require_reset(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<RequireResetRequest>,
) -> ApiResult<RequireResetResponse> {
    let pid = project.project_id.as_str();
    let email = validate::email(required(req.email_address.as_deref(), "email_address")?)?;
    let members = match non_empty(req.organization_id.as_deref()) {
        Some(key) => {
            let org = super::organizations::load(&state, &project, key).await?;
            let lookup = match non_empty(req.member_id.as_deref()) {
                Some(id) => MemberLookup::IdOrExternalId(id),
                None => MemberLookup::Email(&email),
            };
            let m = state.store.get_member(&org.organization_id, lookup).await?;
            let m = m
                .filter(|m| m.email_address.eq_ignore_ascii_case(&email))
                .ok_or_else(ApiError::member_not_found)?;
            vec![(m, Some(org))]
        }
        None => {
            let all = state.store.members_by_email(pid, &email).await?;
            all.into_iter().map(|m| (m, None)).collect()
        }
    };
    if members.is_empty() {
        return Err(ApiError::member_not_found().into());
    }
    for (m, _) in &members {
        state
            .store
            .require_password_reset(pid, &m.member_id)
            .await?;
        let e = crate::audit::event(
            &state,
            pid,
            Some(&m.organization_id),
            actions::RESET_REQUIRED,
            AuditParty::new("project", pid),
            ip,
        )
        .target("member", &m.member_id);
        crate::audit::record(&state, e).await;
    }
    let one = match members.into_iter().next() {
        Some((m, Some(org))) => Some((m, org)),
        _ => None,
    };
    Ok(ok(RequireResetResponse {
        member_id: one.as_ref().map(|(m, _)| m.member_id.clone()),
        member: one.as_ref().map(|(m, org)| member::render(m, org)),
        organization: one.map(|(_, org)| org),
    }))
}

fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    non_empty(value).ok_or_else(|| ApiError::missing_field(field))
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn email_id(m: &Member) -> String {
    session::factor("password", "knowledge", m, time::OffsetDateTime::UNIX_EPOCH)
        .email_factor
        .map(|e| e.email_id)
        .unwrap_or_default()
}

fn audit(
    state: &AppState,
    pid: &str,
    org: &Organization,
    m: &Member,
    action: &str,
    ip: Option<std::net::IpAddr>,
) -> latchkey_types::AuditEvent {
    crate::audit::event(
        state,
        pid,
        Some(&org.organization_id),
        action,
        AuditParty::new("member", &m.member_id),
        ip,
    )
    .target("member", &m.member_id)
}

/// How a reset ends, beyond the member and the new password.
struct Finish<'a> {
    /// The caller's session of this member, extended rather than replaced.
    existing: Option<Credential<'a>>,
    /// `intermediate_session_token` (email reset): factors carried forward (Stytch).
    intermediate: Option<&'a str>,
    /// The session that survives the reset (every other one of the member's ends).
    keep: Option<&'a str>,
    minutes: Option<i64>,
    claims: &'a Option<Map<String, Value>>,
    /// `details.method` of the audit event.
    method: &'static str,
    /// Whether the answer carries `member_email_id` (the email reset does).
    email_id: bool,
    ip: Option<std::net::IpAddr>,
}

/// What every reset does once the new password passed: store it (ending the other sessions in
/// the same transaction), start or extend the session with a password factor, record the
/// audit event, answer.
async fn finish(
    state: &AppState,
    pid: &str,
    m: Member,
    org: Organization,
    new: &MemberPassword,
    f: Finish<'_>,
) -> ApiResult<ResetResponse> {
    store_reset(state, &m, new, f.keep).await?;
    // Where MFA is required the reset yields an intermediate session, as Stytch's does.
    let primary = crate::mfa::Primary {
        existing: f.existing,
        intermediate: f.intermediate,
        member: &m,
        org: &org,
        factor: session::factor("password", "knowledge", &m, state.clock.now()),
        minutes: f.minutes,
        custom_claims: f.claims.as_ref(),
    };
    let answer = crate::mfa::primary_login(state, pid, primary).await?;
    let e = audit(state, pid, &org, &m, actions::RESET, f.ip).detail("method", f.method);
    crate::audit::record(state, e).await;
    Ok(ok(respond(m, org, answer, f.email_id)))
}

fn respond(
    m: Member,
    org: Organization,
    answer: crate::mfa::LoginAnswer,
    with_email_id: bool,
) -> ResetResponse {
    ResetResponse {
        member_id: m.member_id.clone(),
        member_email_id: with_email_id.then(|| email_id(&m)),
        organization_id: org.organization_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        answer,
        primary_required: None,
        member_device: None,
    }
}

async fn load_member(
    state: &AppState,
    pid: &str,
    link: &MagicLinkRecord,
) -> Result<(Organization, Member), ApiFailure> {
    let org = state
        .store
        .get_organization(pid, &link.organization_id)
        .await?
        .ok_or_else(|| ml::Unusable::NotFound.to_api())?;
    let m = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&link.member_id),
        )
        .await?
        .ok_or_else(|| ml::Unusable::NotFound.to_api())?;
    Ok((org, m))
}

/// Judges the new password under the project's policy (400 `weak_password`) and hashes it with
/// argon2id, both on the blocking pool.
async fn new_password(
    state: &AppState,
    pid: &str,
    m: &Member,
    pw: PasswordInput,
) -> Result<MemberPassword, ApiFailure> {
    let policy = state.config.password_strength_policy;
    let email = m.email_address.clone();
    let mut salt = [0u8; password::SALT_LEN];
    state.tokens.fill(&mut salt);
    let hashed = blocking(move || {
        let secret = pw.expose_secret();
        reset::require_strong(&strength_check(secret, Some(&email), policy))?;
        password::hash_password(secret, &salt).map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })
    })
    .await??;
    let env = Environment::of_project(pid);
    Ok(MemberPassword {
        member_password_id: make_id("member-password", env, state.tokens.uuid()),
        project_id: pid.to_owned(),
        member_id: m.member_id.clone(),
        hash: hashed,
        kind: password::NATIVE_KIND.to_owned(),
        created_at: state.clock.now().unix_timestamp(),
        reset_required: false,
    })
}

/// The caller's session when it is the member's (Stytch ignores another member's session), with
/// its id, which the reset keeps.
async fn same_member_session<'a>(
    state: &AppState,
    pid: &str,
    cred: Option<Credential<'a>>,
    m: &Member,
) -> Result<Option<(Credential<'a>, String)>, ApiFailure> {
    let Some(c) = cred else {
        return Ok(None);
    };
    let loaded = live::resolve(state, pid, c).await?;
    Ok((loaded.record.member_id == m.member_id).then_some((c, loaded.record.member_session_id)))
}

async fn store_reset(
    state: &AppState,
    m: &Member,
    p: &MemberPassword,
    keep_session: Option<&str>,
) -> Result<(), ApiFailure> {
    if !state
        .store
        .reset_member_password(m, p, keep_session)
        .await?
    {
        return Err(ApiError::member_not_found().into());
    }
    Ok(())
}
