//! The login steps of the hosted page: email, then the organizations that email belongs to
//! (skipped when there is one), then password or a magic link mailed back into this request.
//! A successful login starts a member session ([`crate::sessions::start_or_extend`]) whose
//! token goes into an `HttpOnly` cookie, and the request resumes.
//!
//! Rate limits: password attempts go through the same member lockout and per-address throttle
//! as `passwords/authenticate`; magic link mails through the one-per-second-per-address limit.
//! Which organizations an email belongs to is shown before any factor is checked (that is the
//! design asked for in issue 5): the list reveals membership to whoever types the email.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::magic_link::{self as ml, LinkKind, SendDecision};
use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use latchkey_core::organization::policy::{self, AuthMethod};
use latchkey_core::{session, validate};
use latchkey_store::MemberLookup;
use latchkey_types::{Member, Organization, PasswordInput};
use minijinja::context;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::flow::app_view;
use super::page::{expired, respond, see_other, with_cookies, Fail, Page};
use super::pending::{self, Pending};
use super::{cookies, paths};
use crate::api::auth::Project;
use crate::api::magic_links;
use crate::api::password_failure::PasswordFailure;
use crate::client_address::ClientAddress;
use crate::sessions::{self as live, Credential};
use crate::state::AppState;

/// Parses a posted form and loads the pending request it belongs to, checking its CSRF token.
pub async fn form<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    csrf: impl Fn(&T) -> Option<&str>,
) -> Result<(Pending, T), Fail> {
    let p = pending::load(state, headers)
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    let form: T = serde_urlencoded::from_bytes(body).map_err(|_| Fail::Page(bad_form(state)))?;
    if !p.csrf_ok(csrf(&form)) {
        return Err(Fail::Page(bad_form(state)));
    }
    Ok((p, form))
}

/// The pages' longer messages, kept here so that rustfmt formats the functions using them
/// (it silently skips a block holding a literal longer than the line width).
mod msg {
    pub const WRONG_PASSWORD: &str =
        "That password is not right. Try again, or get a sign-in link by email.";
    pub const LOCKED: &str = "Too many wrong passwords: this account is locked for a while. \
                              Get a sign-in link by email instead.";
    pub const THROTTLED: &str =
        "Too many attempts from your network. Wait a few minutes and try again.";
    pub const NO_PASSWORDS: &str = "This organization does not allow passwords.";
    pub const OTHER_BROWSER_HEADING: &str = "Open this link where you started";
    pub const OTHER_BROWSER: &str = "This sign-in link only works in the browser where you \
                                     asked for it. Open it there, or go back to the app and \
                                     start again.";
    /// `passwords/email/require_reset` marked the member's password.
    pub const RESET_REQUIRED: &str = "Your password must be reset before you can sign in with it. \
        Ask for a reset link, or sign in another way.";
    pub const NO_LINKS: &str = "This organization does not allow sign-in links.";
    pub const LINK_SPENT: &str =
        "That sign-in link has expired or was already used. Send yourself a new one.";
    pub const FORM_EXPIRED: &str = "The page was open too long or came from somewhere else. \
                                    Go back to the app and start again.";
    pub const NO_ACCOUNT: &str = "Check the address, or ask your administrator for an invitation.";
}

pub(crate) fn bad_form(state: &AppState) -> Response {
    super::page::error_page(
        state,
        StatusCode::FORBIDDEN,
        "This form has expired",
        msg::FORM_EXPIRED,
        None,
    )
}

/// The login step the request is at, with an optional message about the last attempt.
pub async fn page(
    state: &AppState,
    mut p: Pending,
    error: Option<(StatusCode, &str)>,
) -> Result<Response, Fail> {
    let app = state
        .store
        .get_connected_app(&p.project_id, &p.req.client_id)
        .await?
        .ok_or_else(|| Fail::Page(expired(state)))?;
    if p.req.mfa_intermediate.is_some() {
        return super::mfa::page(state, p, &app, error).await;
    }
    let (status, message) = error.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let base = context! {
        app => app_view(&app),
        csrf_token => &p.req.csrf_token,
        error => message,
    };
    let Some(email) = p.req.email.clone() else {
        return Ok(Page::new(
            "email.html",
            "Sign in",
            context! { email => p.req.login_hint.as_deref().unwrap_or(""), ..base },
        )
        .status(status)
        .form_target(&p.req.redirect_uri)
        .render(state));
    };
    let org = match p.req.organization_id.clone() {
        Some(id) => state.store.get_organization(&p.project_id, &id).await?,
        None => None,
    };
    let Some(org) = org else {
        let orgs = organizations_of(state, &p.project_id, &email).await?;
        if let [only] = orgs.as_slice() {
            p.req.organization_id = Some(only.organization_id.clone());
            pending::save(state, &p).await?;
            return Box::pin(page(state, p, error)).await;
        }
        if orgs.is_empty() {
            let msg = format!(
                "We could not find an account for {email}. {}",
                msg::NO_ACCOUNT
            );
            return Ok(Page::new(
                "email.html",
                "Sign in",
                context! { email, error => msg, ..base },
            )
            .status(StatusCode::NOT_FOUND)
            .form_target(&p.req.redirect_uri)
            .render(state));
        }
        let organizations: Vec<_> = orgs
            .iter()
            .map(|o| context! {
                organization_id => &o.organization_id,
                organization_name => &o.organization_name,
                organization_slug => &o.organization_slug,
                logo_url => Some(o.organization_logo_url.as_str()).filter(|u| u.starts_with("https://")),
            })
            .collect();
        return Ok(Page::new(
            "organization.html",
            "Choose an organization",
            context! { email, organizations, ..base },
        )
        .status(status)
        .form_target(&p.req.redirect_uri)
        .render(state));
    };
    if p.req.email_code_sent {
        return Ok(super::email_code::code_page(
            state, &p, &email, status, message,
        ));
    }
    if p.req.magic_link_sent {
        return Ok(Page::new(
            "check_email.html",
            "Check your email",
            context! { email, minutes => ml::DEFAULT_LOGIN_MINUTES, ..base },
        )
        .status(status)
        .form_target(&p.req.redirect_uri)
        .render(state));
    }
    let (password_allowed, magic_link_allowed) = methods(&org);
    let email_code_allowed = policy::allows(&org, AuthMethod::EmailOtp);
    Ok(Page::new(
        "login.html",
        "Sign in",
        context! {
            email,
            organization => context! { organization_name => &org.organization_name },
            password_allowed,
            magic_link_allowed,
            email_code_allowed,
            ..base
        },
    )
    .status(status)
    .form_target(&p.req.redirect_uri)
    .render(state))
}

/// `(password, magic link)` allowed by the organization's `auth_methods` (the one rule the API
/// applies too: [`policy::allows`]).
fn methods(org: &Organization) -> (bool, bool) {
    (
        policy::allows(org, AuthMethod::Password),
        policy::allows(org, AuthMethod::MagicLink),
    )
}

/// The organizations in which `email` is a member that can log in (active, invited or pending).
async fn organizations_of(
    state: &AppState,
    project_id: &str,
    email: &str,
) -> Result<Vec<Organization>, Fail> {
    let ids: Vec<String> = state
        .store
        .members_by_email(project_id, email)
        .await?
        .into_iter()
        .filter(|m| matches!(m.status.as_str(), "active" | "invited" | "pending"))
        .map(|m| m.organization_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut orgs = state.store.get_organizations(project_id, &ids).await?;
    orgs.sort_by(|a, b| {
        a.organization_name
            .to_lowercase()
            .cmp(&b.organization_name.to_lowercase())
    });
    Ok(orgs)
}

#[derive(Deserialize)]
pub struct EmailForm {
    csrf_token: Option<String>,
    email_address: Option<String>,
}

/// `POST /oauth2/authorize/email`.
pub async fn email(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, f) =
            form::<EmailForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Ok(email) = validate::email(f.email_address.as_deref().unwrap_or_default()) else {
            return page(
                &state,
                p,
                Some((
                    StatusCode::BAD_REQUEST,
                    "Enter your work email address, like name@company.com.",
                )),
            )
            .await;
        };
        p.req.email = Some(email);
        p.req.organization_id = None;
        p.req.magic_link_sent = false;
        p.req.magic_link_verifier = None;
        p.req.reset_verifier = None;
        p.req.reset_sent = false;
        p.req.email_code_sent = false;
        p.req.mfa_sms_sent = false;
        pending::save(&state, &p).await?;
        Ok(see_other(paths::CONTINUE))
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct OrganizationForm {
    csrf_token: Option<String>,
    organization_id: Option<String>,
}

/// `POST /oauth2/authorize/organization`: one of the email's organizations.
pub async fn organization(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (mut p, f) =
            form::<OrganizationForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some(email) = p.req.email.clone() else {
            return Ok(see_other(paths::CONTINUE));
        };
        let orgs = organizations_of(&state, &p.project_id, &email).await?;
        let chosen = f.organization_id.unwrap_or_default();
        if !orgs.iter().any(|o| o.organization_id == chosen) {
            return page(
                &state,
                p,
                Some((
                    StatusCode::BAD_REQUEST,
                    "Choose one of the organizations listed.",
                )),
            )
            .await;
        }
        p.req.organization_id = Some(chosen);
        pending::save(&state, &p).await?;
        Ok(see_other(paths::CONTINUE))
    }
    .await;
    respond(&state, r)
}

/// The email and organization the login steps reached (else back to the current step).
pub(crate) async fn who(
    state: &AppState,
    p: &Pending,
) -> Result<Option<(String, Organization)>, Fail> {
    let (Some(email), Some(org_id)) = (p.req.email.clone(), p.req.organization_id.as_deref())
    else {
        return Ok(None);
    };
    let org = state.store.get_organization(&p.project_id, org_id).await?;
    Ok(org.map(|o| (email, o)))
}

/// A primary factor succeeded: the member's session starts and its cookie is set, or, where the
/// organization requires MFA (`crate::mfa::primary_login`), the request keeps the intermediate
/// session and moves to the second-factor step (`ui::mfa`). Either way the request resumes.
pub(crate) async fn logged_in(
    state: &AppState,
    headers: &HeaderMap,
    mut p: Pending,
    m: &Member,
    org: &Organization,
    factor: latchkey_types::AuthenticationFactor,
) -> Result<Response, Fail> {
    let primary = crate::mfa::Primary {
        existing: None,
        intermediate: None,
        member: m,
        org,
        factor,
        minutes: None,
        custom_claims: None,
    };
    let answer = crate::mfa::primary_login(state, &p.project_id, primary).await?;
    if !answer.member_authenticated {
        p.req.mfa_intermediate = Some(answer.intermediate_session_token);
        pending::save(state, &p).await?;
        return Ok(see_other(paths::CONTINUE));
    }
    let cookie = signed_in(state, headers, &mut p, &answer.session_token).await?;
    Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]))
}

/// The member is signed in with `session_token`: a session the browser held before (another
/// member, or one too old for `max_age` / `prompt=login`) ends, the request is marked signed in
/// here, and the cookie to set is returned.
pub(super) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    p: &mut Pending,
    session_token: &str,
) -> Result<String, Fail> {
    end_session(state, headers, &p.project_id).await?;
    p.req.logged_in_here = true;
    p.req.mfa_intermediate = None;
    pending::save(state, p).await?;
    let secure = cookies::secure(state, headers);
    Ok(cookies::set(
        &cookies::session(&p.project_id),
        session_token,
        cookies::SESSION_PATH,
        None,
        secure,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf_token: Option<String>,
    password: Option<String>,
}

/// `POST /oauth2/authorize/password`.
pub async fn password(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (p, f) =
            form::<PasswordForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        let Some((email, org)) = who(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        let pw = PasswordInput::new(f.password.unwrap_or_default());
        let checked =
            crate::api::passwords::check_password(&state, &p.project_id, ip, &org, &email, pw)
                .await;
        crate::metrics::password_login("hosted", &checked);
        match checked {
            Ok(m) => {
                let factor = session::factor("password", "knowledge", &m, state.clock.now());
                logged_in(&state, &headers, p, &m, &org, factor).await
            }
            Err(f) => {
                let (status, message) = match f {
                    PasswordFailure::Credentials => (StatusCode::UNAUTHORIZED, msg::WRONG_PASSWORD),
                    PasswordFailure::Locked => (StatusCode::TOO_MANY_REQUESTS, msg::LOCKED),
                    PasswordFailure::Throttled(_) => {
                        (StatusCode::TOO_MANY_REQUESTS, msg::THROTTLED)
                    }
                    PasswordFailure::MethodNotAllowed(_) => {
                        (StatusCode::FORBIDDEN, msg::NO_PASSWORDS)
                    }
                    PasswordFailure::ResetRequired => (StatusCode::FORBIDDEN, msg::RESET_REQUIRED),
                    PasswordFailure::Internal(f) => return Err(f.into()),
                };
                page(&state, p, Some((status, message))).await
            }
        }
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /oauth2/authorize/magic_link`: mails a login link that comes back to this request; the
/// link is bound to this browser by a PKCE verifier kept in the pending request.
pub async fn send_magic_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (mut p, _) =
            form::<CsrfForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        // The link's origin: refused before anything is decided or sent (review #1).
        let issuer = crate::issuer::issuer(&state, &headers).map_err(|u| u.page(&state))?;
        let Some((email, org)) = who(&state, &p).await? else {
            return Ok(see_other(paths::CONTINUE));
        };
        if !methods(&org).1 {
            return page(
                &state,
                p,
                Some((
                    StatusCode::FORBIDDEN,
                    "This organization does not allow sign-in links.",
                )),
            )
            .await;
        }
        let m = state
            .store
            .get_member(&org.organization_id, MemberLookup::Email(&email))
            .await?
            .ok_or_else(|| Fail::Page(expired(&state)))?;
        let kind = match ml::login_or_signup(&org, Some(&m), &email)? {
            SendDecision::Login => LinkKind::Login,
            _ => LinkKind::Signup,
        };
        let key = format!("{}\n{email}", p.project_id);
        if state.email_sends.check(&key, state.clock.now()).is_err() {
            return page(
                &state,
                p,
                Some((
                    StatusCode::TOO_MANY_REQUESTS,
                    "We just sent a link. Wait a moment before asking for another.",
                )),
            )
            .await;
        }
        let verifier = pending::random(&state);
        let challenge = PkceVerifier::parse(&verifier)
            .map(|v| PkceChallenge::s256_of(&v))
            .map_err(|e| latchkey_core::ApiError::bad_request(e.error_type(), e.to_string()))?;
        let redirect = url::Url::parse(&format!("{issuer}{}", paths::MAGIC_LINK))
            .map_err(|_| latchkey_core::ApiError::internal())?;
        let project = Project {
            project_id: p.project_id.clone(),
        };
        let link = magic_links::issue_link(
            &state,
            &project,
            &m,
            kind,
            &redirect,
            Some(challenge),
            ml::DEFAULT_LOGIN_MINUTES,
        )
        .await?;
        magic_links::send_mail(&state, &project, &org, &m.email_address, kind, link).await?;
        p.req.magic_link_verifier = Some(verifier);
        p.req.magic_link_sent = true;
        pending::save(&state, &p).await?;
        Ok(see_other(paths::CONTINUE))
    }
    .await;
    respond(&state, r)
}

#[derive(Deserialize)]
pub struct MagicLinkQuery {
    token: Option<String>,
}

/// `GET /oauth2/authorize/magic_link?token=…`: the link from the mail. It works only in the
/// browser that asked for it (the pending request holds the PKCE verifier).
pub async fn magic_link_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(ip): ClientAddress,
    Query(q): Query<MagicLinkQuery>,
) -> Response {
    let r = async {
        let other_browser = || {
            Fail::Page(super::page::error_page(
                &state,
                StatusCode::BAD_REQUEST,
                msg::OTHER_BROWSER_HEADING,
                msg::OTHER_BROWSER,
                None,
            ))
        };
        let mut p = pending::load(&state, &headers)
            .await?
            .ok_or_else(other_browser)?;
        let verifier = p
            .req
            .magic_link_verifier
            .as_deref()
            .ok_or_else(other_browser)?;
        let verifier = PkceVerifier::parse(verifier).map_err(|_| other_browser())?;
        let token = q.token.unwrap_or_default();
        let now = state.clock.now();
        let redeemed =
            magic_links::redeem(&state, &p.project_id, &token, Some(verifier), None, now).await;
        crate::metrics::magic_link_login("hosted", &redeemed);
        crate::audit::magic_link_login(&state, &p.project_id, &redeemed, ip).await;
        let record = match redeemed {
            Ok((record, _)) => record,
            Err(f) => {
                p.req.magic_link_sent = false;
                pending::save(&state, &p).await?;
                // The organization's rules (issue 9 #5, #6) refuse before the link is used up.
                let refusal = match &*f.0.error_type {
                    "unauthorized_auth_method" => (StatusCode::FORBIDDEN, msg::NO_LINKS),
                    _ => (StatusCode::BAD_REQUEST, msg::LINK_SPENT),
                };
                return page(&state, p, Some(refusal)).await;
            }
        };
        let (org, m) = magic_links::activate_member(&state, &p.project_id, &record, now).await?;
        p.req.email = Some(m.email_address.clone());
        p.req.organization_id = Some(org.organization_id.clone());
        p.req.magic_link_verifier = None;
        p.req.reset_verifier = None;
        p.req.reset_sent = false;
        p.req.email_code_sent = false;
        p.req.mfa_sms_sent = false;
        p.req.magic_link_sent = false;
        pending::save(&state, &p).await?;
        let factor = session::factor("magic_link", "email", &m, now);
        logged_in(&state, &headers, p, &m, &org, factor).await
    }
    .await;
    respond(&state, r)
}

/// `POST /oauth2/authorize/restart`: "use a different email" / "not you?": ends the member
/// session and goes back to the email step.
pub async fn restart(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let (mut p, _) =
            form::<CsrfForm>(&state, &headers, &body, |f| f.csrf_token.as_deref()).await?;
        end_session(&state, &headers, &p.project_id).await?;
        p.req.email = None;
        p.req.organization_id = None;
        p.req.magic_link_sent = false;
        p.req.magic_link_verifier = None;
        p.req.reset_verifier = None;
        p.req.reset_sent = false;
        p.req.email_code_sent = false;
        p.req.mfa_sms_sent = false;
        p.req.mfa_intermediate = None;
        pending::save(&state, &p).await?;
        // Only this project's cookie: another project's session is not this flow's (review #18).
        let secure = cookies::secure(&state, &headers);
        let name = cookies::session(&p.project_id);
        let clear = cookies::clear(&name, cookies::SESSION_PATH, secure);
        Ok(with_cookies(see_other(paths::CONTINUE), &[clear]))
    }
    .await;
    respond(&state, r)
}

/// The session named by the browser's cookie, if it is live in `project_id`.
pub async fn browser_session(
    state: &AppState,
    headers: &HeaderMap,
    project_id: &str,
) -> Option<latchkey_core::session::SessionRecord> {
    let token = cookies::get(headers, &cookies::session(project_id))?;
    live::resolve(state, project_id, Credential::Token(&token))
        .await
        .ok()
        .map(|s| s.record)
}

/// Revokes the session named by the browser's cookie, if it is live in `project_id`.
pub async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    project_id: &str,
) -> Result<(), Fail> {
    if let Some(s) = browser_session(state, headers, project_id).await {
        state
            .store
            .delete_session(project_id, &s.member_session_id)
            .await?;
    }
    Ok(())
}
