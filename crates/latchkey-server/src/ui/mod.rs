//! The hosted pages (issue 5): the authorization endpoint `GET /oauth2/authorize` with its login
//! (email, organization, password or magic link) and consent steps, and RP-initiated logout
//! (`/oauth2/logout`). Server-rendered with minijinja; every form carries a CSRF token; every
//! page is sent with a strict `Content-Security-Policy` (`frame-ancestors 'none'`) and
//! `Cache-Control: no-store`. The consent decision runs through [`crate::api::idp`], the same
//! code as Stytch's authorize Start / Submit API, so the page and the API never disagree.

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub mod approvals;
pub mod assets;
pub mod authorize;
pub mod cookies;
pub mod device;
pub mod email_code;
pub mod flow;
pub mod login;
pub mod logout;
pub mod mfa;
pub mod mfa_sms;
pub mod page;
pub mod pending;
mod provenance;
pub mod reset;

/// Route paths of the hosted pages.
pub mod paths {
    pub use crate::oauth::paths::{AUTHORIZE_PAGE, DEVICE_PAGE};
    pub const CONTINUE: &str = "/oauth2/authorize/continue";
    pub const EMAIL: &str = "/oauth2/authorize/email";
    pub const ORGANIZATION: &str = "/oauth2/authorize/organization";
    pub const PASSWORD: &str = "/oauth2/authorize/password";
    pub const MAGIC_LINK: &str = "/oauth2/authorize/magic_link";
    pub const CONSENT: &str = "/oauth2/authorize/consent";
    pub const FORGOT_PASSWORD: &str = "/oauth2/authorize/forgot_password";
    pub const RESET_PASSWORD: &str = "/oauth2/authorize/reset_password";
    pub const EMAIL_CODE: &str = "/oauth2/authorize/email_code";
    pub const EMAIL_CODE_VERIFY: &str = "/oauth2/authorize/email_code/verify";
    pub const SMS: &str = "/oauth2/authorize/sms";
    pub const SMS_VERIFY: &str = "/oauth2/authorize/sms/verify";
    pub const RESTART: &str = "/oauth2/authorize/restart";
    /// Issue 13 item 5: the second-factor step.
    pub const TOTP: &str = "/oauth2/authorize/totp";
    pub const RECOVERY_CODE: &str = "/oauth2/authorize/recovery_code";
    pub const LOGOUT: &str = "/oauth2/logout";
    pub const STYLESHEET: &str = "/oauth2/assets/latchkey.css";
    pub const THEME: &str = "/oauth2/assets/theme.css";
}

pub fn router() -> Router<AppState> {
    use paths::*;
    Router::new()
        .route(AUTHORIZE_PAGE, get(authorize::authorize))
        .route(CONTINUE, get(flow::resume))
        .route(EMAIL, post(login::email))
        .route(ORGANIZATION, post(login::organization))
        .route(PASSWORD, post(login::password))
        .route(
            MAGIC_LINK,
            post(login::send_magic_link).get(login::magic_link_callback),
        )
        .route(CONSENT, post(flow::consent))
        .route(FORGOT_PASSWORD, get(reset::forgot).post(reset::send_link))
        .route(RESET_PASSWORD, get(reset::show).post(reset::reset))
        .route(EMAIL_CODE, post(email_code::send))
        .route(EMAIL_CODE_VERIFY, post(email_code::verify))
        .route(SMS, post(mfa_sms::send))
        .route(SMS_VERIFY, post(mfa_sms::verify))
        .route(RESTART, post(login::restart))
        .route(DEVICE_PAGE, get(device::show).post(device::submit))
        .route(TOTP, post(mfa::totp_code))
        .route(RECOVERY_CODE, post(mfa::recovery_code))
        .route(LOGOUT, get(logout::logout).post(logout::confirm))
        .route(STYLESHEET, get(assets::stylesheet))
        .route(THEME, get(assets::theme))
        // branch h11: an organization admin's approvals page.
        .route(
            approvals::PATH,
            get(approvals::show).post(approvals::decide),
        )
        .layer(axum::middleware::map_response(security_headers))
}

/// Headers on every response of the hosted pages. Pages set their own CSP (with the client's
/// origin in `form-action`); anything else gets the strictest one.
pub async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(page::BASE_CSP));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}
