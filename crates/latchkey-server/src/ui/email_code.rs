//! Email sign-in codes on the hosted page (issue 13 item 5): where the organization allows
//! `email_otp`, the login step offers "Email me a code"; the code step takes the six digits.
//! The same code as `otps/email/login_or_signup` and `otps/email/authenticate`
//! ([`crate::api::otps`]): the keyed hash, five attempts, one code per 30 s, and the
//! organization's rules checked before the code is spent. Where MFA is required the sign-in
//! goes on to the page's second-factor step, as after any primary factor (`login::logged_in`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::magic_link as ml;
use latchkey_core::organization::policy::{self, AuthMethod};
use latchkey_core::otp::{self, Channel};
use latchkey_core::session;
use latchkey_store::MemberLookup;
use latchkey_types::{Member, Organization};
use minijinja::context;
use serde::Deserialize;

use super::login::{form, logged_in, page, who};
use super::page::{respond, see_other, Fail, Page};
use super::paths;
use super::pending::{self, Pending};
use crate::api::otps;
use crate::state::AppState;

mod msg {
    pub const NOT_ALLOWED: &str = "This organization does not allow sign-in codes.";
    pub const TOO_SOON: &str = "We just sent a code. Wait half a minute before asking for another.";
    pub const WRONG: &str = "That code is not right, has expired or was replaced by a newer one.";
    pub const DEAD: &str = "Too many wrong codes. Send yourself a new one.";
}

/// The code step: where the code went, a field for it, and "send a new code".
pub fn code_page(
    state: &AppState,
    p: &Pending,
    email: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    Page::new(
        "email_code.html",
        "Enter your code",
        context! { email, minutes => otp::EMAIL_DEFAULT_MINUTES, csrf_token => &p.req.csrf_token, error },
    )
    .status(status)
    .form_target(&p.req.redirect_uri)
    .render(state)
}

/// The member the login steps reached, when the organization allows email codes.
async fn member(state: &AppState, p: &Pending) -> Result<Option<(Organization, Member)>, Fail> {
    let Some((email, org)) = who(state, p).await? else {
        return Ok(None);
    };
    let m = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?;
    Ok(m.map(|m| (org, m)))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /oauth2/authorize/email_code`: mails a code (and shows the code step).
pub async fn send(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, _) =
            form::<CsrfForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some((org, m)) = member(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        if !policy::allows(&org, AuthMethod::EmailOtp) {
            return page(&state, p, Some((StatusCode::FORBIDDEN, msg::NOT_ALLOWED))).await;
        }
        let key = format!("{}\n{}", p.project_id, m.email_address);
        let minutes = otp::EMAIL_DEFAULT_MINUTES;
        let sent = match state.email_sends.check(&key, state.clock.now()) {
            Ok(()) => otps::send_email_code(&state, &p.project_id, &org, &m, minutes).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = sent {
            if e.0.status != 429 {
                return Err(e.into());
            }
            return page(
                &state,
                p,
                Some((StatusCode::TOO_MANY_REQUESTS, msg::TOO_SOON)),
            )
            .await;
        }
        p.req.email_code_sent = true;
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

/// `POST /oauth2/authorize/email_code/verify`: a right code activates a pending or invited
/// member, signs them in (`email_otp` factor) and the request resumes.
pub async fn verify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, f) =
            form::<CodeForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some((org, mut m)) = member(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        let now = state.clock.now();
        let factor = session::factor("email_otp", "email", &m, now);
        if !policy::allows(&org, AuthMethod::EmailOtp) {
            return page(&state, p, Some((StatusCode::FORBIDDEN, msg::NOT_ALLOWED))).await;
        }
        let code = f.code.unwrap_or_default();
        let checked = otps::check(&state, &p.project_id, &m, Channel::Email, &code).await;
        let stored = match checked {
            Ok(s) if s.destination.eq_ignore_ascii_case(&m.email_address) => s,
            Ok(_) => return page(&state, p, Some((StatusCode::UNAUTHORIZED, msg::WRONG))).await,
            Err(e) if e.0.status == 429 => {
                p.req.email_code_sent = false;
                pending::save(&state, &p).await?;
                return page(&state, p, Some((StatusCode::TOO_MANY_REQUESTS, msg::DEAD))).await;
            }
            Err(e) if e.0.status == 401 => {
                return page(&state, p, Some((StatusCode::UNAUTHORIZED, msg::WRONG))).await
            }
            Err(e) => return Err(e.into()),
        };
        ml::activate(&mut m, now);
        otps::spend(&state, &stored, Some(&m)).await?;
        p.req.email_code_sent = false;
        logged_in(&state, &headers, p, &m, &org, factor).await
    }
    .await;
    respond(&state, r)
}
