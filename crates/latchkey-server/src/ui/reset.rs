//! "Forgot password?" on the hosted page (issue 13 item 5): from the password step, a form that
//! mails the member a reset link (the `passwords/email/reset/start` machinery: a single-use
//! `reset_password` token, PKCE-bound to this browser by a verifier kept in the pending
//! request), the link's page with a new-password form, and the reset itself
//! ([`crate::api::password_reset::reset_with_link`], the code of `passwords/email/reset`),
//! which ends the member's other sessions and signs them in (through the second-factor step
//! where MFA is required), so the same authorization request resumes and the relying party
//! gets its code. Every form carries the request's CSRF token.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use latchkey_core::organization::policy::{self, AuthMethod};
use latchkey_core::password::reset as pw_reset;
use latchkey_core::{member, ApiError};
use latchkey_store::MemberLookup;
use latchkey_types::PasswordInput;
use minijinja::context;
use serde::Deserialize;

use super::login::{bad_form, form, signed_in, who};
use super::page::{error_page, expired, respond, see_other, with_cookies, Fail, Page};
use super::paths;
use super::pending::{self, Pending};
use crate::api::password_reset::{reset_with_link, LinkReset};
use crate::api::password_reset_mail::{issue_reset_link, send_reset_mail};
use crate::client_address::ClientAddress;
use crate::state::AppState;

mod msg {
    pub const TOO_SOON: &str = "We just sent a link. Wait a moment before asking for another.";
    pub const SPENT: &str =
        "That reset link has expired or was already used. Ask for a new one below.";
    pub const OTHER_BROWSER_HEADING: &str = "Open this link where you started";
    pub const OTHER_BROWSER: &str = "This reset link only works in the browser where you asked \
                                     for it. Open it there, or go back to the app and start again.";
    pub const MFA: &str = "Your organization requires a second sign-in step, which this page \
                           does not support for password resets yet. Ask your administrator.";
}

/// The "forgot password" page: the email it would go to, and whether it was sent.
async fn forgot_page(
    state: &AppState,
    p: &Pending,
    message: Option<(StatusCode, &str)>,
) -> Result<Response, Fail> {
    let Some((email, org)) = who(state, p).await? else {
        return Ok(see_other(paths::CONTINUE));
    };
    let (status, error) = message.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    Ok(Page::new(
        "forgot_password.html",
        "Reset your password",
        context! {
            email,
            organization => context! { organization_name => &org.organization_name },
            sent => p.req.reset_sent,
            csrf_token => &p.req.csrf_token,
            error,
        },
    )
    .status(status)
    .form_target(&p.req.redirect_uri)
    .render(state))
}

/// `GET /oauth2/authorize/forgot_password`.
pub async fn forgot(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        let p = pending::load(&state, &headers)
            .await?
            .ok_or_else(|| Fail::Page(expired(&state)))?;
        forgot_page(&state, &p, None).await
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /oauth2/authorize/forgot_password`: mails a reset link that comes back to this request.
/// The answer is the same whether or not the member can reset (the organization list already
/// told the browser they are a member; this does not tell whether they have a password).
pub async fn send_link(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, _) =
            form::<CsrfForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let issuer = crate::issuer::issuer(&state, &headers).map_err(|u| u.page(&state))?;
        let Some((email, org)) = who(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        let m = state
            .store
            .get_member(&org.organization_id, MemberLookup::Email(&email))
            .await?
            .filter(member::is_active);
        // Nobody to reset: the same answer as a sent link.
        let Some(m) = m.filter(|_| policy::allows(&org, AuthMethod::Password)) else {
            p.req.reset_sent = true;
            pending::save(&state, &p).await?;
            return Ok(see_other(paths::FORGOT_PASSWORD));
        };
        let key = format!("{}\n{email}", p.project_id);
        if state.email_sends.check(&key, state.clock.now()).is_err() {
            let too_soon = Some((StatusCode::TOO_MANY_REQUESTS, msg::TOO_SOON));
            return forgot_page(&state, &p, too_soon).await;
        }
        let verifier = pending::random(&state);
        let challenge = PkceVerifier::parse(&verifier)
            .map(|v| PkceChallenge::s256_of(&v))
            .map_err(|e| ApiError::bad_request(e.error_type(), e.to_string()))?;
        let redirect = url::Url::parse(&format!("{issuer}{}", paths::RESET_PASSWORD))
            .map_err(|_| ApiError::internal())?;
        let pid = p.project_id.clone();
        let minutes = pw_reset::DEFAULT_MINUTES;
        let link = issue_reset_link(&state, &pid, &m, &redirect, Some(challenge), minutes).await?;
        send_reset_mail(&state, &pid, &org, &m.email_address, link).await?;
        p.req.reset_verifier = Some(verifier);
        p.req.reset_sent = true;
        pending::save(&state, &p).await?;
        Ok(see_other(paths::FORGOT_PASSWORD))
    }
    .await;
    respond(&state, r)
}

/// The pending request of the browser that asked for the link (else an error page).
async fn asking_browser(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Pending, PkceVerifier), Fail> {
    let other_browser = || {
        Fail::Page(error_page(
            state,
            StatusCode::BAD_REQUEST,
            msg::OTHER_BROWSER_HEADING,
            msg::OTHER_BROWSER,
            None,
        ))
    };
    let p = pending::load(state, headers)
        .await?
        .ok_or_else(other_browser)?;
    let verifier = p.req.reset_verifier.as_deref().ok_or_else(other_browser)?;
    let verifier = PkceVerifier::parse(verifier).map_err(|_| other_browser())?;
    Ok((p, verifier))
}

fn reset_page(
    state: &AppState,
    p: &Pending,
    token: &str,
    error: Option<(StatusCode, &str)>,
) -> Response {
    let (status, error) = error.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    Page::new(
        "reset_password.html",
        "Choose a new password",
        context! { email => &p.req.email, token, csrf_token => &p.req.csrf_token, error },
    )
    .status(status)
    .form_target(&p.req.redirect_uri)
    .render(state)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /oauth2/authorize/reset_password?token=…`: the link from the mail, in the browser that
/// asked for it: the new-password form (the token goes into the form, not the pending request).
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let r = async {
        let (p, _) = asking_browser(&state, &headers).await?;
        let token = q.token.unwrap_or_default();
        Ok(reset_page(&state, &p, &token, None))
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf_token: Option<String>,
    token: Option<String>,
    password: Option<String>,
}

/// `POST /oauth2/authorize/reset_password`: sets the new password with the link's token and
/// this browser's verifier, signs the member in and resumes the authorization request.
pub async fn reset(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (mut p, verifier) = asking_browser(&state, &headers).await?;
        let f: ResetForm =
            serde_urlencoded::from_bytes(&body).map_err(|_| Fail::Page(bad_form(&state)))?;
        if !p.csrf_ok(f.csrf_token.as_deref()) {
            return Err(Fail::Page(bad_form(&state)));
        }
        let token = f.token.unwrap_or_default();
        let claims = None;
        let reset = LinkReset {
            token: &token,
            verifier: Some(verifier),
            password: PasswordInput::new(f.password.unwrap_or_default()),
            cred: None,
            intermediate: None,
            minutes: None,
            claims: &claims,
            ip,
        };
        let done = match reset_with_link(&state, &p.project_id, reset).await {
            Ok(done) => done.1,
            Err(e) => return refused(&state, p, &token, e).await,
        };
        p.req.email = Some(done.member.email_address.clone());
        p.req.organization_id = Some(done.organization_id.clone());
        p.req.reset_verifier = None;
        p.req.reset_sent = false;
        // Where MFA is required the reset answers with an intermediate session, which the
        // page's second-factor step (`ui::mfa`) completes, as after any primary factor.
        let answer = done.answer;
        if !answer.member_authenticated {
            p.req.mfa_intermediate = Some(answer.intermediate_session_token);
            pending::save(&state, &p).await?;
            return Ok(see_other(paths::CONTINUE));
        }
        let cookie = signed_in(&state, &headers, &mut p, &answer.session_token).await?;
        Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]))
    }
    .await;
    respond(&state, r)
}

/// A reset the API refused, as the page shows it: a weak password is asked again on the same
/// link (which was not spent); a spent or expired link sends back to "forgot password".
async fn refused(
    state: &AppState,
    mut p: Pending,
    token: &str,
    e: crate::envelope::ApiFailure,
) -> Result<Response, Fail> {
    match &*e.0.error_type {
        "weak_password" => {
            let message = format!("Choose a stronger password. {}", e.0.message);
            Ok(reset_page(
                state,
                &p,
                token,
                Some((StatusCode::BAD_REQUEST, &message)),
            ))
        }
        "mfa_required" => Ok(reset_page(
            state,
            &p,
            token,
            Some((StatusCode::FORBIDDEN, msg::MFA)),
        )),
        s if s.starts_with("unable_to_auth")
            || s.ends_with("not_found")
            || s.starts_with("pkce")
            || s.contains("pkce") =>
        {
            p.req.reset_sent = false;
            pending::save(state, &p).await?;
            forgot_page(state, &p, Some((StatusCode::BAD_REQUEST, msg::SPENT))).await
        }
        _ => Err(Fail::Api(e)),
    }
}
