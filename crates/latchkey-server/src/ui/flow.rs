//! Where a pending request stands and what comes next: with a member session, the consent page
//! or (when the rules skip consent) the code straight away; without one, a login step
//! ([`super::login`]). Both decisions go through [`crate::api::idp::prepare`] and
//! [`crate::api::idp::authorize`], the same functions as Stytch's authorize Start / Submit.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::{
    redirect_uri_matches, ClientType, Interaction, Next, OAuthError, OAuthErrorCode,
};
use minijinja::context;
use serde::Deserialize;

use super::authorize::error_redirect;
use super::page::{error_page, expired, respond, see_other, with_cookies, Fail, Page};
use super::pending::{self, Pending};
use super::{cookies, login};
use crate::api::idp::{self, Prepared};
use crate::client_address::ClientAddress;
use crate::envelope::ApiFailure;
use crate::state::AppState;
use latchkey_core::oauth::agent_policy::PathRefusal;
use std::net::IpAddr;

/// `GET /oauth2/authorize/continue`: the current step of the browser's pending request.
pub async fn resume(
    State(state): State<AppState>,
    ClientAddress(addr): ClientAddress,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let p = pending::load(&state, &headers)
            .await?
            .ok_or_else(|| Fail::Page(expired(&state)))?;
        step(&state, &headers, p, addr).await
    }
    .await;
    respond(&state, r)
}

/// With a live member session that satisfies the request: consent or completion. Without
/// one: the login step, or under `prompt=none` an error for the client (OIDC Core §3.1.2.6).
/// [`Interaction::next`] decides.
pub async fn step(
    state: &AppState,
    headers: &HeaderMap,
    p: Pending,
    addr: Option<IpAddr>,
) -> Result<Response, Fail> {
    let secure = cookies::secure(state, headers);
    let interaction = p.req.interaction();
    let name = cookies::session(&p.project_id);
    let Some(token) = cookies::get(headers, &name) else {
        return login_step(state, headers, p, &interaction, None).await;
    };
    let req = p.authorize_request(&token, None);
    match idp::prepare_via(state, &p.project_id, &req, p.via(), addr).await {
        Ok(prep) => {
            let now = state.clock.now().unix_timestamp();
            let fresh = interaction.session_fresh(prep.auth_time, now, p.req.logged_in_here);
            match interaction.next(fresh, prep.decision.consent_required()) {
                Ok(Next::Consent) => Ok(consent_page(state, &p, &prep)),
                Ok(Next::Complete) => complete(state, headers, &p, &token, true, addr).await,
                // Signing in again: the email step, prefilled with the member's address.
                Ok(Next::Login) => {
                    let email = prep.member.email_address.clone();
                    login_step(state, headers, p, &interaction, Some(email)).await
                }
                Err(e) => fail_to_client(state, headers, &p, &e).await,
            }
        }
        Err(f) if is_session_failure(&f) => {
            let res = login_step(state, headers, p, &interaction, None).await?;
            let clear = cookies::clear(&name, cookies::SESSION_PATH, secure);
            Ok(with_cookies(res, &[clear]))
        }
        // Waiting for an admin: the member is told so here, the client is not answered yet.
        Err(f) if f.0.error_type == PathRefusal::ApprovalPending.error_type() => {
            pending::finish(state, &p).await?;
            Err(Fail::Page(error_page(
                state,
                StatusCode::FORBIDDEN,
                "Waiting for approval",
                &f.0.message,
                None,
            )))
        }
        Err(f) => fail_to_client(state, headers, &p, &oauth_error_of(&f)).await,
    }
}

/// The login steps, unless the client asked for no interaction.
async fn login_step(
    state: &AppState,
    headers: &HeaderMap,
    mut p: Pending,
    interaction: &Interaction,
    email: Option<String>,
) -> Result<Response, Fail> {
    if let Err(e) = interaction.next(false, false) {
        return fail_to_client(state, headers, &p, &e).await;
    }
    if p.req.login_hint.is_none() {
        p.req.login_hint = email;
    }
    login::page(state, p, None).await
}

/// Failures that mean "sign in again": the session is gone, or it lacks the second factor its
/// organization now requires (`mfa_required`, issue 13 item 4).
fn is_session_failure(f: &ApiFailure) -> bool {
    matches!(
        &*f.0.error_type,
        "session_not_found" | "member_not_found" | "organization_not_found" | "mfa_required"
    )
}

/// The OAuth error a failed Start / Submit becomes in the redirect (RFC 6749 §4.1.2.1).
pub fn oauth_error_of(f: &ApiFailure) -> OAuthError {
    let e = &f.0;
    let code = match &*e.error_type {
        "connected_app_not_allowed_for_org"
        | "connected_app_approval_pending"
        | "connected_app_approval_denied"
        | "member_not_active" => OAuthErrorCode::AccessDenied,
        "oauth_unsupported_response_type" => OAuthErrorCode::UnsupportedResponseType,
        "invalid_target" => OAuthErrorCode::InvalidTarget,
        t if t.contains("scope") || t == "third_party_clients_cannot_use_full_access" => {
            OAuthErrorCode::InvalidScope
        }
        _ if e.status >= 500 => OAuthErrorCode::ServerError,
        _ => OAuthErrorCode::InvalidRequest,
    };
    OAuthError::new(code, e.message.clone())
}

/// Ends the request with an error redirect to the client (or a page, should its redirect URI
/// have been unregistered meanwhile).
pub async fn fail_to_client(
    state: &AppState,
    headers: &HeaderMap,
    p: &Pending,
    e: &OAuthError,
) -> Result<Response, Fail> {
    pending::finish(state, p).await?;
    if let Some(hash) = &p.req.device {
        // RFC 8628 §3.5: the device's next poll reads `access_denied`; the member reads why.
        state.store.deny_device(hash).await?;
        return Err(Fail::Page(super::device::refused(state, &e.description)));
    }
    let secure = cookies::secure(state, headers);
    let clear = cookies::clear(cookies::PENDING, cookies::PENDING_PATH, secure);
    let app = state
        .store
        .get_connected_app(&p.project_id, &p.req.client_id)
        .await?;
    let Some(redirect) =
        app.and_then(|a| redirect_uri_matches(&a.redirect_urls, &p.req.redirect_uri))
    else {
        return Err(Fail::Page(expired(state)));
    };
    let issuer = crate::issuer::issuer(state, headers).map_err(|u| u.page(state))?;
    let res = error_redirect(&redirect, e, p.req.state.as_deref(), &issuer);
    Ok(with_cookies(res, &[clear]))
}

/// Ends the request with Submit's decision: a code or `access_denied`, back to the client.
async fn complete(
    state: &AppState,
    headers: &HeaderMap,
    p: &Pending,
    token: &str,
    consent: bool,
    addr: Option<IpAddr>,
) -> Result<Response, Fail> {
    let issuer = crate::issuer::issuer(state, headers).map_err(|u| u.page(state))?;
    let req = p.authorize_request(token, Some(consent));
    // End the request first: of two submissions of one form, only one acts.
    if !pending::finish(state, p).await? {
        return Err(Fail::Page(expired(state)));
    }
    if let Some(hash) = &p.req.device {
        return super::device::decided(state, headers, p, &req, hash, addr).await;
    }
    let out = match idp::authorize(state, &p.project_id, &req, &issuer, addr).await {
        Ok(out) => out,
        Err(f) => return fail_to_client(state, headers, p, &oauth_error_of(&f)).await,
    };
    let secure = cookies::secure(state, headers);
    let clear = cookies::clear(cookies::PENDING, cookies::PENDING_PATH, secure);
    Ok(with_cookies(see_other(&out.redirect_uri), &[clear]))
}

fn client_kind(client_type: ClientType) -> &'static str {
    if client_type.is_first_party() {
        "First-party app"
    } else {
        "Third-party app"
    }
}

/// The app as the templates show it.
pub fn app_view(app: &latchkey_types::ConnectedApp) -> minijinja::Value {
    let kind = ClientType::parse(&app.client_type)
        .map(client_kind)
        .unwrap_or("App");
    context! {
        client_name => &app.client_name,
        client_description => &app.client_description,
        logo_url => app.logo_url.as_deref().filter(|u| u.starts_with("https://")),
        kind,
    }
}

fn consent_page(state: &AppState, p: &Pending, prep: &Prepared) -> Response {
    // Which resource server each scope goes to (RFC 8707), by name.
    let name_of = |url: &String| {
        prep.targets
            .iter()
            .find(|t| &t.url == url)
            .map_or_else(|| url.clone(), |t| t.name.clone())
    };
    let view = |r: &&latchkey_core::oauth::ScopeResult| {
        let at: Vec<String> = r.resources.iter().map(name_of).collect();
        context! { scope => r.scope.as_str(), description => &r.description, resources => at }
    };
    let resources: Vec<_> = prep
        .targets
        .iter()
        .map(|t| context! { name => &t.name, url => &t.url })
        .collect();
    let grantable: Vec<_> = prep
        .scope_results
        .iter()
        .filter(|r| r.is_grantable)
        .map(|r| view(&r))
        .collect();
    let not_grantable: Vec<_> = prep
        .scope_results
        .iter()
        .filter(|r| !r.is_grantable)
        .map(|r| view(&r))
        .collect();
    let redirect_host = url::Url::parse(&p.req.redirect_uri)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(str::to_string)
                .or_else(|| Some(u.scheme().to_string()))
        })
        .unwrap_or_default();
    Page::new(
        "consent.html",
        "Allow access",
        context! {
            app => app_view(&prep.app),
            organization => context! { organization_name => &prep.org.organization_name },
            email => &prep.member.email_address,
            grantable,
            not_grantable,
            resources,
            redirect_host,
            device => p.req.device.is_some(),
            provenance => super::provenance::view(&prep.app),
            csrf_token => &p.req.csrf_token,
        },
    )
    .form_target(&p.req.redirect_uri)
    .render(state)
}

#[derive(Deserialize)]
struct ConsentForm {
    csrf_token: Option<String>,
    decision: Option<String>,
}

/// `POST /oauth2/authorize/consent`: Allow or Deny.
pub async fn consent(
    State(state): State<AppState>,
    ClientAddress(addr): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let (p, form) =
            login::form::<ConsentForm>(&state, &headers, &body, |f| f.csrf_token.as_deref())
                .await?;
        let granted = match form.decision.as_deref() {
            Some("allow") => true,
            Some("deny") => false,
            _ => {
                return Err(Fail::Page(error_page(
                    &state,
                    StatusCode::BAD_REQUEST,
                    "Choose Allow or Deny",
                    "The form did not say whether to allow access. Go back and choose one.",
                    None,
                )))
            }
        };
        let Some(token) = cookies::get(&headers, &cookies::session(&p.project_id)) else {
            return Ok(see_other(super::paths::CONTINUE));
        };
        complete(&state, &headers, &p, &token, granted, addr).await
    }
    .await;
    respond(&state, r)
}
