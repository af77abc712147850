//! OpenID Connect RP-Initiated Logout 1.0: the rules shared by the hosted `/oauth2/logout` page
//! and the frontend SDK's `POST /sdk/v1/b2b/oauth/logout/start` (`idp.oauthLogoutStart` of
//! `@stytch/vanilla-js`, Stytch spec §13.6), so the two can never disagree.
//!
//! - §2: the client is `client_id`, or the `aud` of `id_token_hint`; when both are given they
//!   must name the same client.
//! - §3: `post_logout_redirect_uri` must be one of the client's registered
//!   `post_logout_redirect_urls` (exact string match), never an open redirect; `state` is
//!   appended to it.
//! - §2 leaves the confirmation prompt to the OP and has it check that the hint's subject is the
//!   End-User: the member confirms unless a verified hint names the session's member and
//!   organization (or there is no session to end). Any ID token of the client would otherwise
//!   let a third party sign the member out without asking (logout CSRF, security review #9).

use base64::Engine;
use serde_json::Value;
use url::Url;

use crate::ApiError;

/// Why a logout request was refused: an error page or API error, never a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutError {
    /// `client_id` and the `aud` of `id_token_hint` name different clients.
    ClientMismatch,
    /// The client is not registered (in this project).
    UnknownClient,
    /// `post_logout_redirect_uri` is not one of the client's `post_logout_redirect_urls`.
    UnregisteredRedirect,
    /// `post_logout_redirect_uri` is registered but does not parse as a URL.
    InvalidRedirect,
}

const UNREGISTERED_PAGE: &str = "The app asked to send you to an address it has not registered \
     for sign-out, so we stopped here.";
const UNREGISTERED_API: &str =
    "The post_logout_redirect_uri is not one of this Connected App's post_logout_redirect_urls.";

impl LogoutError {
    /// What the hosted page tells the member.
    pub fn message(self) -> &'static str {
        match self {
            Self::ClientMismatch => "The client_id does not match the id_token_hint.",
            Self::UnknownClient => "The app that sent you here is not registered.",
            Self::UnregisteredRedirect => UNREGISTERED_PAGE,
            Self::InvalidRedirect => "The sign-out address is not a URL.",
        }
    }

    /// The same refusal in Stytch's error shape (the SDK raises it as `StytchAPIError`); an
    /// unregistered redirect is 401 as on Start (Stytch error reference, 401).
    pub fn api_error(self) -> ApiError {
        match self {
            Self::ClientMismatch => ApiError::bad_request(
                "invalid_id_token_hint",
                "The client_id does not match the aud of the id_token_hint.",
            ),
            Self::UnknownClient => crate::connected_app::not_found(),
            Self::UnregisteredRedirect => ApiError::new(
                401,
                "connected_app_supplied_redirect_url_not_found_in_client",
                UNREGISTERED_API,
            ),
            Self::InvalidRedirect => ApiError::bad_request(
                "connected_app_invalid_redirect_url",
                "The post_logout_redirect_uri is not a URL.",
            ),
        }
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// §2: the client a logout request names (`None`: it names none).
pub fn logout_client(
    client_id: Option<&str>,
    hint_aud: Option<&str>,
) -> Result<Option<String>, LogoutError> {
    match (non_empty(client_id), non_empty(hint_aud)) {
        (Some(c), Some(a)) if c != a => Err(LogoutError::ClientMismatch),
        (Some(c), _) | (None, Some(c)) => Ok(Some(c.to_string())),
        (None, None) => Ok(None),
    }
}

/// §3: where to send the member afterwards (`None`: nowhere was asked). `registered` is the
/// client's `post_logout_redirect_urls` (`None`: the request names no client, so nothing is
/// registered).
pub fn post_logout_redirect(
    uri: Option<&str>,
    registered: Option<&[String]>,
    state: Option<&str>,
) -> Result<Option<Url>, LogoutError> {
    let Some(uri) = non_empty(uri) else {
        return Ok(None);
    };
    if !registered.is_some_and(|r| r.iter().any(|r| r == uri)) {
        return Err(LogoutError::UnregisteredRedirect);
    }
    let mut url = Url::parse(uri).map_err(|_| LogoutError::InvalidRedirect)?;
    if let Some(s) = non_empty(state) {
        url.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(url))
}

/// A member of an organization: the subject of a verified ID token, or of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub member_id: String,
    pub organization_id: String,
}

impl Subject {
    /// The `sub` and `https://stytch.com/organization` claims of a verified ID token.
    pub fn of_claims(claims: &Value) -> Option<Self> {
        let member_id = claims.get("sub")?.as_str()?.to_string();
        let organization_id = claims
            .get("https://stytch.com/organization")?
            .get("organization_id")?
            .as_str()?
            .to_string();
        Some(Self {
            member_id,
            organization_id,
        })
    }
}

/// Whether the member must confirm before being signed out. `hint` is the subject of a
/// *verified* `id_token_hint` (`None`: no hint, or one that did not verify); `session` the
/// member of the session the logout would end (`None`: there is none).
pub fn confirmation_required(hint: Option<&Subject>, session: Option<&Subject>) -> bool {
    match (hint, session) {
        (None, _) => true,
        // No live session: there is nothing to end, so the hint may go straight on.
        (Some(_), None) => false,
        (Some(h), Some(s)) => h != s,
    }
}

/// The `aud` of a JWT, read without verifying it (only to find the client to verify it with).
pub fn unverified_audience(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    match v.get("aud")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
