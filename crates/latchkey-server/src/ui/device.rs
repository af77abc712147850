//! `/oauth2/device` (RFC 8628 §3.3): where a member types the user code a device shows. The
//! form carries a double-submit CSRF token; wrong codes are counted per client address and,
//! past the limit, refused for a while (§5.1). A right code starts a pending request like the
//! authorization page's, so the member signs in and consents through the same login and consent
//! steps ([`super::flow`]); the decision is recorded on the device request, which the device
//! reads at its next poll.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::device;
use latchkey_core::secret::SecretHash;
use latchkey_types::AuthorizeRequest;
use minijinja::context;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::page::{respond, see_other, with_cookies, Fail, Page};
use super::pending::{self, Pending, PendingRequest};
use super::{cookies, paths};
use crate::api::idp::{self, DeviceOutcome};
use crate::client_address::ClientAddress;
use crate::state::AppState;

const WRONG_CODE: &str = "That code is not valid or has expired. Check the code on your device.";
const THROTTLED: &str = "Too many wrong codes from your network. Wait a few minutes and try again.";

#[derive(Debug, Default, Deserialize)]
pub struct DeviceForm {
    user_code: Option<String>,
    csrf_token: Option<String>,
}

/// `GET /oauth2/device[?user_code=…]` (`verification_uri_complete` prefills the code).
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DeviceForm>,
) -> Response {
    let code = q.user_code.unwrap_or_default();
    form_page(&state, &headers, &code, None, StatusCode::OK)
}

/// The form, with a fresh CSRF token in the page and its cookie.
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = pending::random(state);
    let secure = cookies::secure(state, headers);
    let cookie = cookies::set(
        cookies::DEVICE_CSRF,
        &token,
        cookies::DEVICE_PATH,
        Some(device::LIFETIME_SECS),
        secure,
    );
    let shown: String = code.chars().take(16).collect();
    let page = Page::new(
        "device.html",
        "Connect a device",
        context! { csrf_token => token, user_code => shown, error },
    )
    .status(status)
    .render(state);
    with_cookies(page, &[cookie])
}

/// `POST /oauth2/device`: the code typed. A right one starts the sign-in and consent steps.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(addr): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let form: DeviceForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let expected = cookies::get(&headers, cookies::DEVICE_CSRF).unwrap_or_default();
        let sent = form.csrf_token.as_deref().unwrap_or_default();
        if expected.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
            let msg = "The form expired. Enter the code again.";
            return Ok(form_page(
                &state,
                &headers,
                "",
                Some(msg),
                StatusCode::BAD_REQUEST,
            ));
        }
        let typed = form.user_code.unwrap_or_default();
        let key = addr.map_or_else(|| "unknown".to_string(), |a| a.to_string());
        let now = state.clock.now().unix_timestamp();
        if !state.device_code_failures.allowed(&key, now) {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return Ok(form_page(&state, &headers, &typed, Some(THROTTLED), status));
        }
        let found = match device::normalize(&typed) {
            Some(code) => {
                let hash = SecretHash::of(&code).as_str().to_string();
                state
                    .store
                    .pending_device(&hash, now)
                    .await?
                    .map(|d| (hash, d))
            }
            None => None,
        };
        let Some((hash, record)) = found else {
            state.device_code_failures.fail(&key, now);
            let status = StatusCode::BAD_REQUEST;
            return Ok(form_page(
                &state,
                &headers,
                &typed,
                Some(WRONG_CODE),
                status,
            ));
        };
        let req = PendingRequest {
            client_id: record.client_id,
            scopes: record.scopes,
            resources: record.resources,
            device: Some(hash),
            ..Default::default()
        };
        let id = pending::create(&state, &record.project_id, req).await?;
        let secure = cookies::secure(&state, &headers);
        let max_age = Some(pending::LIFETIME_SECS);
        let cookie = cookies::set(
            cookies::PENDING,
            &id,
            cookies::PENDING_PATH,
            max_age,
            secure,
        );
        Ok(with_cookies(see_other(paths::CONTINUE), &[cookie]))
    }
    .await;
    respond(&state, r)
}

/// The consent step's decision for a device request ([`super::flow`] has ended the pending
/// request already): recorded on the device request, then a page telling the member so.
pub async fn decided(
    state: &AppState,
    headers: &HeaderMap,
    p: &Pending,
    req: &AuthorizeRequest,
    user_code_hash: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<Response, Fail> {
    let secure = cookies::secure(state, headers);
    let clear = cookies::clear(cookies::PENDING, cookies::PENDING_PATH, secure);
    let outcome = match idp::decide_device(state, &p.project_id, req, user_code_hash, addr).await {
        Ok(o) => o,
        Err(f) => {
            state.store.deny_device(user_code_hash).await?;
            let e = super::flow::oauth_error_of(&f);
            return Ok(with_cookies(refused(state, &e.description), &[clear]));
        }
    };
    let (heading, message) = match outcome {
        DeviceOutcome::Approved => (
            "Device connected",
            "You can return to your device: it continues on its own. You can close this window.",
        ),
        DeviceOutcome::Denied => (
            "Access denied",
            "The device was not given access. You can close this window.",
        ),
        DeviceOutcome::Gone => (
            "This code has ended",
            "It expired or was already used. Start again on your device.",
        ),
    };
    let page = Page::new("device_done.html", heading, context! { heading, message });
    Ok(with_cookies(page.render(state), &[clear]))
}

/// The page for a device request the rules refused (the device reads `access_denied`).
pub fn refused(state: &AppState, why: &str) -> Response {
    Page::new(
        "device_done.html",
        "Access denied",
        context! { heading => "The device cannot be given access", message => why },
    )
    .status(StatusCode::FORBIDDEN)
    .render(state)
}
