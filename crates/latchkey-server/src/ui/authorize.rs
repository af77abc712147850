//! `GET /oauth2/authorize` (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1, RFC 7636, RFC 8707, RFC 9207):
//! checks the request, then keeps it server-side and sends the browser on to the login or
//! consent step. A problem with `client_id` or `redirect_uri` is shown on an error page and
//! never redirected (RFC 6749 §4.1.2.1); every other problem goes back to the client as an
//! error redirect carrying `state` and `iss`.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::{
    require_challenge, AuthorizeError, ClientType, Interaction, MatchedRedirect, OAuthError,
    PkceChallenge, PkceMethod, Prompt, ResponseType, ScopeSet,
};

use super::page::{error_page, respond, see_other, with_cookies, Fail};
use super::pending::{self, PendingRequest};
use super::{cookies, paths};
use crate::state::AppState;

/// Parameters that may appear at most once (RFC 6749 §3.1). `resource` may repeat (RFC 8707).
const SINGLE: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
];

pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let r = start(&state, &headers, query.as_deref().unwrap_or("")).await;
    respond(&state, r)
}

async fn start(state: &AppState, headers: &HeaderMap, query: &str) -> Result<Response, Fail> {
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let one = |name: &str| -> Option<&str> {
        params
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let repeated = |name: &str| params.get(name).is_some_and(|v| v.len() > 1);
    let bad = |heading: &str, message: &str| {
        Fail::Page(error_page(
            state,
            StatusCode::BAD_REQUEST,
            heading,
            message,
            None,
        ))
    };

    // 1. The client and its redirect URI: failures here are shown, never redirected.
    let client_id = match one("client_id") {
        Some(c) if !repeated("client_id") => c,
        _ => return Err(bad("This link is not valid", "The app that sent you here did not identify itself (client_id is missing or repeated). Go back to the app and try again.")),
    };
    let unknown = || {
        bad("Unknown app", "The app that sent you here is not registered. Go back to the app and try again, or contact its developer.")
    };
    let (creds, app) = match crate::oauth::cimd::find(state, client_id, None).await {
        Ok(found) => found.ok_or_else(unknown)?,
        // A metadata document that cannot be used: shown with its reason, never redirected.
        Err(crate::oauth::cimd::CimdError::Refused(why)) => {
            return Err(Fail::Page(error_page(
                state,
                StatusCode::BAD_REQUEST,
                "This app cannot be used",
                "The app that sent you here identifies itself with a client metadata document that this server could not use. Go back to the app and try again, or contact its developer.",
                Some(&why),
            )))
        }
        Err(crate::oauth::cimd::CimdError::Store(e)) => return Err(e.into()),
    };
    let redirect = match one("redirect_uri") {
        Some(u) if !repeated("redirect_uri") => {
            crate::oauth::registration_settings::match_redirect(&app, u)
        }
        _ => None,
    }
    .ok_or_else(|| bad("This link is not valid", "The app asked to send you back to an address it has not registered (redirect_uri), so we stopped here to keep you safe. Contact the app's developer."))?;

    // 2. Everything else goes back to the client.
    let issuer = crate::issuer::issuer(state, headers).map_err(|u| u.page(state))?;
    // Echoed exactly as sent, even empty (RFC 6749 §4.1.2), so not through `one`.
    let st = params
        .get("state")
        .and_then(|v| v.first())
        .map(String::as_str)
        .filter(|_| !repeated("state"));
    let back = |e: OAuthError| Fail::Page(error_redirect(&redirect, &e, st, &issuer));
    if let Some(name) = SINGLE.iter().find(|n| repeated(n)) {
        return Err(back(OAuthError::invalid_request(format!(
            "the {name} parameter is repeated"
        ))));
    }
    let req = check(&params, creds.client_type, &redirect).map_err(back)?;
    // An unregistered resource is refused now, before any login (RFC 8707 §2).
    crate::api::resources::authorization_targets(state, &creds.project_id, &req.resources)
        .await
        .map_err(|f| back(super::flow::oauth_error_of(&f)))?;
    let mut req = PendingRequest {
        state: st.map(str::to_string),
        ..req
    };
    if req.scopes.is_empty() {
        // RFC 6749 §3.3: no `scope` means the documented default, never `invalid_scope`.
        req.scopes =
            crate::oauth::registration_settings::default_scopes_for(state, &creds.project_id, &app)
                .await?;
    }
    let id = pending::create(state, &creds.project_id, req).await?;
    let secure = cookies::secure(state, headers);
    let cookie = cookies::set(
        cookies::PENDING,
        &id,
        cookies::PENDING_PATH,
        Some(pending::LIFETIME_SECS),
        secure,
    );
    Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]))
}

/// The checks of RFC 6749 §4.1.1 / RFC 7636 §4.3 / RFC 8707 §2 that can be answered with an
/// error redirect, in the order a client would fix them.
fn check(
    params: &HashMap<String, Vec<String>>,
    client_type: ClientType,
    redirect: &MatchedRedirect,
) -> Result<PendingRequest, OAuthError> {
    let one = |name: &str| {
        params
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let oauth = |e: AuthorizeError| e.to_oauth();
    ResponseType::parse(one("response_type").unwrap_or_default()).map_err(oauth)?;
    let interaction = Interaction::parse(one("prompt"), one("max_age"))?;
    let scopes = ScopeSet::parse(one("scope").unwrap_or_default()).map_err(|e| oauth(e.into()))?;
    let challenge = one("code_challenge")
        .map(PkceChallenge::parse)
        .transpose()
        .map_err(|e| oauth(e.into()))?;
    match (one("code_challenge_method"), &challenge) {
        (Some(_), None) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method was sent without code_challenge",
            ))
        }
        (method, _) => {
            PkceMethod::parse(method).map_err(|e| oauth(e.into()))?;
        }
    }
    require_challenge(client_type, challenge.as_ref()).map_err(|e| oauth(e.into()))?;
    // RFC 8707 §2: absolute URIs without fragment, kept in canonical form (RFC 9728 §3).
    let mut resources = Vec::new();
    for r in params.get("resource").into_iter().flatten() {
        let url = latchkey_core::oauth::resource::indicator_form(r)
            .map_err(|e| OAuthError::invalid_target(format!("resource {r:?}: {e}")))?;
        if !resources.contains(&url) {
            resources.push(url);
        }
    }
    Ok(PendingRequest {
        client_id: one("client_id").unwrap_or_default().to_string(),
        redirect_uri: redirect.as_str().to_string(),
        scopes: scopes.to_vec(),
        nonce: one("nonce").map(str::to_string),
        code_challenge: challenge.map(|c| c.as_str().to_string()),
        // Only the consent part goes on to Start / Submit; the rest is the page's own business.
        prompt: (interaction.prompt == Prompt::Consent).then(|| "consent".to_string()),
        silent: interaction.silent,
        force_login: interaction.force_login,
        max_age: interaction.max_age,
        login_hint: one("login_hint")
            .filter(|h| h.contains('@') && h.len() <= 254)
            .map(str::to_string),
        resources,
        ..Default::default()
    })
}

/// RFC 6749 §4.1.2.1 error redirect with RFC 9207 `iss`.
pub fn error_redirect(
    redirect: &MatchedRedirect,
    e: &OAuthError,
    state: Option<&str>,
    issuer: &str,
) -> Response {
    let mut url = redirect.with_error(e, state);
    url.query_pairs_mut().append_pair("iss", issuer);
    see_other(url.as_str())
}
