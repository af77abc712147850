//! `/oauth2/logout`: OpenID Connect RP-Initiated Logout 1.0. `post_logout_redirect_uri` must be
//! one of the client's registered `post_logout_redirect_urls` (the client named by `client_id`
//! or by the `aud` of `id_token_hint`), else an error page: never an open redirect. With an
//! `id_token_hint` this server signed for the member and organization of the browser's session,
//! the member is signed out at once; otherwise the member confirms on a page whose form carries
//! a double-submit CSRF token. §2 leaves the prompt to the OP and has it check that the hint's
//! subject is the End-User's: any ID token of the client would otherwise let a third party sign
//! the browser out without asking (logout CSRF, security review #9).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use latchkey_core::jwt::{self, Expectations};
use latchkey_types::ConnectedApp;
use minijinja::context;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::page::{error_page, respond, see_other, with_cookies, Fail, Page};
use super::{cookies, login, pending};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LogoutParams {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    csrf_token: Option<String>,
}

/// What the request names: its client and where to go afterwards.
struct Target {
    app: Option<(String, ConnectedApp)>,
    redirect: Option<url::Url>,
    hint_verified: bool,
}

/// `GET /oauth2/logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LogoutParams>,
) -> Response {
    let r = async {
        let t = target(&state, &headers, &q).await?;
        if t.hint_verified {
            return sign_out(&state, &headers, &t).await;
        }
        let token = pending::random(&state);
        let secure = cookies::secure(&state, &headers);
        let cookie = cookies::set(
            cookies::LOGOUT_CSRF,
            &token,
            cookies::LOGOUT_PATH,
            Some(600),
            secure,
        );
        let mut page = Page::new(
            "logout.html",
            "Sign out",
            context! {
                app_name => t.app.as_ref().map(|(_, a)| a.client_name.clone()),
                client_id => t.app.as_ref().map(|(_, a)| a.client_id.clone()),
                post_logout_redirect_uri => q.post_logout_redirect_uri.as_deref(),
                state => q.state.as_deref(),
                csrf_token => token,
            },
        );
        if let Some(u) = &q.post_logout_redirect_uri {
            page = page.form_target(u);
        }
        Ok(with_cookies(page.render(&state), &[cookie]))
    }
    .await;
    respond(&state, r)
}

/// `POST /oauth2/logout`: the confirmation form.
pub async fn confirm(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = async {
        let q: LogoutParams = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let expected = cookies::get(&headers, cookies::LOGOUT_CSRF).unwrap_or_default();
        let given = q.csrf_token.clone().unwrap_or_default();
        if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(Fail::Page(error_page(
                &state,
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back to the app and sign out again.",
                None,
            )));
        }
        // The hint is not re-sent by the form; the redirect is checked against the client again.
        let q = LogoutParams {
            id_token_hint: None,
            ..q
        };
        let t = target(&state, &headers, &q).await?;
        sign_out(&state, &headers, &t).await
    }
    .await;
    respond(&state, r)
}

fn invalid(state: &AppState, message: &str) -> Fail {
    Fail::Page(error_page(
        state,
        StatusCode::BAD_REQUEST,
        "This sign-out link is not valid",
        message,
        None,
    ))
}

async fn target(state: &AppState, headers: &HeaderMap, q: &LogoutParams) -> Result<Target, Fail> {
    let hint = q.id_token_hint.as_deref().filter(|h| !h.is_empty());
    let hint_aud = hint.and_then(unverified_audience);
    let client_id = match (
        q.client_id.as_deref().filter(|c| !c.is_empty()),
        hint_aud.as_deref(),
    ) {
        (Some(c), Some(a)) if c != a => {
            return Err(invalid(
                state,
                "The client_id does not match the id_token_hint.",
            ))
        }
        (Some(c), _) => Some(c.to_string()),
        (None, a) => a.map(str::to_string),
    };
    let app = match &client_id {
        Some(c) => match crate::oauth::cimd::find(state, c, None)
            .await
            .map_err(|e| match e {
                crate::oauth::cimd::CimdError::Refused(why) => invalid(state, &why),
                crate::oauth::cimd::CimdError::Store(e) => e.into(),
            })? {
            Some((cr, a)) => Some((cr.project_id, a)),
            None => {
                return Err(invalid(
                    state,
                    "The app that sent you here is not registered.",
                ))
            }
        },
        None => None,
    };
    let redirect = match q
        .post_logout_redirect_uri
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(u) => {
            let registered = app
                .as_ref()
                .is_some_and(|(_, a)| a.post_logout_redirect_urls.iter().any(|r| r == u));
            if !registered {
                return Err(invalid(state, "The app asked to send you to an address it has not registered for sign-out, so we stopped here."));
            }
            let mut url = url::Url::parse(u)
                .map_err(|_| invalid(state, "The sign-out address is not a URL."))?;
            if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
                url.query_pairs_mut().append_pair("state", s);
            }
            Some(url)
        }
    };
    let hint_verified = match (hint, &app) {
        (Some(h), Some((pid, a))) => {
            match verify_hint(state, headers, pid, &a.client_id, h).await {
                Some(claims) => hint_names_browser_session(state, headers, pid, &claims).await,
                None => false,
            }
        }
        _ => false,
    };
    Ok(Target {
        app,
        redirect,
        hint_verified,
    })
}

/// The `aud` of a JWT, read without verifying it (only to find the client to verify it with).
fn unverified_audience(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match v.get("aud")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

/// The claims of an ID token this issuer signed for this client; expired ones count (§2: the
/// hint may be old).
async fn verify_hint(
    state: &AppState,
    headers: &HeaderMap,
    pid: &str,
    client_id: &str,
    hint: &str,
) -> Option<serde_json::Value> {
    let now = state.clock.now().unix_timestamp();
    // No trusted issuer, no verified hint: the confirmation page is shown instead.
    let issuer = crate::issuer::issuer(state, headers).ok()?;
    let keys = state
        .keys
        .verifying_set(pid, now, state.tokens.as_ref())
        .await
        .ok()?;
    let expect = Expectations::new([issuer], client_id).with_leeway(30);
    jwt::verify_jwt_allow_expired(hint, &keys, now, &expect).ok()
}

/// Whether a verified hint names the browser's session: its `sub` is the session's member and
/// its organization claim the session's organization. With no live session in the browser
/// there is nothing to end, so the hint may go straight on to the redirect.
async fn hint_names_browser_session(
    state: &AppState,
    headers: &HeaderMap,
    pid: &str,
    claims: &serde_json::Value,
) -> bool {
    let Some(session) = login::browser_session(state, headers, pid).await else {
        return true;
    };
    let sub = claims.get("sub").and_then(serde_json::Value::as_str);
    let org = claims
        .get("https://stytch.com/organization")
        .and_then(|o| o.get("organization_id"))
        .and_then(serde_json::Value::as_str);
    sub == Some(session.member_id.as_str()) && org == Some(session.organization_id.as_str())
}

/// Ends the member session, clears its cookie, and goes to the client or the signed-out page.
async fn sign_out(state: &AppState, headers: &HeaderMap, t: &Target) -> Result<Response, Fail> {
    let project = match &t.app {
        Some((pid, _)) => Some(pid.clone()),
        None => crate::state::default_project(state).await.ok(),
    };
    let secure = cookies::secure(state, headers);
    let mut clear = vec![cookies::clear(
        cookies::LOGOUT_CSRF,
        cookies::LOGOUT_PATH,
        secure,
    )];
    if let Some(pid) = project {
        login::end_session(state, headers, &pid).await?;
        let name = cookies::session(&pid);
        clear.push(cookies::clear(&name, cookies::SESSION_PATH, secure));
    }
    let res = match &t.redirect {
        Some(u) => see_other(u.as_str()),
        None => Page::new("signed_out.html", "Signed out", context! {}).render(state),
    };
    Ok(with_cookies(res, &clear))
}
