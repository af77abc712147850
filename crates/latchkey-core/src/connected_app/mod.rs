//! Connected App clients (Stytch "Connected Apps", spec §13): the create and update rules of
//! `POST /v1/connected_apps/clients` and `PUT /v1/connected_apps/clients/{client_id}`,
//! defaults, field validation (§13.5), and, in [`secrets`], client secrets: generation,
//! the rotation state machine (§13.4) and client authentication for the token endpoint.
//! See https://stytch.com/docs/b2b/api/connected-apps and
//! https://stytch.com/docs/b2b/guides/connected-apps/client-types.

use latchkey_types::{ConnectedApp, ConnectedAppSettings};

use crate::clock::TokenGenerator;
use crate::ids::{make_id, Environment};
use crate::oauth::client::{
    validate_client_settings, ClientType, FullAccess, OfflineAccessConsent,
};
use crate::oauth::redirect::RedirectUrl;
use crate::secret::Secret;
use crate::{validate, ApiError};

pub mod secrets;
mod template;

pub use secrets::{
    authenticate_client, check_rotation, generate_secret, ClientAuthError, ClientCredentials,
    RotationError, RotationStep, SecretState,
};
pub use template::{validate_template, TemplateKind};

/// `access_token_expiry_minutes` when the request has none (Stytch: "The default is 60
/// minutes").
pub const DEFAULT_EXPIRY_MINUTES: i64 = 60;
/// Bounds of `access_token_expiry_minutes`. Stytch does not document them; five minutes to
/// one day keeps tokens short-lived (OAuth 2.1 §7.1.3) while allowing long batch jobs.
pub const MIN_EXPIRY_MINUTES: i64 = 5;
pub const MAX_EXPIRY_MINUTES: i64 = 1440;
/// Longest `client_name`, `client_description` and `access_token_custom_audience`, in characters.
pub const MAX_NAME_LEN: usize = 256;
pub const MAX_DESCRIPTION_LEN: usize = 4096;
pub const MAX_AUDIENCE_LEN: usize = 512;
/// Most redirect URLs per list.
pub const MAX_REDIRECT_URLS: usize = 100;
/// `status` of every client latchkey creates.
pub const STATUS_ACTIVE: &str = "active";
/// `creation_method` of clients created through the management API.
pub const CREATED_BY_API: &str = "api";

/// A new client and its secret in the clear (confidential types only), to be shown once.
#[derive(Debug)]
pub struct NewClient {
    pub app: ConnectedApp,
    pub secret: Option<Secret>,
}

/// `connected-app-{env}-{uuid}` (spec §1.3).
pub fn new_client_id(project_id: &str, tokens: &dyn TokenGenerator) -> String {
    make_id(
        "connected-app",
        Environment::of_project(project_id),
        tokens.uuid(),
    )
}

/// The 404 for an unknown `client_id` (Stytch error reference, 404).
pub fn not_found() -> ApiError {
    ApiError::new(
        404,
        "connected_app_not_found",
        "The Connected App requested could not be found.",
    )
}

/// Create Connected App: `client_type` is required; everything else has a default. A secret is
/// generated for `first_party` and `third_party` clients.
pub fn create(
    client_id: String,
    req: &ConnectedAppSettings,
    tokens: &dyn TokenGenerator,
) -> Result<NewClient, ApiError> {
    let raw = req
        .client_type
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("client_type"))?;
    let client_type =
        ClientType::parse(raw).map_err(|e| ApiError::bad_request(e.error_type(), e.to_string()))?;
    let mut app = ConnectedApp {
        client_id,
        client_name: String::new(),
        client_description: String::new(),
        status: STATUS_ACTIVE.into(),
        full_access_allowed: false,
        client_type: client_type.as_str().into(),
        redirect_urls: vec![],
        access_token_expiry_minutes: DEFAULT_EXPIRY_MINUTES,
        access_token_template_content: String::new(),
        post_logout_redirect_urls: vec![],
        bypass_consent_for_offline_access: false,
        creation_method: CREATED_BY_API.into(),
        id_token_template_content: String::new(),
        client_secret_last_four: None,
        next_client_secret_last_four: None,
        access_token_custom_audience: None,
        logo_url: None,
        client_id_metadata_url: None,
        client_credentials_allowed: false,
        client_credentials_scopes: vec![],
        token_exchange_allowed: false,
        device_code_allowed: false,
        jwt_bearer_allowed: false,
    };
    apply(&mut app, client_type, req)?;
    let secret = (!client_type.is_public()).then(|| generate_secret(tokens));
    app.client_secret_last_four = secret.as_ref().map(Secret::last_four);
    Ok(NewClient { app, secret })
}

/// Update Connected App: absent fields are left unchanged; the type, id and secrets never
/// change here (a `client_type` in the body is ignored).
pub fn update(app: &mut ConnectedApp, req: &ConnectedAppSettings) -> Result<(), ApiError> {
    let client_type = ClientType::parse(&app.client_type).map_err(|_| ApiError::internal())?;
    apply(app, client_type, req)
}

fn apply(
    app: &mut ConnectedApp,
    client_type: ClientType,
    req: &ConnectedAppSettings,
) -> Result<(), ApiError> {
    if let Some(v) = &req.client_name {
        app.client_name = text("client_name", v, MAX_NAME_LEN)?;
    }
    if let Some(v) = &req.client_description {
        app.client_description = text("client_description", v, MAX_DESCRIPTION_LEN)?;
    }
    if let Some(v) = &req.redirect_urls {
        app.redirect_urls = redirect_urls("redirect_urls", v)?;
    }
    if let Some(v) = &req.post_logout_redirect_urls {
        app.post_logout_redirect_urls = redirect_urls("post_logout_redirect_urls", v)?;
    }
    if let Some(v) = req.full_access_allowed {
        app.full_access_allowed = v;
    }
    if let Some(v) = req.bypass_consent_for_offline_access {
        app.bypass_consent_for_offline_access = v;
    }
    if let Some(v) = req.access_token_expiry_minutes {
        app.access_token_expiry_minutes = expiry_minutes(v)?;
    }
    if let Some(v) = &req.access_token_custom_audience {
        app.access_token_custom_audience = custom_audience(v)?;
    }
    if let Some(v) = &req.access_token_template_content {
        app.access_token_template_content = validate_template(v, TemplateKind::AccessToken)?;
    }
    if let Some(v) = &req.id_token_template_content {
        app.id_token_template_content = validate_template(v, TemplateKind::IdToken)?;
    }
    if let Some(v) = &req.logo_url {
        let url = validate::optional_url("logo_url", v)?;
        app.logo_url = (!url.is_empty()).then_some(url);
    }
    if let Some(v) = req.client_credentials_allowed {
        app.client_credentials_allowed = v;
    }
    if let Some(v) = &req.client_credentials_scopes {
        app.client_credentials_scopes = crate::oauth::client_credentials::validate_scopes(v)?;
    }
    if let Some(v) = req.token_exchange_allowed {
        app.token_exchange_allowed = v;
    }
    if let Some(v) = req.jwt_bearer_allowed {
        app.jwt_bearer_allowed = v;
    }
    if let Some(v) = req.device_code_allowed {
        app.device_code_allowed = v;
    }
    crate::oauth::client_credentials::check_allowed(client_type, app.client_credentials_allowed)?;
    crate::oauth::id_jag::check_allowed(client_type, app.jwt_bearer_allowed)?;
    validate_client_settings(
        client_type,
        FullAccess::from_flag(app.full_access_allowed),
        OfflineAccessConsent::from_bypass_flag(app.bypass_consent_for_offline_access),
    )
    .map_err(|e| ApiError::bad_request(e.error_type(), format!("{e}.")))
}

/// A name or description: at most `max` characters, no control characters.
fn text(field: &str, v: &str, max: usize) -> Result<String, ApiError> {
    if v.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            &format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// Every URL must pass registration rules (spec §13.5, RFC 8252 §7, RFC 9700 §4.1); exact
/// duplicates are dropped, order is kept.
fn redirect_urls(field: &str, urls: &[String]) -> Result<Vec<String>, ApiError> {
    if urls.len() > MAX_REDIRECT_URLS {
        return Err(ApiError::invalid_field(
            field,
            &format!("may hold at most {MAX_REDIRECT_URLS} URLs"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(urls.len());
    for (i, raw) in urls.iter().enumerate() {
        let url = RedirectUrl::parse(raw).map_err(|e| {
            ApiError::bad_request(e.error_type(), format!("{field}[{i}] {raw:?}: {e}."))
        })?;
        if !out.iter().any(|u| u == url.as_str()) {
            out.push(url.as_str().to_string());
        }
    }
    Ok(out)
}

fn expiry_minutes(v: i64) -> Result<i64, ApiError> {
    if (MIN_EXPIRY_MINUTES..=MAX_EXPIRY_MINUTES).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::bad_request(
            "idp_invalid_access_token_expiry_minutes",
            format!(
                "access_token_expiry_minutes must be between {MIN_EXPIRY_MINUTES} and {MAX_EXPIRY_MINUTES}; got {v}."
            ),
        ))
    }
}

/// An extra `aud` value for access tokens (spec §14.3). RFC 7519 §4.1.3: a StringOrURI, so a
/// value with a `:` must be an absolute URI. Empty clears it.
fn custom_audience(v: &str) -> Result<Option<String>, ApiError> {
    if v.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| {
        ApiError::bad_request(
            "idp_invalid_access_token_custom_audience",
            format!("access_token_custom_audience {why}."),
        )
    };
    if v.chars().count() > MAX_AUDIENCE_LEN {
        return Err(bad(&format!(
            "must be at most {MAX_AUDIENCE_LEN} characters"
        )));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain whitespace or control characters"));
    }
    if v.contains(':') && url::Url::parse(v).is_err() {
        return Err(bad(
            "contains ':' so must be an absolute URI (RFC 7519 StringOrURI)",
        ));
    }
    Ok(Some(v.to_string()))
}

#[cfg(test)]
mod tests;
