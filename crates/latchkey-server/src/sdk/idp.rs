//! `/sdk/v1` Connected Apps: the consent preflight and submit of a customer's own
//! Authorization URL page (`HeadlessB2BIDPClient.oauthAuthorizeStart` / `oauthAuthorizeSubmit`,
//! <https://stytch.com/docs/connected-apps/build-custom-flow/getting-started-sdk>), and the
//! member's and organization's Connected Apps views and revocation; and the OIDC logout
//! preflight (`oauthLogoutStart`), which shares the hosted `/oauth2/logout` page's rules
//! (`crate::oauth::logout`). The member is always the caller's session: the SDK body may not
//! name one (`organization_id` + `member_id` of the management API would let a public token act
//! for anyone).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use latchkey_core::ApiError;
use latchkey_types::AuthorizeRequest;
use serde::Deserialize;
use serde_json::json;

use super::b2b::{me, project};
use super::transport::{data, wrap, SdkCaller, SdkResult};
use crate::api::{consents, idp};
use crate::client_address::ClientAddress;
use crate::envelope::{ApiFailure, ApiJson};
use crate::oauth::logout::{self, LogoutFailure, LogoutRequest};
use crate::sessions::{self, Credential};
use crate::state::AppState;

/// What `oauthAuthorizeStart` / `oauthAuthorizeSubmit` send.
#[derive(Deserialize)]
pub struct Authorize {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scopes: Option<Vec<String>>,
    prompt: Option<String>,
    consent_granted: Option<bool>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    resources: Option<Vec<String>>,
}

impl Authorize {
    fn for_session(self, session_token: &str) -> AuthorizeRequest {
        AuthorizeRequest {
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            response_type: self.response_type,
            scopes: self.scopes,
            session_token: Some(session_token.to_owned()),
            prompt: self.prompt,
            consent_granted: self.consent_granted,
            state: self.state,
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            resources: self.resources,
            ..Default::default()
        }
    }
}

/// `POST /sdk/v1/idp/b2b/oauth/authorize/start`: the API's preflight for the caller's session.
pub async fn authorize_start(
    State(state): State<AppState>,
    caller: SdkCaller,
    addr: ClientAddress,
    ApiJson(b): ApiJson<Authorize>,
) -> SdkResult {
    let req = b.for_session(caller.session()?);
    wrap(idp::start(State(state), project(&caller), addr, ApiJson(req)).await)
}

/// `POST /sdk/v1/idp/b2b/oauth/authorize/submit` (and `/sdk/v1/b2b/oauth/authorize`, the SDK's
/// form-post target, see `super::form`): the API's submit for the caller's session.
pub async fn authorize_submit(
    State(state): State<AppState>,
    caller: SdkCaller,
    addr: ClientAddress,
    headers: HeaderMap,
    ApiJson(b): ApiJson<Authorize>,
) -> SdkResult {
    let req = b.for_session(caller.session()?);
    wrap(idp::submit(State(state), project(&caller), addr, headers, ApiJson(req)).await)
}

/// `GET /sdk/v1/b2b/organizations/members/connected_apps`: `self.getConnectedApps`.
pub async fn my_apps(State(state): State<AppState>, caller: SdkCaller) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, l.member.member_id));
    wrap(consents::member_apps(State(state), project(&caller), actor, path).await)
}

/// `POST /sdk/v1/b2b/organizations/members/connected_apps/{id}/revoke`: `self.revokeConnectedApp`.
pub async fn my_app_revoke(
    State(state): State<AppState>,
    caller: SdkCaller,
    addr: ClientAddress,
    Path(app): Path<String>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, l.member.member_id, app));
    wrap(consents::revoke(State(state), project(&caller), actor, addr, path).await)
}

/// `GET /sdk/v1/b2b/organizations/members/{member_id}/connected_apps`.
pub async fn member_apps(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(member_id): Path<String>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, member_id));
    wrap(consents::member_apps(State(state), project(&caller), actor, path).await)
}

/// `POST /sdk/v1/b2b/organizations/members/{member_id}/connected_apps/{id}/revoke`.
pub async fn member_app_revoke(
    State(state): State<AppState>,
    caller: SdkCaller,
    addr: ClientAddress,
    Path((member_id, app)): Path<(String, String)>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, member_id, app));
    wrap(consents::revoke(State(state), project(&caller), actor, addr, path).await)
}

/// `GET /sdk/v1/b2b/organizations/connected_apps`.
pub async fn organization_apps(State(state): State<AppState>, caller: SdkCaller) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path(l.org.organization_id);
    wrap(consents::org_apps(State(state), project(&caller), actor, path).await)
}

/// `GET /sdk/v1/b2b/organizations/connected_apps/{connected_app_id}`.
pub async fn organization_app(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(app): Path<String>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, app));
    wrap(consents::org_app(State(state), project(&caller), actor, path).await)
}

/// What `oauthLogoutStart` sends (the query of the RP's logout request, §2).
#[derive(Deserialize)]
pub struct LogoutStart {
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    id_token_hint: Option<String>,
}

impl LogoutStart {
    /// The request, once it has what the SDK's logout screen requires.
    fn checked(&self) -> Result<LogoutRequest<'_>, ApiError> {
        let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).is_some();
        if !given(&self.post_logout_redirect_uri) {
            return Err(ApiError::missing_field("post_logout_redirect_uri"));
        }
        if !given(&self.client_id) && !given(&self.id_token_hint) {
            return Err(ApiError::missing_field("client_id"));
        }
        Ok(LogoutRequest {
            id_token_hint: self.id_token_hint.as_deref(),
            client_id: self.client_id.as_deref(),
            post_logout_redirect_uri: self.post_logout_redirect_uri.as_deref(),
            state: self.state.as_deref(),
        })
    }
}

/// `POST /sdk/v1/b2b/oauth/logout/start`: `idp.oauthLogoutStart`, the hosted logout page's
/// checks for the caller's session: `redirect_uri` (the registered `post_logout_redirect_uri`
/// with `state`) and `consent_required` (false only when a verified `id_token_hint` names the
/// session's member, or there is no session to end). It ends nothing: the SDK revokes the
/// session itself (`session.revoke`) before it navigates. No session is needed: a signed-out
/// browser still follows the RP's logout redirect, as on the hosted page.
pub async fn logout_start(
    State(state): State<AppState>,
    caller: SdkCaller,
    headers: HeaderMap,
    ApiJson(b): ApiJson<LogoutStart>,
) -> SdkResult {
    let req = b.checked()?;
    let t = logout::target(&state, &headers, req, Some(&caller.project_id))
        .await
        .map_err(|e| match e {
            LogoutFailure::Refused(r) => ApiFailure(r.api_error()),
            LogoutFailure::Api(a) => a,
        })?;
    let session = match caller.session_token.as_deref() {
        None => None,
        Some(tok) => {
            match sessions::resolve(&state, &caller.project_id, Credential::Token(tok)).await {
                Ok(l) => Some(l.record),
                Err(ApiFailure(e)) if e.status < 500 => None,
                Err(e) => return Err(e),
            }
        }
    };
    data(json!({
        "redirect_uri": t.redirect.as_ref().map(url::Url::as_str),
        "consent_required": t.confirmation_required(session.as_ref()),
    }))
}
