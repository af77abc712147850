//! `/sdk/v1` bootstrap, login, sessions, and the member's own organization and members
//! (`HeadlessB2BPasswordsClient`, `HeadlessB2BSessionClient`, `HeadlessB2BOrganizationClient`,
//! `HeadlessB2BSelfClient` of `@stytch/vanilla-js`). Each handler reads only the fields the
//! SDK sends, then calls the management handler with the caller's session as the acting
//! member, so every decision (login rules, RBAC, tenancy) is the API's own.

use axum::extract::{Path, State};
use latchkey_core::password::StrengthPolicy;
use latchkey_core::ApiError;
use latchkey_types::{
    MemberCreateRequest, MemberSearchRequest, MemberUpdateRequest, OrganizationSettings,
    PasswordAuthenticateRequest, PasswordInput, PasswordStrengthCheckRequest,
    SessionAuthenticateRequest, SessionRevokeRequest,
};
use serde::Deserialize;
use serde_json::json;

use super::transport::{data, wrap, SdkCaller, SdkResult};
use crate::api::auth::Project;
use crate::api::member_auth::MemberActor;
use crate::api::{members, organizations, passwords, sessions as api_sessions};
use crate::client_address::ClientAddress;
use crate::envelope::{ApiFailure, ApiJson, ApiQuery};
use crate::sessions::{self, Credential, Loaded};
use crate::state::AppState;

pub(super) fn project(caller: &SdkCaller) -> Project {
    Project {
        project_id: caller.project_id.clone(),
    }
}

/// The caller's live session (401 without one), and the actor that runs as its member.
pub(super) async fn me(
    state: &AppState,
    caller: &SdkCaller,
) -> Result<(Loaded, MemberActor), ApiFailure> {
    let token = caller.session()?;
    let loaded = sessions::resolve(state, &caller.project_id, Credential::Token(token))
        .await
        .map_err(|ApiFailure(e)| {
            ApiFailure(if e.status < 500 {
                ApiError { status: 401, ..e }
            } else {
                e
            })
        })?;
    Ok((loaded, MemberActor::session_token(token)))
}

/// `GET /sdk/v1/projects/bootstrap/{public_token}`: what `BootstrapDataManager` maps. latchkey
/// has no captcha, DFP, SSO slug pattern or watermark; PKCE is optional for magic links.
pub async fn bootstrap(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(token): Path<String>,
) -> SdkResult {
    if token != caller.public_token {
        return Err(ApiError::new(
            401,
            "invalid_public_token_id",
            "The public token in the path is not the one in the Authorization header.",
        )
        .into());
    }
    let projects = state.store.list_projects().await?;
    let name = projects
        .into_iter()
        .find(|p| p.project_id == caller.project_id)
        .map(|p| p.name);
    let password_config = match &state.config.password_strength_policy {
        StrengthPolicy::Luds(l) => {
            json!({"luds_complexity": l.min_complexity, "luds_minimum_count": l.min_length})
        }
        _ => serde_json::Value::Null,
    };
    let policy = state.effective_policy(&caller.project_id).await?;
    data(json!({
        "project_name": name,
        "disable_sdk_watermark": true,
        "cname_domain": null,
        "email_domains": [],
        "captcha_settings": {"enabled": false},
        "pkce_required_for_email_magic_links": false,
        "pkce_required_for_password_resets": false,
        "pkce_required_for_oauth": false,
        "pkce_required_for_sso": false,
        "slug_pattern": null,
        "create_organization_enabled": false,
        "password_config": password_config,
        "dfp_protected_auth_enabled": false,
        "dfp_protected_auth_mode": null,
        "rbac_policy": policy,
        "siwe_required_for_crypto_wallets": false,
        "vertical": "B2B",
    }))
}

/// `POST /sdk/v1/events`: the SDK's telemetry batches, accepted and dropped (never logged).
pub async fn events() -> SdkResult {
    data(json!({}))
}

/// What `passwords.authenticate` sends.
#[derive(Deserialize)]
pub struct PasswordLogin {
    organization_id: Option<String>,
    email_address: Option<String>,
    password: Option<PasswordInput>,
    session_duration_minutes: Option<i64>,
    locale: Option<String>,
    intermediate_session_token: Option<String>,
}

/// `POST /sdk/v1/b2b/passwords/authenticate`: the API's login; a caller already logged in adds
/// the factor to their session.
pub async fn passwords_authenticate(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(b): ApiJson<PasswordLogin>,
) -> SdkResult {
    let req = PasswordAuthenticateRequest {
        organization_id: b.organization_id,
        email_address: b.email_address,
        password: b.password,
        session_token: caller.session_token.clone(),
        session_duration_minutes: b.session_duration_minutes,
        locale: b.locale,
        intermediate_session_token: b.intermediate_session_token,
        ..Default::default()
    };
    wrap(passwords::authenticate(State(state), project(&caller), ip, ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/passwords/strength_check`.
pub async fn strength_check(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(req): ApiJson<PasswordStrengthCheckRequest>,
) -> SdkResult {
    wrap(passwords::strength_check_handler(State(state), project(&caller), ApiJson(req)).await)
}

#[derive(Deserialize, Default)]
pub struct SessionBody {
    session_duration_minutes: Option<i64>,
}

/// `POST /sdk/v1/b2b/sessions/authenticate`: the caller's own session, optionally extended.
pub async fn sessions_authenticate(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(body): ApiJson<SessionBody>,
) -> SdkResult {
    let minutes = body.session_duration_minutes;
    let req = SessionAuthenticateRequest {
        session_token: Some(caller.session()?.to_owned()),
        session_duration_minutes: minutes,
        ..Default::default()
    };
    wrap(api_sessions::authenticate(State(state), project(&caller), ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/sessions/revoke`: logs the caller out (their own session, no RBAC).
pub async fn sessions_revoke(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
) -> SdkResult {
    let req = SessionRevokeRequest {
        session_token: Some(caller.session()?.to_owned()),
        ..Default::default()
    };
    let none = MemberActor::none();
    wrap(api_sessions::revoke(State(state), project(&caller), ip, none, ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/sessions/revoke/{member_id}`: `revoke-sessions` on `stytch.member`.
pub async fn sessions_revoke_member(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    Path(member_id): Path<String>,
) -> SdkResult {
    let (_, actor) = me(&state, &caller).await?;
    let req = SessionRevokeRequest {
        member_id: Some(member_id),
        ..Default::default()
    };
    wrap(api_sessions::revoke(State(state), project(&caller), ip, actor, ApiJson(req)).await)
}

/// `GET /sdk/v1/b2b/organizations/me`.
pub async fn organization_me(State(state): State<AppState>, caller: SdkCaller) -> SdkResult {
    let (l, _) = me(&state, &caller).await?;
    let org = Path(l.org.organization_id);
    wrap(organizations::get(State(state), project(&caller), org).await)
}

/// `PUT /sdk/v1/b2b/organizations/me`: per field, as the API's member-scoped update.
pub async fn organization_update(
    State(state): State<AppState>,
    caller: SdkCaller,
    ip: ClientAddress,
    ApiJson(req): ApiJson<OrganizationSettings>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let org = Path(l.org.organization_id);
    let p = project(&caller);
    wrap(organizations::update(State(state), p, ip, actor, org, ApiJson(req)).await)
}

/// `DELETE /sdk/v1/b2b/organizations/me`.
pub async fn organization_delete(State(state): State<AppState>, caller: SdkCaller) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let org = Path(l.org.organization_id);
    wrap(organizations::delete(State(state), project(&caller), actor, org).await)
}

/// `GET /sdk/v1/b2b/organizations/members/me`.
pub async fn member_me(State(state): State<AppState>, caller: SdkCaller) -> SdkResult {
    let (l, _) = me(&state, &caller).await?;
    let q = members::GetQuery {
        member_id: Some(l.member.member_id),
        email_address: None,
    };
    let org = Path(l.org.organization_id);
    wrap(members::get(State(state), project(&caller), org, ApiQuery(q)).await)
}

/// `PUT /sdk/v1/b2b/organizations/members/update`: `self.update` (`stytch.self`).
pub async fn member_me_update(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(req): ApiJson<MemberUpdateRequest>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, l.member.member_id));
    let p = project(&caller);
    wrap(members::update(State(state), p, actor, path, ApiJson(req)).await)
}

/// `POST /sdk/v1/b2b/organizations/members`: `stytch.member:create`.
pub async fn member_create(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(req): ApiJson<MemberCreateRequest>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let org = Path(l.org.organization_id);
    wrap(members::create(State(state), project(&caller), actor, org, ApiJson(req)).await)
}

/// `PUT /sdk/v1/b2b/organizations/members/{member_id}`.
pub async fn member_update(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(member_id): Path<String>,
    ApiJson(req): ApiJson<MemberUpdateRequest>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, member_id));
    let p = project(&caller);
    wrap(members::update(State(state), p, actor, path, ApiJson(req)).await)
}

/// `DELETE /sdk/v1/b2b/organizations/members/{member_id}`.
pub async fn member_delete(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(member_id): Path<String>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, member_id));
    wrap(members::delete(State(state), project(&caller), actor, path).await)
}

/// `PUT /sdk/v1/b2b/organizations/members/{member_id}/reactivate`.
pub async fn member_reactivate(
    State(state): State<AppState>,
    caller: SdkCaller,
    Path(member_id): Path<String>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    let path = Path((l.org.organization_id, member_id));
    wrap(members::reactivate(State(state), project(&caller), actor, path).await)
}

/// `POST /sdk/v1/b2b/organizations/me/members/search`: within the caller's organization.
pub async fn members_search(
    State(state): State<AppState>,
    caller: SdkCaller,
    ApiJson(mut req): ApiJson<MemberSearchRequest>,
) -> SdkResult {
    let (l, actor) = me(&state, &caller).await?;
    req.organization_ids = Some(vec![l.org.organization_id]);
    wrap(members::search(State(state), project(&caller), actor, ApiJson(req)).await)
}
