//! `/sdk/v1` Connected Apps: the consent preflight and submit of a customer's own
//! Authorization URL page (`HeadlessB2BIDPClient.oauthAuthorizeStart` / `oauthAuthorizeSubmit`,
//! <https://stytch.com/docs/connected-apps/build-custom-flow/getting-started-sdk>), and the
//! member's and organization's Connected Apps views and revocation. The member is always the
//! caller's session: the SDK body may not name one (`organization_id` + `member_id` of the
//! management API would let a public token act for anyone).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use latchkey_types::AuthorizeRequest;
use serde::Deserialize;

use super::b2b::{me, project};
use super::transport::{wrap, SdkCaller, SdkResult};
use crate::api::{consents, idp};
use crate::client_address::ClientAddress;
use crate::envelope::ApiJson;
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

/// `POST /sdk/v1/idp/b2b/oauth/authorize/submit`: the API's submit for the caller's session.
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
