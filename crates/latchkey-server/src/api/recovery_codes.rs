//! B2B recovery codes (https://stytch.com/docs/b2b/api/get-recovery-codes, `rotate`,
//! `recover`; issue 13 item 2): the ten codes of a member's verified TOTP registration. A code
//! is looked up by its SHA-256 hash and spent once inside the transaction that starts the
//! session (`Store::complete_mfa`), so of two concurrent uses exactly one succeeds; `get`
//! shows the unused ones, unsealed with the master key.

use axum::extract::{Path, State};
use latchkey_core::mfa::{recovery, totp};
use latchkey_core::organization::policy::{self, MfaMethod};
use latchkey_core::{member, session};
use latchkey_store::SecondFactorProof;
use latchkey_types::{
    Member, MemberSession, Organization, RecoverRequest, RotateRecoveryCodesRequest,
};
use serde::Serialize;
use serde_json::Value;

use super::auth::Project;
use super::totp::{
    clear_attempts, count_attempt, load, required, seal_codes, seal_failure, CODE_PURPOSE,
};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// `api_b2b_recovery_codes_v1_GetResponse` and `RotateResponse`.
#[derive(Serialize)]
pub struct CodesResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
    pub recovery_codes: Vec<String>,
}

/// `api_b2b_recovery_codes_v1_RecoverResponse`.
#[derive(Serialize)]
pub struct RecoverResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
    pub session_token: String,
    pub session_jwt: String,
    pub recovery_codes_remaining: usize,
    pub member_session: MemberSession,
    pub member_device: Option<Value>,
}

/// `GET /v1/b2b/recovery_codes/{organization_id}/{member_id}`: the unused codes.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path((org_key, member_key)): Path<(String, String)>,
) -> ApiResult<CodesResponse> {
    let (org, m) = load(&state, &project, &Some(org_key), &Some(member_key)).await?;
    let pid = project.project_id.as_str();
    let now = state.clock.now().unix_timestamp();
    let verified = state.store.member_totp(pid, &m.member_id, now).await?;
    if !verified.is_some_and(|r| r.verified) {
        return Err(totp::totp_not_found().into());
    }
    let codes = unsealed_codes(&state, pid, &m.member_id).await?;
    Ok(ok(CodesResponse {
        member_id: m.member_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        recovery_codes: codes,
    }))
}

/// The member's unused recovery codes in the clear (unsealed with the master key).
pub(crate) async fn unsealed_codes(
    state: &AppState,
    pid: &str,
    member_id: &str,
) -> Result<Vec<String>, ApiFailure> {
    let master = state.config.master_key.as_deref();
    state
        .store
        .recovery_codes(pid, member_id)
        .await?
        .into_iter()
        .map(|c| {
            let plain = latchkey_core::jwt::open_secret(
                master,
                CODE_PURPOSE,
                &c.totp_registration_id,
                &c.sealed_code,
            )
            .map_err(seal_failure)?;
            Ok(String::from_utf8_lossy(&plain).into_owned())
        })
        .collect()
}

/// `POST /v1/b2b/recovery_codes/rotate`: ten new codes; the old ones stop working.
pub async fn rotate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<RotateRecoveryCodesRequest>,
) -> ApiResult<CodesResponse> {
    let (org, m) = load(&state, &project, &req.organization_id, &req.member_id).await?;
    let pid = project.project_id.as_str();
    let now = state.clock.now().unix_timestamp();
    let reg = state
        .store
        .member_totp(pid, &m.member_id, now)
        .await?
        .filter(|r| r.verified)
        .ok_or_else(totp::totp_not_found)?;
    let codes = recovery::generate(state.tokens.as_ref());
    let sealed = seal_codes(&state, &reg.totp_registration_id, &codes)?;
    if !state.store.rotate_recovery_codes(&reg, &sealed).await? {
        return Err(totp::totp_not_found().into());
    }
    Ok(ok(CodesResponse {
        member_id: m.member_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        recovery_codes: codes,
    }))
}

/// `POST /v1/b2b/recovery_codes/recover`: spends one code and completes MFA with a
/// `recovery_codes` factor (it stands in for the TOTP, so `mfa_methods` must allow `totp`).
pub async fn recover(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<RecoverRequest>,
) -> ApiResult<RecoverResponse> {
    let pid = project.project_id.as_str();
    let (org, m) = load(&state, &project, &req.organization_id, &req.member_id).await?;
    let code = required(req.recovery_code.as_deref(), "recovery_code")?;
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
    count_attempt(&state, pid, &m).await?;
    let hash = recovery::hash(code);
    let second = crate::mfa::Second {
        existing: ctx.existing,
        intermediate: ctx.intermediate,
        member: &m,
        member_changed: false,
        org: &org,
        factor: session::factor("recovery_codes", "recovery_code", &m, state.clock.now()),
        proof: SecondFactorProof::RecoveryCode {
            member_id: &m.member_id,
            code_hash: &hash,
        },
        spent: recovery::refused,
        minutes: req.session_duration_minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let finished = crate::mfa::finish(&state, pid, second).await;
    let right = !matches!(&finished, Err(f) if f.0.error_type == "unauthorized_credentials");
    crate::audit::mfa_login(&state, pid, &org, &m, "recovery_codes", right, ip).await;
    let issued = finished?;
    clear_attempts(&state, pid, &m).await?;
    let remaining = state.store.recovery_codes(pid, &m.member_id).await?.len();
    Ok(ok(RecoverResponse {
        member_id: m.member_id.clone(),
        member: member::render(&m, &org),
        organization: org,
        session_token: issued.session_token,
        session_jwt: issued.session_jwt,
        recovery_codes_remaining: remaining,
        member_session: issued.member_session,
        member_device: None,
    }))
}
