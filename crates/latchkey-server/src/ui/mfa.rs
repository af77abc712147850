//! The hosted page's second-factor step (issue 13 item 5): after a primary factor where the
//! organization requires MFA, the pending request holds an intermediate session
//! (`PendingRequest::mfa_intermediate`) and the page asks for a TOTP code or a recovery code;
//! a member without a TOTP enrols one (QR code and the key in text, then a confirming code, then
//! the recovery codes, shown once). The checks and the exchange are the API's
//! (`api::totp::check_code`, `crate::mfa::finish`), so the page and the SDKs cannot disagree.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::mfa::{recovery, totp};
use latchkey_core::organization::policy::{self, MfaMethod};
use latchkey_core::session;
use latchkey_store::{MemberLookup, SecondFactorProof};
use latchkey_types::{ConnectedApp, Member, Organization};
use minijinja::context;
use serde::Deserialize;

use super::flow::app_view;
use super::login::{form, signed_in, who};
use super::page::{expired, respond, see_other, with_cookies, Fail, Page};
use super::paths;
use super::pending::{self, Pending};
use crate::api::{recovery_codes, totp as api_totp};
use crate::client_address::ClientAddress;
use crate::envelope::ApiFailure;
use crate::state::AppState;

mod msg {
    pub const WRONG_CODE: &str = "That code is not right, or was already used. Try the next one.";
    pub const WRONG_RECOVERY: &str = "That recovery code is not right, or was already used.";
    pub const TOO_MANY: &str = "Too many wrong codes. Wait a few minutes and try again.";
    pub const TOO_SLOW: &str =
        "The sign-in took too long (over 10 minutes). Sign in again from the start.";
}

/// The step's page: the code form, or the enrolment (creating the registration on first show).
pub async fn page(
    state: &AppState,
    p: Pending,
    app: &ConnectedApp,
    error: Option<(StatusCode, &str)>,
) -> Result<Response, Fail> {
    let (status, message) = error.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let (org, m) = member(state, &p).await?;
    let totp_allowed = policy::allows_mfa(&org, MfaMethod::Totp);
    let now = state.clock.now().unix_timestamp();
    let reg = state
        .store
        .member_totp(&p.project_id, &m.member_id, now)
        .await?;
    let enrolling = !reg.as_ref().is_some_and(|r| r.verified);
    let (mut qr_code, mut secret) = (String::new(), String::new());
    if enrolling && totp_allowed {
        let s = match reg {
            Some(r) => api_totp::open_secret(state, &r)?,
            None => {
                let minutes = totp::DEFAULT_EXPIRATION_MINUTES;
                api_totp::new_registration(state, &p.project_id, &m, minutes)
                    .await?
                    .1
            }
        };
        let uri = totp::otpauth_uri(&s, &org.organization_name, &m.email_address);
        qr_code = crate::qr::png_data_url(&uri)?;
        secret = s.to_base32();
    }
    Ok(Page::new(
        "mfa.html",
        "Second sign-in step",
        context! {
            app => app_view(app),
            csrf_token => &p.req.csrf_token,
            error => message,
            email => &m.email_address,
            organization_name => &org.organization_name,
            totp_allowed,
            enrolling,
            qr_code,
            secret,
            // Issue 13 item 5: the SMS code step (`ui::mfa_sms`).
            sms => super::mfa_sms::view(&p, &org, &m),
        },
    )
    .status(status)
    .form_target(&p.req.redirect_uri)
    .render(state))
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf_token: Option<String>,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// `POST /oauth2/authorize/totp`: a TOTP code (or the enrolment's confirming code).
pub async fn totp_code(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (p, f) = form::<CodeForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some(ist) = p.req.mfa_intermediate.clone() else {
            return Ok(see_other(paths::CONTINUE));
        };
        let (org, m) = member(&state, &p).await?;
        let pid = p.project_id.clone();
        let now = state.clock.now().unix_timestamp();
        let enrolling = !state
            .store
            .member_totp(&pid, &m.member_id, now)
            .await?
            .is_some_and(|r| r.verified);
        let code = f.code.unwrap_or_default();
        let (reg, step) = match api_totp::check_code(&state, &pid, &org, &m, &code, ip).await {
            Ok(checked) => checked,
            Err(e) => return refused(&state, p, e, msg::WRONG_CODE).await,
        };
        let mut stored = m.clone();
        stored.totp_registration_id = reg.totp_registration_id.clone();
        let proof = SecondFactorProof::Totp {
            totp_registration_id: &reg.totp_registration_id,
            step,
        };
        let factor = session::factor("totp", "authenticator_app", &m, state.clock.now());
        let spent = || totp::CodeRefused::Reused.to_api();
        let changed = stored != m;
        let done = exchange(
            &state, &pid, &ist, &org, &stored, changed, factor, proof, spent,
        )
        .await;
        let token = match done {
            Ok(t) => t,
            Err(e) => return refused(&state, p, e, msg::WRONG_CODE).await,
        };
        let codes = match enrolling {
            true => recovery_codes::unsealed_codes(&state, &pid, &m.member_id).await?,
            false => vec![],
        };
        finish_page(&state, &headers, p, &token, codes).await
    }
    .await;
    respond(&state, r)
}

/// `POST /oauth2/authorize/recovery_code`: a recovery code instead of the TOTP.
pub async fn recovery_code(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (p, f) = form::<CodeForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some(ist) = p.req.mfa_intermediate.clone() else {
            return Ok(see_other(paths::CONTINUE));
        };
        let (org, m) = member(&state, &p).await?;
        if let Err(e) = check_recovery_allowed(&state, &p, &org, &m).await {
            return refused(&state, p, e, msg::WRONG_RECOVERY).await;
        }
        let hash = recovery::hash(&f.recovery_code.unwrap_or_default());
        let proof = SecondFactorProof::RecoveryCode {
            member_id: &m.member_id,
            code_hash: &hash,
        };
        let factor = session::factor("recovery_codes", "recovery_code", &m, state.clock.now());
        let pid = p.project_id.clone();
        let done = exchange(
            &state,
            &pid,
            &ist,
            &org,
            &m,
            false,
            factor,
            proof,
            recovery::refused,
        )
        .await;
        let ok = done.is_ok();
        crate::audit::mfa_login(&state, &p.project_id, &org, &m, "recovery_codes", ok, ip).await;
        match done {
            Ok(token) => finish_page(&state, &headers, p, &token, vec![]).await,
            Err(e) => refused(&state, p, e, msg::WRONG_RECOVERY).await,
        }
    }
    .await;
    respond(&state, r)
}

/// The organization allows TOTP (recovery codes stand in for it), and the attempt is counted.
async fn check_recovery_allowed(
    state: &AppState,
    p: &Pending,
    org: &Organization,
    m: &Member,
) -> Result<(), ApiFailure> {
    policy::require_mfa_method(org, MfaMethod::Totp)?;
    api_totp::count_attempt(state, &p.project_id, m).await
}

/// Exchanges the request's intermediate session for a session; returns its token.
#[expect(
    clippy::too_many_arguments,
    reason = "one step of a handler, given what the handler loaded"
)]
async fn exchange(
    state: &AppState,
    pid: &str,
    ist: &str,
    org: &Organization,
    member: &Member,
    member_changed: bool,
    factor: latchkey_types::AuthenticationFactor,
    proof: SecondFactorProof<'_>,
    spent: fn() -> latchkey_core::ApiError,
) -> Result<String, ApiFailure> {
    let second = crate::mfa::Second {
        existing: None,
        intermediate: Some(ist),
        member,
        member_changed,
        org,
        factor,
        proof,
        spent,
        minutes: None,
        custom_claims: None,
    };
    let issued = crate::mfa::finish(state, pid, second).await?;
    api_totp::clear_attempts(state, pid, member).await?;
    Ok(issued.session_token)
}

/// Signed in: the cookie is set, then the recovery codes (once, after an enrolment) or the
/// request resumes.
async fn finish_page(
    state: &AppState,
    headers: &HeaderMap,
    mut p: Pending,
    token: &str,
    codes: Vec<String>,
) -> Result<Response, Fail> {
    let cookie = signed_in(state, headers, &mut p, token).await?;
    if codes.is_empty() {
        return Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]));
    }
    let app = state
        .store
        .get_connected_app(&p.project_id, &p.req.client_id)
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    let page = Page::new(
        "recovery_codes.html",
        "Save your recovery codes",
        context! { app => app_view(&app), recovery_codes => codes },
    )
    .form_target(&p.req.redirect_uri)
    .render(state);
    Ok(with_cookies(page, &[cookie]))
}

/// A refused code: the step again with a message; a spent or expired intermediate session
/// sends the member back to the start.
async fn refused(
    state: &AppState,
    mut p: Pending,
    e: ApiFailure,
    wrong: &'static str,
) -> Result<Response, Fail> {
    let (status, message) = match &*e.0.error_type {
        "intermediate_session_not_found" => {
            p.req.mfa_intermediate = None;
            pending::save(state, &p).await?;
            (StatusCode::BAD_REQUEST, msg::TOO_SLOW)
        }
        "too_many_requests" => (StatusCode::TOO_MANY_REQUESTS, msg::TOO_MANY),
        "otp_code_not_found" | "unauthorized_credentials" | "totp_not_found" => {
            (StatusCode::UNAUTHORIZED, wrong)
        }
        "unauthorized_mfa_method" => (StatusCode::FORBIDDEN, wrong),
        _ => return Err(Fail::Api(e)),
    };
    super::login::page(state, p, Some((status, message))).await
}

/// The request's organization and member (the primary factor named them).
async fn member(state: &AppState, p: &Pending) -> Result<(Organization, Member), Fail> {
    let (email, org) = who(state, p)
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    let m = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    Ok((org, m))
}
