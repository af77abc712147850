//! B2B SMS passcodes, a second factor (issue 13 item 3; https://stytch.com/docs/b2b/api/otp-sms-send,
//! `otp-sms-authenticate`): send a six-digit code to the member's phone (linking the number
//! given when the member has none), and authenticate it to complete MFA on an intermediate
//! session or to step up an existing session. Codes live two minutes, five attempts, one new
//! code per 30 seconds ([`latchkey_core::otp`]); the text goes out through [`crate::sms`].

use axum::extract::State;
use latchkey_core::organization::policy::{self, MfaMethod};
use latchkey_core::otp::{self, Channel};
use latchkey_core::{member, session, ApiError};
use latchkey_store::{MemberLookup, SecondFactorProof};
use latchkey_types::{Member, Organization, OtpSmsAuthenticateRequest, OtpSmsSendRequest};
use serde::Serialize;

use super::auth::Project;
use super::organizations::load as load_org;
use super::otps::{check, issue, required, spend, NewCode};
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::sessions::{self as live, Credential, Issued};
use crate::sms::Sms;
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct SendResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
}

#[derive(Serialize)]
pub struct AuthenticateResponse {
    pub member_id: String,
    pub organization_id: String,
    pub member: Member,
    pub organization: Organization,
    #[serde(flatten)]
    pub issued: Issued,
    pub member_device: Option<serde_json::Value>,
}

/// How the caller shows who is asking: exactly one of Stytch's three.
enum Proof<'a> {
    Session(Credential<'a>),
    Intermediate(&'a str),
}

fn proof<'a>(
    ist: Option<&'a str>,
    token: Option<&'a str>,
    jwt: Option<&'a str>,
) -> Result<Option<Proof<'a>>, ApiError> {
    let ist = ist.filter(|s| !s.is_empty());
    match (ist, Credential::one_of(token, jwt)?) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "too_many_session_arguments",
            "Pass one of intermediate_session_token, session_token or session_jwt.",
        )),
        (Some(i), None) => Ok(Some(Proof::Intermediate(i))),
        (None, Some(c)) => Ok(Some(Proof::Session(c))),
        (None, None) => Ok(None),
    }
}

/// The organization and the member named by the request.
async fn load_member(
    state: &AppState,
    project: &Project,
    org_key: &str,
    member_key: &str,
) -> Result<(Organization, Member), ApiFailure> {
    let org = load_org(state, project, org_key).await?;
    // `mfa_methods: RESTRICTED` without `sms_otp`: 403 `unauthorized_mfa_method`.
    policy::require_mfa_method(&org, MfaMethod::SmsOtp)?;
    let m = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(member_key),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    Ok((org, m))
}

/// The proof must be the member's (Stytch: "if passed must match the `member_id`"): their
/// live session, or their unexpired intermediate session (404
/// `intermediate_session_not_found` otherwise, [`crate::mfa::load`]).
async fn check_proof(
    state: &AppState,
    pid: &str,
    proof: &Proof<'_>,
    m: &Member,
) -> Result<(), ApiFailure> {
    match proof {
        Proof::Session(c) => {
            if live::resolve(state, pid, *c).await?.record.member_id != m.member_id {
                return Err(mismatch().into());
            }
        }
        Proof::Intermediate(t) => {
            crate::mfa::load(state, pid, t, m).await?;
        }
    }
    Ok(())
}

fn mismatch() -> ApiError {
    ApiError::bad_request(
        "session_member_mismatch",
        "The session belongs to a different member than member_id.",
    )
}

/// `POST /v1/b2b/otps/sms/send`: a code to the member's phone, or to `mfa_phone_number`, which
/// becomes the member's (unverified) when it has none. A member who already has an MFA factor
/// (a verified phone, MFA enrolled) must come with a session or intermediate session of theirs,
/// so a code cannot be sent to bypass their MFA (Stytch's rule).
pub async fn send(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OtpSmsSendRequest>,
) -> ApiResult<SendResponse> {
    let pid = &project.project_id;
    let org_key = required(&req.organization_id, "organization_id")?;
    let member_key = required(&req.member_id, "member_id")?;
    let given = proof(
        req.intermediate_session_token.as_deref(),
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
    )?;
    let (org, mut m) = load_member(&state, &project, org_key, member_key).await?;
    match &given {
        Some(p) => check_proof(&state, pid, p, &m).await?,
        None if m.mfa_phone_number_verified || m.mfa_enrolled => {
            return Err(ApiError::new(401, "session_required", SESSION_REQUIRED).into())
        }
        None => {}
    }
    let (phone, linked) =
        otp::sms_destination(&m.mfa_phone_number, req.mfa_phone_number.as_deref())?;
    if linked {
        m.mfa_phone_number = phone.clone();
        m.mfa_phone_number_verified = false;
    }
    let new = NewCode {
        member: &m,
        channel: Channel::Sms,
        destination: &phone,
        lifetime_secs: otp::SMS_LIFETIME_SECS,
        member_update: linked.then_some(&m),
    };
    let (code, code_id) = issue(&state, pid, new).await?;
    let body = otp::sms_body(&state.config.branding.product_name, &code);
    let sms = Sms {
        project_id: pid.clone(),
        to: phone,
        body,
    };
    let now = state.clock.now().unix_timestamp();
    state
        .sms
        .send(state.store.as_ref(), sms, &code_id, now)
        .await?;
    Ok(ok(SendResponse {
        member_id: m.member_id.clone(),
        member: member::render(&m, &org),
        organization: org,
    }))
}

const SESSION_REQUIRED: &str = "This member already has an MFA factor: pass their intermediate_session_token, session_token or session_jwt to send a passcode.";

/// `POST /v1/b2b/otps/sms/authenticate`: with the member's intermediate session or session
/// ([`crate::mfa::context`]: one is needed), checks the member's SMS code (under the attempt
/// limit), verifies their phone number and records MFA enrollment (`REQUIRED_FOR_ALL` enrolls;
/// else `set_mfa_enrollment`) and `set_default_mfa`; then exchanges the intermediate session
/// (consumed) for a full session with the `otp`/`sms` factor added to its factors, or adds the
/// factor to the member's session ([`crate::mfa::finish`]).
pub async fn authenticate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OtpSmsAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let pid = &project.project_id;
    let org_key = required(&req.organization_id, "organization_id")?;
    let member_key = required(&req.member_id, "member_id")?;
    let code = required(&req.code, "code")?;
    session::duration(req.session_duration_minutes)?;
    let (org, mut m) = load_member(&state, &project, org_key, member_key).await?;
    // The intermediate session or session, read as TOTP and recovery codes read it; checked
    // (a session too: it must be the member's) before the code is looked at.
    let ctx = crate::mfa::context(
        &state,
        pid,
        &m,
        req.intermediate_session_token.as_deref(),
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
    )
    .await?;
    if let (None, Some(c)) = (ctx.intermediate, ctx.existing) {
        check_proof(&state, pid, &Proof::Session(c), &m).await?;
    }
    let stored = check(&state, pid, &m, Channel::Sms, code).await?;
    // A code sent to a number the member no longer has proves nothing.
    if stored.destination != m.mfa_phone_number {
        return Err(otp::Refusal::NotFound.to_api().into());
    }
    enroll(&mut m, &org, &req)?;
    // The code is spent by its own single-use write; the member's changes, the intermediate
    // session's end and the session are written together by `mfa::finish`.
    spend(&state, &stored, None).await?;
    let second = crate::mfa::Second {
        existing: ctx.existing,
        intermediate: ctx.intermediate,
        member: &m,
        member_changed: true,
        org: &org,
        factor: otp::sms_factor(&m, &stored.destination, state.clock.now()),
        proof: SecondFactorProof::AlreadySpent,
        spent: || otp::Refusal::AlreadyUsed.to_api(),
        minutes: req.session_duration_minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let issued = crate::mfa::finish(&state, pid, second).await?;
    Ok(ok(AuthenticateResponse {
        member_id: m.member_id.clone(),
        organization_id: org.organization_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        issued,
        member_device: None,
    }))
}

/// What a good SMS code changes on the member: a verified phone; enrollment under
/// `REQUIRED_FOR_ALL`, else as `set_mfa_enrollment` says; `sms_otp` as the default method when
/// `set_default_mfa`.
fn enroll(
    m: &mut Member,
    org: &Organization,
    req: &OtpSmsAuthenticateRequest,
) -> Result<(), ApiError> {
    m.mfa_phone_number_verified = true;
    if org.mfa_policy == "REQUIRED_FOR_ALL" {
        m.mfa_enrolled = true;
    } else {
        match req.set_mfa_enrollment.as_deref().filter(|s| !s.is_empty()) {
            None => {}
            Some("enroll") => m.mfa_enrolled = true,
            Some("unenroll") => m.mfa_enrolled = false,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_set_mfa_enrollment",
                    "set_mfa_enrollment must be enroll or unenroll.",
                ))
            }
        }
    }
    if req.set_default_mfa == Some(true) {
        m.default_mfa_method = "sms_otp".into();
    }
    Ok(())
}
