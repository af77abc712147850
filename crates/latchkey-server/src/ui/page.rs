//! Rendering: the minijinja templates (compiled into the binary, HTML auto-escaped), the
//! per-page `Content-Security-Policy`, redirects, and turning failures into error pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::ApiError;
use latchkey_store::StoreError;
use minijinja::{context, Environment, Value};

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// The policy of responses that are not pages, and of pages whose forms only post here.
pub const BASE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/ui/base.html")),
    (
        "macros.html",
        include_str!("../../templates/ui/macros.html"),
    ),
    ("email.html", include_str!("../../templates/ui/email.html")),
    (
        "organization.html",
        include_str!("../../templates/ui/organization.html"),
    ),
    ("login.html", include_str!("../../templates/ui/login.html")),
    (
        "check_email.html",
        include_str!("../../templates/ui/check_email.html"),
    ),
    (
        "consent.html",
        include_str!("../../templates/ui/consent.html"),
    ),
    ("error.html", include_str!("../../templates/ui/error.html")),
    (
        "logout.html",
        include_str!("../../templates/ui/logout.html"),
    ),
    (
        "signed_out.html",
        include_str!("../../templates/ui/signed_out.html"),
    ),
    (
        "approvals.html",
        include_str!("../../templates/ui/approvals.html"),
    ),
    // Issue 14 item 5: the device page (RFC 8628 §3.3).
    (
        "device.html",
        include_str!("../../templates/ui/device.html"),
    ),
    (
        "device_done.html",
        include_str!("../../templates/ui/device_done.html"),
    ),
    // Issue 13 item 5: "Forgot password?" (`reset.rs`).
    (
        "forgot_password.html",
        include_str!("../../templates/ui/forgot_password.html"),
    ),
    (
        "reset_password.html",
        include_str!("../../templates/ui/reset_password.html"),
    ),
    (
        "email_code.html",
        include_str!("../../templates/ui/email_code.html"),
    ),
    // Issue 13 item 5: the second-factor step (`ui::mfa`).
    ("mfa.html", include_str!("../../templates/ui/mfa.html")),
    (
        "recovery_codes.html",
        include_str!("../../templates/ui/recovery_codes.html"),
    ),
    // Issue 15 item 7: the server's front page (`home.rs`).
    ("home.html", include_str!("../../templates/ui/home.html")),
];

/// The parsed templates, built once at start-up (a template error stops the server starting).
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Templates {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        Ok(Templates { env })
    }
}

/// A page to send: template, status, context, and where its forms may end up.
pub struct Page {
    pub template: &'static str,
    pub status: StatusCode,
    pub title: &'static str,
    pub context: Value,
    /// The client URL a form submission may be redirected to (for CSP `form-action`).
    pub form_target: Option<String>,
}

impl Page {
    pub fn new(template: &'static str, title: &'static str, context: Value) -> Self {
        Page {
            template,
            status: StatusCode::OK,
            title,
            context,
            form_target: None,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn form_target(mut self, url: &str) -> Self {
        self.form_target = Some(url.to_string());
        self
    }

    pub fn render(self, state: &AppState) -> Response {
        let b = &state.config.branding;
        let ctx = context! {
            title => self.title,
            brand => context! { product_name => &b.product_name, logo_url => &b.logo_url },
            ..self.context
        };
        let html = state
            .templates
            .env
            .get_template(self.template)
            .and_then(|t| t.render(ctx));
        let html = match html {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(template = self.template, error = %e, "page rendering failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response();
            }
        };
        let csp = csp(self.form_target.as_deref());
        let mut res = (self.status, axum::response::Html(html)).into_response();
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
        res
    }
}

/// The CSP of a page: [`BASE_CSP`], with the client's origin (or private-use scheme) added to
/// `form-action`, since browsers check that directive on the redirect a form submission ends in.
pub fn csp(form_target: Option<&str>) -> String {
    let source = form_target
        .and_then(|t| url::Url::parse(t).ok())
        .and_then(|u| match u.scheme() {
            "http" | "https" => {
                let origin = u.origin();
                origin.is_tuple().then(|| origin.ascii_serialization())
            }
            s => Some(format!("{s}:")),
        })
        .filter(|s| {
            s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        });
    match source {
        Some(s) => BASE_CSP.replace("form-action 'self'", &format!("form-action 'self' {s}")),
        None => BASE_CSP.to_string(),
    }
}

/// `303 See Other` to `location` (after a form post, the browser follows with a GET).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "Bad redirect").into_response(),
    }
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut res: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// A page explaining a problem; never a redirect.
pub fn error_page(
    state: &AppState,
    status: StatusCode,
    heading: &str,
    message: &str,
    detail: Option<&str>,
) -> Response {
    Page::new(
        "error.html",
        "Something went wrong",
        context! { heading, message, detail },
    )
    .status(status)
    .render(state)
}

/// The page for a sign-in request that is gone (expired, finished, or from another browser).
pub fn expired(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::BAD_REQUEST,
        "This sign-in request has ended",
        "It expired, was already completed, or was started in a different browser. Go back to the app and start again.",
        None,
    )
}

/// Why a handler stopped early: a response ready to send, or an API failure to show as a page.
pub enum Fail {
    Page(Response),
    Api(ApiFailure),
}

impl From<ApiFailure> for Fail {
    fn from(f: ApiFailure) -> Self {
        Fail::Api(f)
    }
}

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Self {
        Fail::Api(ApiFailure(e))
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Api(e.into())
    }
}

/// Every handler ends here: a failure becomes an error page (5xx details stay in the log).
pub fn respond(state: &AppState, r: Result<Response, Fail>) -> Response {
    match r {
        Ok(res) | Err(Fail::Page(res)) => res,
        Err(Fail::Api(ApiFailure(e))) => {
            let status =
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(error_type = %e.error_type, message = %e.message, "hosted page failed");
                return error_page(
                    state,
                    status,
                    "Something went wrong",
                    "We could not finish this step. Please try again in a moment.",
                    None,
                );
            }
            error_page(
                state,
                status,
                "We could not continue",
                &e.message,
                Some(&e.error_type),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_csp_adds_the_client_origin() {
        Templates::load().unwrap();
        assert_eq!(csp(None), BASE_CSP);
        assert!(csp(Some("https://app.example.com:8443/cb?x=1"))
            .contains("form-action 'self' https://app.example.com:8443;"));
        assert!(csp(Some("com.example.app:/cb")).contains("form-action 'self' com.example.app:;"));
        assert!(BASE_CSP.contains("frame-ancestors 'none'"));
    }
}
