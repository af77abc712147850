//! The device authorization grant (RFC 8628; issue 14 item 5): the device authorization
//! endpoint (`POST /v1/oauth2/device_authorization` and its `/v1/public/{project_id}` twin,
//! §3.1, §3.2) for clients with `device_code_allowed`, and the token endpoint's
//! `urn:ietf:params:oauth:grant-type:device_code` polls (§3.4, §3.5). Both codes are stored as
//! SHA-256 hashes; the member approves on the hosted page `/oauth2/device` (`ui::device`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::oauth::device::{self, DeviceRecord, Poll};
use latchkey_core::oauth::token_request::OneOrMany;
use latchkey_core::oauth::{OAuthError, ScopeSet};
use latchkey_core::secret::SecretHash;
use serde::Deserialize;
use serde_json::json;

use super::clients::AuthedClient;
use super::envelope::{oauth_ok, OAuthBody, OAuthFailure};
use super::paths;
use super::tokens::issuer;
use crate::state::AppState;

/// RFC 8628 §3.1: client authentication as at the token endpoint, `scope`, and RFC 8707
/// `resource`.
#[derive(Debug, Default, Deserialize)]
pub struct RawDeviceRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    scope: Option<String>,
    resource: Option<OneOrMany>,
}

pub async fn authorize(
    state: State<AppState>,
    headers: HeaderMap,
    body: OAuthBody<RawDeviceRequest>,
) -> Result<Response, OAuthFailure> {
    start(state, headers, None, body).await
}

pub async fn legacy_authorize(
    state: State<AppState>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
    body: OAuthBody<RawDeviceRequest>,
) -> Result<Response, OAuthFailure> {
    start(state, headers, Some(project_id), body).await
}

async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    path_project: Option<String>,
    OAuthBody(raw): OAuthBody<RawDeviceRequest>,
) -> Result<Response, OAuthFailure> {
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let assertion = nonempty(raw.client_assertion)
        .map(|a| (raw.client_assertion_type.clone().unwrap_or_default(), a));
    let client = super::clients::authenticate_any(
        &state,
        &headers,
        nonempty(raw.client_id).as_deref(),
        nonempty(raw.client_secret).as_deref(),
        assertion.as_ref().map(|(t, a)| (t.as_str(), a.as_str())),
        path_project.as_deref(),
    )
    .await?;
    device::check_allowed(client.app.device_code_allowed)?;
    let resources = raw.resource.map(OneOrMany::into_vec).unwrap_or_default();
    let record = request_record(&state, &client, raw.scope.as_deref(), &resources).await?;
    let iss = issuer(&state, &headers)?;
    let device_code = crate::api::idp::random_token(&state);
    let user_code = device::new_user_code(state.tokens.as_ref());
    state
        .store
        .insert_device_authorization(
            SecretHash::of(&device_code).as_str(),
            SecretHash::of(&user_code).as_str(),
            &record,
        )
        .await?;
    let shown = device::display(&user_code);
    let page = format!("{iss}{}", paths::DEVICE_PAGE);
    // RFC 8628 §3.2.
    Ok(oauth_ok(json!({
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": page,
        "verification_uri_complete": format!("{page}?user_code={shown}"),
        "expires_in": device::LIFETIME_SECS,
        "interval": device::INTERVAL_SECS,
    })))
}

/// The request as stored: scopes checked (none means the client's default, as at the
/// authorization endpoint, RFC 6749 §3.3) and resources registered (RFC 8707 §2).
async fn request_record(
    state: &AppState,
    client: &AuthedClient,
    scope: Option<&str>,
    resources: &[String],
) -> Result<DeviceRecord, OAuthFailure> {
    let project_id = &client.creds.project_id;
    let mut scopes = ScopeSet::parse(scope.unwrap_or_default())
        .map_err(|e| OAuthError::invalid_scope(e.to_string()))?
        .to_vec();
    if scopes.is_empty() {
        scopes =
            crate::oauth::registration_settings::default_scopes_for(state, project_id, &client.app)
                .await?;
    }
    let mut urls = Vec::new();
    for r in resources.iter().filter(|r| !r.is_empty()) {
        let url = latchkey_core::oauth::resource::indicator_form(r)
            .map_err(|e| OAuthError::invalid_target(format!("resource {r:?}: {e}")))?;
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    crate::api::resources::authorization_targets(state, project_id, &urls)
        .await
        .map_err(|f| crate::ui::flow::oauth_error_of(&f))?;
    let now = state.clock.now().unix_timestamp();
    Ok(DeviceRecord {
        project_id: project_id.clone(),
        client_id: client.app.client_id.clone(),
        scopes,
        resources: urls,
        expires_at: now + device::LIFETIME_SECS,
        interval: device::INTERVAL_SECS,
        last_poll_at: None,
        status: device::DeviceStatus::Pending,
        consumed: false,
    })
}

/// A poll at the token endpoint (RFC 8628 §3.4): the decision is the core's; a pending poll is
/// recorded (for `slow_down`); an approved device code is spent once, then tokens are issued on
/// its grant as for an authorization code.
pub async fn grant(
    state: &AppState,
    client: &AuthedClient,
    device_code: &str,
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    let hash = SecretHash::of(device_code).as_str().to_string();
    let now = state.clock.now().unix_timestamp();
    let record = state
        .store
        .device_by_code(&hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("The device code is not valid."))?;
    let decision = device::poll(&record, &client.app.client_id, now)?;
    if let Some(e) = device::poll_error(&decision) {
        if let Poll::Pending { interval } | Poll::SlowDown { interval } = decision {
            state.store.record_device_poll(&hash, now, interval).await?;
        }
        return Err(e.into());
    }
    let Poll::Issue(grant) = decision else {
        return Err(OAuthFailure::server_error());
    };
    // Of concurrent polls of one approved code, exactly one gets here.
    if !state.store.consume_device(&hash, now).await? {
        return Err(OAuthError::invalid_grant("The device code has already been used.").into());
    }
    super::token::issue_on_grant(state, client, &grant, iss, jkt).await
}
