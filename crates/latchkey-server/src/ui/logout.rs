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
use latchkey_types::ConnectedApp;
use minijinja::context;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::page::{error_page, respond, see_other, with_cookies, Fail, Page};
use super::{cookies, login, pending};
use crate::oauth::logout::{self as shared, LogoutFailure, LogoutRequest};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LogoutParams {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    csrf_token: Option<String>,
}

/// What the request names: its client and where to go afterwards, and whether the member may
/// be signed out without confirming.
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

/// The request's client and redirect (`crate::oauth::logout`), and whether the member of the
/// browser's session must confirm (`latchkey_core::oauth::logout::confirmation_required`).
async fn target(state: &AppState, headers: &HeaderMap, q: &LogoutParams) -> Result<Target, Fail> {
    let req = LogoutRequest {
        id_token_hint: q.id_token_hint.as_deref(),
        client_id: q.client_id.as_deref(),
        post_logout_redirect_uri: q.post_logout_redirect_uri.as_deref(),
        state: q.state.as_deref(),
    };
    let t = shared::target(state, headers, req, None)
        .await
        .map_err(|e| match e {
            LogoutFailure::Refused(r) => invalid(state, r.message()),
            LogoutFailure::Api(a) => Fail::Api(a),
        })?;
    let session = match &t.app {
        Some((pid, _)) => login::browser_session(state, headers, pid).await,
        None => None,
    };
    let confirm = t.confirmation_required(session.as_ref());
    Ok(Target {
        hint_verified: !confirm,
        app: t.app,
        redirect: t.redirect,
    })
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
