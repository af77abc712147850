//! Project authentication: `Authorization: Basic base64(project_id:secret)` on every management
//! endpoint (Stytch §1.2). Anything else is 401 `unauthorized_credentials`, with the same
//! answer for an unknown project and a wrong secret.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use latchkey_core::ApiError;

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// The authenticated project.
#[derive(Debug, Clone)]
pub struct Project {
    pub project_id: String,
}

impl FromRequestParts<AppState> for Project {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (project_id, secret) = basic_credentials(parts).ok_or_else(ApiError::unauthorized)?;
        let hashes = state.project_secrets(&project_id).await?;
        // Every stored secret is compared (constant time each), so timing does not reveal
        // which one matched.
        let matched = hashes.iter().fold(false, |acc, h| h.matches(&secret) | acc);
        if matched {
            Ok(Project { project_id })
        } else if !state.store.has_projects().await? {
            // A first run (issue 15 item 7): say what to do instead of only "unauthorized".
            // Asked on every failure, so an unknown project and a wrong secret still cost the
            // same.
            Err(ApiError::new(
                401,
                "unauthorized_credentials",
                "Unauthorized credentials. This server holds no project yet: create one with \
                 `latchkey project create --name NAME` and use its project_id and secret.",
            )
            .into())
        } else {
            Err(ApiError::unauthorized().into())
        }
    }
}

/// `(user, password)` of an HTTP Basic `Authorization` header (RFC 7617).
pub fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    basic_from_headers(&parts.headers)
}

/// [`basic_credentials`] of a header map (the frontend SDK surface reads it in a middleware).
pub fn basic_from_headers(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_string(), pass.to_string()))
}
