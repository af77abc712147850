//! The authorization request in progress, kept server-side: the browser holds only a random id
//! in an `HttpOnly` cookie, the database the request's parameters and the login's progress
//! (keyed by the id's SHA-256 hash). Nothing a form posts is trusted for the request itself:
//! forms carry only a CSRF token, the email, the organization chosen or the password.

use axum::http::HeaderMap;
use base64::Engine;
use latchkey_core::oauth::{Interaction, Prompt};
use latchkey_core::secret::SecretHash;
use latchkey_store::PendingAuthorization;
use latchkey_types::AuthorizeRequest;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::cookies;
use crate::envelope::ApiFailure;
use crate::state::AppState;

/// A sign-in may take this long (time to read a magic link mail included).
pub const LIFETIME_SECS: i64 = 30 * 60;

/// The request's parameters and the login's progress (stored as JSON; fields added later
/// default, so rows written by an older version still load).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// `consent` or nothing: what Start / Submit are told.
    pub prompt: Option<String>,
    /// `prompt=none`, `prompt=login`/`select_account`, `max_age` ([`Interaction`]).
    pub silent: bool,
    pub force_login: bool,
    pub max_age: Option<u64>,
    /// An email address the client suggested (OIDC `login_hint`): prefills the email step.
    pub login_hint: Option<String>,
    pub resources: Vec<String>,
    /// Every form of this request must echo it.
    pub csrf_token: String,
    /// The email typed on the first step.
    pub email: Option<String>,
    /// The organization chosen (or the only one).
    pub organization_id: Option<String>,
    /// PKCE verifier binding the magic link mailed for this request to this browser.
    pub magic_link_verifier: Option<String>,
    pub magic_link_sent: bool,
    /// "Forgot password?" (issue 13 item 5): the PKCE verifier binding the reset link mailed
    /// for this request to this browser, and whether it was sent.
    pub reset_verifier: Option<String>,
    pub reset_sent: bool,
    /// Issue 13 item 5: an email sign-in code was sent for this request (the code step shows).
    pub email_code_sent: bool,
    /// An SMS code was sent for the second-factor step (`ui::mfa_sms`).
    pub mfa_sms_sent: bool,
    /// The member signed in during this request (so `prompt=login` / `max_age` are satisfied).
    pub logged_in_here: bool,
    /// A device request (RFC 8628) being approved: the hash of its user code. The decision
    /// goes to the polling device, not to a redirect URI (`redirect_uri` is empty).
    pub device: Option<String>,
    /// The intermediate session of a primary factor whose organization requires MFA: the
    /// second-factor step (`ui::mfa`) exchanges it. Kept only in this server-side row, which
    /// only the browser's cookie names; it is no session, and it expires in 10 minutes.
    pub mfa_intermediate: Option<String>,
}

impl PendingRequest {
    /// The interaction the client asked for.
    pub fn interaction(&self) -> Interaction {
        Interaction {
            prompt: if self.prompt.as_deref() == Some("consent") {
                Prompt::Consent
            } else {
                Prompt::Default
            },
            silent: self.silent,
            force_login: self.force_login,
            max_age: self.max_age,
        }
    }
}

/// A loaded pending request.
pub struct Pending {
    id_hash: String,
    pub project_id: String,
    pub req: PendingRequest,
}

impl Pending {
    /// The form's token matches this request's (constant time).
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        let expected = self.req.csrf_token.as_bytes();
        token.is_some_and(|t| !expected.is_empty() && bool::from(t.as_bytes().ct_eq(expected)))
    }

    /// Where the decision goes.
    pub fn via(&self) -> crate::api::idp::Via {
        if self.req.device.is_some() {
            crate::api::idp::Via::Device
        } else {
            crate::api::idp::Via::Redirect
        }
    }

    /// The request as Stytch's authorize Start / Submit take it, for the member of `session_token`.
    pub fn authorize_request(
        &self,
        session_token: &str,
        consent: Option<bool>,
    ) -> AuthorizeRequest {
        let r = &self.req;
        AuthorizeRequest {
            client_id: Some(r.client_id.clone()),
            redirect_uri: Some(r.redirect_uri.clone()).filter(|u| !u.is_empty()),
            response_type: Some("code".into()),
            scopes: Some(r.scopes.clone()),
            session_token: Some(session_token.to_string()),
            prompt: r.prompt.clone(),
            consent_granted: consent,
            state: r.state.clone(),
            nonce: r.nonce.clone(),
            code_challenge: r.code_challenge.clone(),
            resources: Some(r.resources.clone()),
            ..Default::default()
        }
    }
}

/// 256 random bits, base64url.
pub fn random(state: &AppState) -> String {
    let mut b = [0u8; 32];
    state.tokens.fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn encode(req: &PendingRequest) -> Result<String, ApiFailure> {
    serde_json::to_string(req).map_err(|e| {
        tracing::error!(error = %e, "pending request not serializable");
        ApiFailure(latchkey_core::ApiError::internal())
    })
}

/// Stores a new request; returns the id for the cookie.
pub async fn create(
    state: &AppState,
    project_id: &str,
    mut req: PendingRequest,
) -> Result<String, ApiFailure> {
    let id = random(state);
    req.csrf_token = random(state);
    let now = state.clock.now().unix_timestamp();
    state
        .store
        .insert_pending_authorization(&PendingAuthorization {
            id_hash: SecretHash::of(&id).as_str().to_string(),
            project_id: project_id.to_string(),
            data: encode(&req)?,
            expires_at: now + LIFETIME_SECS,
            created_at: now,
        })
        .await?;
    Ok(id)
}

/// The request named by the browser's cookie, if it is still pending.
pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<Pending>, ApiFailure> {
    let Some(id) = cookies::get(headers, cookies::PENDING) else {
        return Ok(None);
    };
    let now = state.clock.now().unix_timestamp();
    let hash = SecretHash::of(&id).as_str().to_string();
    let Some(row) = state.store.pending_authorization(&hash, now).await? else {
        return Ok(None);
    };
    // A row we cannot read is treated as gone (the person starts again).
    let Ok(req) = serde_json::from_str::<PendingRequest>(&row.data) else {
        return Ok(None);
    };
    Ok(Some(Pending {
        id_hash: row.id_hash,
        project_id: row.project_id,
        req,
    }))
}

/// Writes the progress back; false when the request ended meanwhile.
pub async fn save(state: &AppState, p: &Pending) -> Result<bool, ApiFailure> {
    Ok(state
        .store
        .update_pending_authorization(&p.id_hash, &encode(&p.req)?)
        .await?)
}

/// Ends the request; true for exactly one caller, so a decision is acted on once.
pub async fn finish(state: &AppState, p: &Pending) -> Result<bool, ApiFailure> {
    Ok(state.store.delete_pending_authorization(&p.id_hash).await?)
}
