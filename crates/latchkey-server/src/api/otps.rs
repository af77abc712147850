//! B2B one-time passcodes (issue 13 item 3): what SMS and email codes share (the project's OTP
//! key, issuing a code under the resend interval, checking one under the attempt limit,
//! spending it) and the email endpoints, a primary factor
//! (https://stytch.com/docs/b2b/api/otp-email-login-or-signup, `otp-email-authenticate`).
//! The SMS endpoints, a second factor, are in [`super::otps_sms`].

use axum::extract::State;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::magic_link::{self as ml, SendDecision};
use latchkey_core::organization::policy::{self as org_policy, AuthMethod};
use latchkey_core::otp::{self, Channel, OtpCode, StoredCode};
use latchkey_core::{member, session, validate, ApiError};
use latchkey_store::{MemberLookup, OtpClaim};
use latchkey_types::{
    Member, Organization, OtpEmailAuthenticateRequest, OtpEmailLoginOrSignupRequest,
};

use super::auth::Project;
use super::magic_links::{AuthenticateResponse, LoginOrSignupResponse};
use super::organizations::load as load_org;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::mail::{html_escape, Mail};
use crate::sessions::{self as live, Credential};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

pub(crate) fn required<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field(field))
}

/// The project's OTP key: created on first use, sealed at rest with the master key like the
/// signing keys (the label binds the sealed value to its project and purpose).
async fn otp_key(state: &AppState, pid: &str) -> Result<Vec<u8>, ApiFailure> {
    use latchkey_core::jwt;
    let label = format!("otp-key-{pid}");
    let master = state.config.master_key.as_deref();
    let mut candidate = [0u8; 32];
    state.tokens.fill(&mut candidate);
    let mut nonce = [0u8; 12];
    state.tokens.fill(&mut nonce);
    let sealed = jwt::seal_private_key_with_nonce(master, &label, &candidate, nonce)
        .map_err(|_| ApiError::internal())?;
    let stored = state.store.otp_key(pid, &sealed).await?;
    let key = jwt::open_private_key(master, &label, &stored).map_err(|e| {
        tracing::error!(error = %e, "OTP key cannot be opened (master key changed?)");
        ApiError::internal()
    })?;
    Ok(key.as_bytes().to_vec())
}

/// A code to send.
pub(crate) struct NewCode<'a> {
    pub member: &'a Member,
    pub channel: Channel,
    /// Phone number or email address.
    pub destination: &'a str,
    pub lifetime_secs: i64,
    /// The member as it must be stored with the code (an SMS number linked to it).
    pub member_update: Option<&'a Member>,
}

/// Makes a code and stores its keyed hash as the member's only code on the channel; 429 when
/// the last one is younger than the resend interval. Returns the code and its id.
pub(crate) async fn issue(
    state: &AppState,
    pid: &str,
    new: NewCode<'_>,
) -> Result<(OtpCode, String), ApiFailure> {
    let key = otp_key(state, pid).await?;
    let code = OtpCode::generate(state.tokens.as_ref());
    let code_id = make_id("otp", Environment::of_project(pid), state.tokens.uuid());
    let now = state.clock.now().unix_timestamp();
    let stored = StoredCode {
        code_id: code_id.clone(),
        project_id: pid.to_owned(),
        organization_id: new.member.organization_id.clone(),
        member_id: new.member.member_id.clone(),
        channel: new.channel.as_str().into(),
        destination: new.destination.to_owned(),
        code_hash: otp::code_hash(&key, &code_id, code.expose_secret()),
        attempts: 0,
        expires_at: now + new.lifetime_secs,
        used_at: None,
        created_at: now,
    };
    let resend_before = now - otp::RESEND_INTERVAL_SECS;
    if !state
        .store
        .issue_otp(&stored, resend_before, new.member_update)
        .await?
    {
        return Err(otp::resend_too_soon().into());
    }
    Ok((code, code_id))
}

/// Claims one attempt on the member's code and judges `presented`; the code is not spent.
pub(crate) async fn check(
    state: &AppState,
    pid: &str,
    m: &Member,
    channel: Channel,
    presented: &str,
) -> Result<StoredCode, ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    let stored = match state
        .store
        .claim_otp_attempt(pid, &m.member_id, channel, now)
        .await?
    {
        OtpClaim::Claimed(c) => *c,
        OtpClaim::Refused(r) => return Err(r.to_api().into()),
    };
    let key = otp_key(state, pid).await?;
    otp::verify(&key, &stored, presented, now).map_err(|r| r.to_api())?;
    Ok(stored)
}

/// Spends a checked code, writing `member` with it; a concurrent use that won is a refusal.
pub(crate) async fn spend(
    state: &AppState,
    code: &StoredCode,
    member: Option<&Member>,
) -> Result<(), ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    if !state.store.consume_otp(&code.code_id, now, member).await? {
        return Err(otp::Refusal::AlreadyUsed.to_api().into());
    }
    Ok(())
}

/// `POST /v1/b2b/otps/email/login_or_signup`: a code for an active member, a signup code for a
/// pending or invited one, or a new pending member (when the organization's email JIT
/// provisioning admits the address, [`ml::login_or_signup`]) and a signup code.
pub async fn email_login_or_signup(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OtpEmailLoginOrSignupRequest>,
) -> ApiResult<LoginOrSignupResponse> {
    let pid = &project.project_id;
    let org_key = required(&req.organization_id, "organization_id")?;
    let email = validate::email(required(&req.email_address, "email_address")?)?;
    let org = load_org(&state, &project, org_key).await?;
    org_policy::require(&org, AuthMethod::EmailOtp)?;
    let existing = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?;
    let minutes = match ml::login_or_signup(&org, existing.as_ref(), &email)? {
        SendDecision::Login => {
            otp::email_minutes("login_expiration_minutes", req.login_expiration_minutes)?
        }
        _ => otp::email_minutes("signup_expiration_minutes", req.signup_expiration_minutes)?,
    };
    let limit_key = format!("{pid}\n{email}");
    state.email_sends.check(&limit_key, state.clock.now())?;
    let (m, created) = match existing {
        Some(m) => (m, false),
        None => {
            super::magic_links::create_member(&state, &project, &org, &email, "pending", None)
                .await?
        }
    };
    send_email_code(&state, pid, &org, &m, minutes).await?;
    Ok(ok(LoginOrSignupResponse {
        member_id: m.member_id.clone(),
        member_created: created,
        member: member::render(&m, &org),
        organization: org,
    }))
}

/// Issues an email code to `m` and mails it (the hosted page's "email me a code" too).
pub(crate) async fn send_email_code(
    state: &AppState,
    pid: &str,
    org: &Organization,
    m: &Member,
    minutes: i64,
) -> Result<(), ApiFailure> {
    let new = NewCode {
        member: m,
        channel: Channel::Email,
        destination: &m.email_address,
        lifetime_secs: minutes * 60,
        member_update: None,
    };
    let (code, _) = issue(state, pid, new).await?;
    let name = &org.organization_name;
    let code = code.expose_secret();
    let lead =
        format!("Your code to sign in to {name} is {code}. It expires in {minutes} minutes.");
    let tail = "If you did not ask for this code, you can ignore this email.";
    let mail = Mail {
        project_id: pid.to_owned(),
        to: m.email_address.clone(),
        subject: format!("{code} is your sign-in code for {name}"),
        text_body: format!("{lead}\n\n{tail}\n"),
        html_body: format!(
            "<!doctype html><html><body><p>{}</p><p><strong>{code}</strong></p><p>{tail}</p></body></html>",
            html_escape(&lead)
        ),
        link: String::new(),
    };
    let now = state.clock.now().unix_timestamp();
    state.mailer.send(state.store.as_ref(), mail, now).await
}

/// `POST /v1/b2b/otps/email/authenticate`: checks the member's email code (under the attempt
/// limit; the organization's rules and the intermediate session are checked first, so a refusal
/// does not spend it), spends it, activates a pending or invited member with a verified email,
/// and answers as every primary factor does ([`crate::mfa::primary_login`]): an `email_otp`
/// factor added to the member's session passed in, a new session, or, where MFA is required,
/// an intermediate session (`member_authenticated: false`).
pub async fn email_authenticate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OtpEmailAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let pid = &project.project_id;
    let org_key = required(&req.organization_id, "organization_id")?;
    let email = validate::email(required(&req.email_address, "email_address")?)?;
    let code = required(&req.code, "code")?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    session::duration(req.session_duration_minutes)?;
    let org = load_org(&state, &project, org_key).await?;
    let mut m = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    org_policy::require(&org, AuthMethod::EmailOtp)?;
    let existing = same_member(&state, pid, cred, &m).await?;
    let intermediate = req
        .intermediate_session_token
        .as_deref()
        .filter(|t| !t.is_empty());
    if let Some(t) = intermediate {
        crate::mfa::load(&state, pid, t, &m).await?;
    }
    let stored = check(&state, pid, &m, Channel::Email, code).await?;
    // A code mailed to an address the member no longer has proves nothing.
    if !stored.destination.eq_ignore_ascii_case(&m.email_address) {
        return Err(otp::Refusal::NotFound.to_api().into());
    }
    let now = state.clock.now();
    ml::activate(&mut m, now);
    spend(&state, &stored, Some(&m)).await?;
    let factor = session::factor("email_otp", "email", &m, now);
    let method_id = factor.email_factor.as_ref().map(|e| e.email_id.clone());
    let primary = crate::mfa::Primary {
        existing,
        intermediate,
        member: &m,
        org: &org,
        factor,
        minutes: req.session_duration_minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let answer = crate::mfa::primary_login(&state, pid, primary).await?;
    Ok(ok(AuthenticateResponse {
        member_id: m.member_id.clone(),
        organization_id: org.organization_id.clone(),
        method_id: method_id.unwrap_or_default(),
        reset_sessions: false,
        answer,
        member: member::render(&m, &org),
        organization: org,
        primary_required: None,
    }))
}

/// The caller's session when it is the member's (Stytch ignores another member's session).
pub(crate) async fn same_member<'a>(
    state: &AppState,
    pid: &str,
    cred: Option<Credential<'a>>,
    m: &Member,
) -> Result<Option<Credential<'a>>, ApiFailure> {
    let Some(c) = cred else {
        return Ok(None);
    };
    let loaded = live::resolve(state, pid, c).await?;
    Ok((loaded.record.member_id == m.member_id).then_some(c))
}
