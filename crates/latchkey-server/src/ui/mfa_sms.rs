//! The SMS code of the hosted page's second-factor step (issue 13 item 5, on `ui::mfa`): where
//! the organization allows `sms_otp` and the member has an `mfa_phone_number`, "Text me a code"
//! sends one (the API's code: keyed hash, 2 minutes, 5 attempts, one per 30 s, the configured
//! SMS sender) and the code exchanges the request's intermediate session for a session
//! ([`crate::mfa::finish`]), verifying the phone and, under `REQUIRED_FOR_ALL`, enrolling the
//! member, as `otps/sms/authenticate` does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::organization::policy::{self, MfaMethod};
use latchkey_core::otp::{self, Channel};
use latchkey_store::{MemberLookup, SecondFactorProof};
use latchkey_types::{Member, Organization};
use minijinja::context;
use serde::Deserialize;

use super::login::{form, page, signed_in, who};
use super::page::{expired, respond, see_other, with_cookies, Fail};
use super::paths;
use super::pending::{self, Pending};
use crate::api::otps::{check, issue, spend, NewCode};
use crate::envelope::ApiFailure;
use crate::sms::Sms;
use crate::state::AppState;

mod msg {
    pub const WRONG: &str = "That code is not right, has expired or was replaced by a newer one.";
    pub const TOO_MANY: &str = "Too many wrong codes, or a code was just sent. Wait half a minute \
                                and ask for a new one.";
    pub const TOO_SLOW: &str =
        "The sign-in took too long (over 10 minutes). Sign in again from the start.";
}

/// What `mfa.html` shows of the SMS step: allowed, sent, and the number's last digits.
pub fn view(p: &Pending, org: &Organization, m: &Member) -> minijinja::Value {
    let phone = &m.mfa_phone_number;
    let allowed = !phone.is_empty() && policy::allows_mfa(org, MfaMethod::SmsOtp);
    let tail: String = phone
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    context! { allowed, sent => p.req.mfa_sms_sent, phone_hint => format!("•••• {tail}") }
}

/// The request's intermediate session, organization and member, when the SMS step applies.
async fn step(
    state: &AppState,
    p: &Pending,
) -> Result<Option<(String, Organization, Member)>, Fail> {
    let Some(ist) = p.req.mfa_intermediate.clone() else {
        return Ok(None);
    };
    let (email, org) = who(state, p)
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    let m = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    policy::require_mfa_method(&org, MfaMethod::SmsOtp)?;
    if m.mfa_phone_number.is_empty() {
        return Ok(None);
    }
    Ok(Some((ist, org, m)))
}

/// A refused send or code: the step again with a message; a spent or expired intermediate
/// session sends the member back to the start.
async fn refused(state: &AppState, mut p: Pending, e: ApiFailure) -> Result<Response, Fail> {
    let (status, message) = match (e.0.status, &*e.0.error_type) {
        (_, "intermediate_session_not_found") => {
            p.req.mfa_intermediate = None;
            p.req.mfa_sms_sent = false;
            pending::save(state, &p).await?;
            (StatusCode::BAD_REQUEST, msg::TOO_SLOW)
        }
        (429, _) => (StatusCode::TOO_MANY_REQUESTS, msg::TOO_MANY),
        (401, _) => (StatusCode::UNAUTHORIZED, msg::WRONG),
        _ => return Err(Fail::Api(e)),
    };
    page(state, p, Some((status, message))).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /oauth2/authorize/sms`: texts a code to the member's number.
pub async fn send(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, _) =
            form::<CsrfForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some((ist, _, m)) = step(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        let pid = p.project_id.clone();
        if let Err(e) = crate::mfa::load(&state, &pid, &ist, &m).await {
            return refused(&state, p, e).await;
        }
        let new = NewCode {
            member: &m,
            channel: Channel::Sms,
            destination: &m.mfa_phone_number,
            lifetime_secs: otp::SMS_LIFETIME_SECS,
            member_update: None,
        };
        let (code, code_id) = match issue(&state, &pid, new).await {
            Ok(issued) => issued,
            Err(e) => return refused(&state, p, e).await,
        };
        let text = otp::sms_body(&state.config.branding.product_name, &code);
        let sms = Sms {
            project_id: pid,
            to: m.mfa_phone_number.clone(),
            body: text,
        };
        let now = state.clock.now().unix_timestamp();
        state
            .sms
            .send(state.store.as_ref(), sms, &code_id, now)
            .await?;
        p.req.mfa_sms_sent = true;
        pending::save(&state, &p).await?;
        Ok(see_other(paths::CONTINUE))
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf_token: Option<String>,
    code: Option<String>,
}

/// `POST /oauth2/authorize/sms/verify`: the code completes the second factor.
pub async fn verify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, f) =
            form::<CodeForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some((ist, org, m)) = step(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        let pid = p.project_id.clone();
        if let Err(e) = crate::mfa::load(&state, &pid, &ist, &m).await {
            return refused(&state, p, e).await;
        }
        let code = f.code.unwrap_or_default();
        let stored = match check(&state, &pid, &m, Channel::Sms, &code).await {
            Ok(s) if s.destination == m.mfa_phone_number => s,
            Ok(_) => return refused(&state, p, otp::Refusal::NotFound.to_api().into()).await,
            Err(e) => return refused(&state, p, e).await,
        };
        let mut changed = m.clone();
        changed.mfa_phone_number_verified = true;
        if org.mfa_policy == "REQUIRED_FOR_ALL" {
            changed.mfa_enrolled = true;
        }
        spend(&state, &stored, None).await?;
        let second = crate::mfa::Second {
            existing: None,
            intermediate: Some(&ist),
            member: &changed,
            member_changed: changed != m,
            org: &org,
            factor: otp::sms_factor(&m, &stored.destination, state.clock.now()),
            proof: SecondFactorProof::AlreadySpent,
            spent: || otp::Refusal::AlreadyUsed.to_api(),
            minutes: None,
            custom_claims: None,
        };
        let issued = match crate::mfa::finish(&state, &pid, second).await {
            Ok(i) => i,
            Err(e) => return refused(&state, p, e).await,
        };
        p.req.mfa_sms_sent = false;
        let cookie = signed_in(&state, &headers, &mut p, &issued.session_token).await?;
        Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]))
    }
    .await;
    respond(&state, r)
}
