//! B2B TOTP (https://stytch.com/docs/b2b/api/create-totp, `authenticate-totp`, `migrate-totp`;
//! issue 13 item 2): an authenticator-app second factor per member. Create answers the secret,
//! a QR code (`data:image/png;base64,`) and ten recovery codes; authenticate checks a code
//! (RFC 6238, `core::mfa::totp`) and completes MFA ([`crate::mfa::finish`]); migrate imports a
//! secret from another system. Secrets and recovery codes are sealed with the master key
//! (`core::jwt::seal_secret`) like signing keys; recovery codes are also stored hashed.
//!
//! Wrong codes count against the member ([`FailureSubject::Mfa`], shared with recovery
//! codes): every attempt is counted before the code is checked, so concurrent guesses cannot
//! pass the limit; a success clears the count.

use axum::extract::State;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::mfa::{recovery, totp};
use latchkey_core::organization::policy::{self, MfaMethod};
use latchkey_core::{member, session, ApiError};
use latchkey_store::{
    FailureSubject, MemberLookup, NewRecoveryCode, SecondFactorProof, TotpRegistration,
};
use latchkey_types::{
    Member, MemberSession, Organization, TotpAuthenticateRequest, TotpCreateRequest,
    TotpMigrateRequest,
};
use serde::Serialize;
use serde_json::Value;

use super::auth::Project;
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::sessions::Credential;
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// AAD purposes of sealed MFA secrets (`core::jwt::seal_secret`).
pub(crate) const SECRET_PURPOSE: &str = "totp-secret";
pub(crate) const CODE_PURPOSE: &str = "recovery-code";

/// `api_b2b_totp_v1_CreateResponse`.
#[derive(Serialize)]
pub struct CreateResponse {
    pub member_id: String,
    pub totp_registration_id: String,
    pub secret: String,
    pub qr_code: String,
    pub recovery_codes: Vec<String>,
    pub member: Member,
    pub organization: Organization,
}

/// `api_b2b_totp_v1_AuthenticateResponse`.
#[derive(Serialize)]
pub struct AuthenticateResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
    pub session_token: String,
    pub session_jwt: String,
    pub member_session: MemberSession,
    pub member_device: Option<Value>,
}

/// `api_b2b_totp_v1_MigrateResponse`.
#[derive(Serialize)]
pub struct MigrateResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
    pub totp_registration_id: String,
    pub recovery_codes: Vec<String>,
}

/// `POST /v1/b2b/totp`: a new, unverified registration (it becomes the member's TOTP when a
/// code from it is authenticated within `expiration_minutes`).
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<TotpCreateRequest>,
) -> ApiResult<CreateResponse> {
    let pid = project.project_id.as_str();
    let (org, m) = load(&state, &project, &req.organization_id, &req.member_id).await?;
    policy::require_mfa_method(&org, MfaMethod::Totp)?;
    let minutes = totp::expiration_minutes(req.expiration_minutes)?;
    check_context(
        &state,
        pid,
        &m,
        req.intermediate_session_token.as_deref(),
        &req.session_token,
        &req.session_jwt,
    )
    .await?;
    let now = state.clock.now().unix_timestamp();
    if let Some(r) = state.store.member_totp(pid, &m.member_id, now).await? {
        if r.verified {
            return Err(totp::active_totp_exists().into());
        }
    }
    let (reg, secret, codes) = new_registration(&state, pid, &m, minutes).await?;
    let id = reg.totp_registration_id;
    let uri = totp::otpauth_uri(&secret, &org.organization_name, &m.email_address);
    Ok(ok(CreateResponse {
        member_id: m.member_id.clone(),
        totp_registration_id: id,
        secret: secret.to_base32(),
        qr_code: crate::qr::png_data_url(&uri)?,
        recovery_codes: codes,
        member: member::render(&m, &org),
        organization: org,
    }))
}

/// `POST /v1/b2b/totp/authenticate`: checks the code (one step either way, each step once) and
/// exchanges the intermediate session (or steps up the session) for a full session with a
/// `totp` factor; `set_mfa_enrollment` and `set_default_mfa` update the member with it.
pub async fn authenticate(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<TotpAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let pid = project.project_id.as_str();
    let (org, m) = load(&state, &project, &req.organization_id, &req.member_id).await?;
    let code = required(req.code.as_deref(), "code")?;
    policy::require_mfa_method(&org, MfaMethod::Totp)?;
    let ctx = crate::mfa::context(
        &state,
        pid,
        &m,
        req.intermediate_session_token.as_deref(),
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
    )
    .await?;
    let mut stored = enrollment(
        &org,
        &m,
        req.set_mfa_enrollment.as_deref(),
        req.set_default_mfa,
    )?;
    let (reg, step) = check_code(&state, pid, &org, &m, code, ip).await?;
    let now = state.clock.now();
    stored.totp_registration_id = reg.totp_registration_id.clone();
    let second = crate::mfa::Second {
        existing: ctx.existing,
        intermediate: ctx.intermediate,
        member_changed: stored != m,
        member: &stored,
        org: &org,
        factor: session::factor("totp", "authenticator_app", &m, now),
        proof: SecondFactorProof::Totp {
            totp_registration_id: &reg.totp_registration_id,
            step,
        },
        spent: || totp::CodeRefused::Reused.to_api(),
        minutes: req.session_duration_minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let issued = crate::mfa::finish(&state, pid, second).await?;
    clear_attempts(&state, pid, &m).await?;
    Ok(ok(AuthenticateResponse {
        member_id: m.member_id.clone(),
        member: member::render(&stored, &org),
        organization: org,
        session_token: issued.session_token,
        session_jwt: issued.session_jwt,
        member_session: issued.member_session,
        member_device: None,
    }))
}

/// `POST /v1/b2b/totp/migrate`: imports a base32 secret (and recovery codes, minted when none
/// are given) as the member's verified TOTP, replacing any other.
pub async fn migrate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<TotpMigrateRequest>,
) -> ApiResult<MigrateResponse> {
    let pid = project.project_id.as_str();
    let (org, mut m) = load(&state, &project, &req.organization_id, &req.member_id).await?;
    let secret = totp::TotpSecret::from_base32(required(req.secret.as_deref(), "secret")?)?;
    let codes = match req.recovery_codes.as_deref() {
        None | Some([]) => recovery::generate(state.tokens.as_ref()),
        Some(given) => recovery::imported(given)?,
    };
    let id = make_id(
        "member-totp",
        Environment::of_project(pid),
        state.tokens.uuid(),
    );
    let mut reg = registration(&state, pid, &m, &id, &secret, true, 0)?;
    reg.expires_at = None;
    let sealed = seal_codes(&state, &id, &codes)?;
    m.totp_registration_id = id.clone();
    if !state.store.migrate_totp(&reg, &sealed, &m).await? {
        return Err(ApiError::member_not_found().into());
    }
    Ok(ok(MigrateResponse {
        member_id: m.member_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        totp_registration_id: id,
        recovery_codes: codes,
    }))
}

/// Creates and stores an unverified registration with fresh recovery codes (TOTP create, and
/// the hosted page's enrolment): the registration, its secret and the codes in the clear.
pub(crate) async fn new_registration(
    state: &AppState,
    pid: &str,
    m: &Member,
    minutes: i64,
) -> Result<(TotpRegistration, totp::TotpSecret, Vec<String>), ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    let secret = totp::TotpSecret::generate(state.tokens.as_ref());
    let id = make_id(
        "member-totp",
        Environment::of_project(pid),
        state.tokens.uuid(),
    );
    let codes = recovery::generate(state.tokens.as_ref());
    let reg = registration(state, pid, m, &id, &secret, false, now + minutes * 60)?;
    let sealed = seal_codes(state, &id, &codes)?;
    state.store.insert_totp_registration(&reg, &sealed).await?;
    Ok((reg, secret, codes))
}

/// Checks a code against the member's registration (counted first, audited): the
/// registration and the step it matched, not yet spent.
pub(crate) async fn check_code(
    state: &AppState,
    pid: &str,
    org: &Organization,
    m: &Member,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(TotpRegistration, i64), ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    let reg = state
        .store
        .member_totp(pid, &m.member_id, now)
        .await?
        .ok_or_else(totp::totp_not_found)?;
    count_attempt(state, pid, m).await?;
    let secret = open_secret(state, &reg)?;
    let checked = totp::verify(&secret, code, now, reg.last_used_step);
    crate::audit::mfa_login(state, pid, org, m, "totp", checked.is_ok(), ip).await;
    let step = checked.map_err(totp::CodeRefused::to_api)?;
    Ok((reg, step))
}

/// The organization (id, slug or external id) and its active member (id or external id).
pub(crate) async fn load(
    state: &AppState,
    project: &Project,
    org_key: &Option<String>,
    member_key: &Option<String>,
) -> Result<(Organization, Member), ApiFailure> {
    let org_key = required(org_key.as_deref(), "organization_id")?;
    let member_key = required(member_key.as_deref(), "member_id")?;
    let org = super::organizations::load(state, project, org_key).await?;
    let m = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(member_key),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    if !member::is_active(&m) {
        return Err(ApiError::bad_request(
            "action_available_only_for_active_members",
            "You may not attach an MFA factor to a member that is not active.",
        )
        .into());
    }
    Ok((org, m))
}

pub(crate) fn required<'a>(v: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field(field))
}

/// An `intermediate_session_token` or session passed to create must be live and the member's.
async fn check_context(
    state: &AppState,
    pid: &str,
    m: &Member,
    intermediate: Option<&str>,
    token: &Option<String>,
    jwt: &Option<String>,
) -> Result<(), ApiFailure> {
    crate::mfa::check_intermediate(state, pid, intermediate, m).await?;
    if let Some(cred) = Credential::one_of(token.as_deref(), jwt.as_deref())? {
        let loaded = crate::sessions::resolve(state, pid, cred).await?;
        if loaded.record.member_id != m.member_id {
            return Err(ApiError::bad_request(
                "session_member_mismatch",
                "The session belongs to a different member.",
            )
            .into());
        }
    }
    Ok(())
}

/// The member with `set_mfa_enrollment` (`enroll` / `unenroll`; ignored where the
/// organization requires MFA for all, as Stytch documents) and `set_default_mfa` applied.
fn enrollment(
    org: &Organization,
    m: &Member,
    set: Option<&str>,
    default: Option<bool>,
) -> Result<Member, ApiError> {
    let mut out = m.clone();
    match set.filter(|s| !s.is_empty()) {
        None => {}
        Some(_) if org.mfa_policy == "REQUIRED_FOR_ALL" => {}
        Some("enroll") => out.mfa_enrolled = true,
        Some("unenroll") => out.mfa_enrolled = false,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_set_mfa_enrollment",
                "set_mfa_enrollment must be enroll or unenroll.",
            ))
        }
    }
    if default == Some(true) {
        out.default_mfa_method = "totp".into();
    }
    Ok(out)
}

fn registration(
    state: &AppState,
    pid: &str,
    m: &Member,
    id: &str,
    secret: &totp::TotpSecret,
    verified: bool,
    expires_at: i64,
) -> Result<TotpRegistration, ApiFailure> {
    let mut nonce = [0u8; 12];
    state.tokens.fill(&mut nonce);
    let master = state.config.master_key.as_deref();
    let sealed =
        latchkey_core::jwt::seal_secret(master, SECRET_PURPOSE, id, secret.expose_secret(), nonce)
            .map_err(seal_failure)?;
    Ok(TotpRegistration {
        totp_registration_id: id.to_owned(),
        project_id: pid.to_owned(),
        organization_id: m.organization_id.clone(),
        member_id: m.member_id.clone(),
        sealed_secret: sealed,
        verified,
        last_used_step: -1,
        expires_at: Some(expires_at),
        created_at: state.clock.now().unix_timestamp(),
    })
}

/// Seals and hashes recovery codes for storage.
pub(crate) fn seal_codes(
    state: &AppState,
    registration_id: &str,
    codes: &[String],
) -> Result<Vec<NewRecoveryCode>, ApiFailure> {
    let master = state.config.master_key.as_deref();
    codes
        .iter()
        .map(|c| {
            let mut nonce = [0u8; 12];
            state.tokens.fill(&mut nonce);
            let sealed = latchkey_core::jwt::seal_secret(
                master,
                CODE_PURPOSE,
                registration_id,
                c.as_bytes(),
                nonce,
            )
            .map_err(seal_failure)?;
            Ok(NewRecoveryCode {
                code_hash: recovery::hash(c),
                sealed_code: sealed,
            })
        })
        .collect()
}

pub(crate) fn open_secret(
    state: &AppState,
    reg: &TotpRegistration,
) -> Result<totp::TotpSecret, ApiFailure> {
    let master = state.config.master_key.as_deref();
    let bytes = latchkey_core::jwt::open_secret(
        master,
        SECRET_PURPOSE,
        &reg.totp_registration_id,
        &reg.sealed_secret,
    )
    .map_err(seal_failure)?;
    Ok(totp::TotpSecret::from_bytes(bytes.to_vec()))
}

pub(crate) fn seal_failure(e: latchkey_core::jwt::JwtError) -> ApiFailure {
    tracing::error!(error = %e, "sealed MFA secret unusable (master key?)");
    ApiFailure(ApiError::internal())
}

/// Counts one second-factor attempt for the member before it is checked; past
/// [`totp::MAX_ATTEMPTS`] in the window: 429 `too_many_requests`.
pub(crate) async fn count_attempt(
    state: &AppState,
    pid: &str,
    m: &Member,
) -> Result<(), ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    let subject = FailureSubject::Mfa(&m.member_id);
    let n = state
        .store
        .record_password_failure(pid, subject, now, totp::ATTEMPT_WINDOW_SECS)
        .await?;
    if n > totp::MAX_ATTEMPTS {
        return Err(totp::too_many_attempts().into());
    }
    Ok(())
}

pub(crate) async fn clear_attempts(
    state: &AppState,
    pid: &str,
    m: &Member,
) -> Result<(), ApiFailure> {
    state
        .store
        .clear_password_failures(pid, FailureSubject::Mfa(&m.member_id))
        .await?;
    Ok(())
}
