//! Consent management (Stytch §12): the Connected Apps a member has authorized, revoking one
//! (which revokes its refresh tokens and makes its access tokens inactive), and the
//! organization-wide views.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use latchkey_core::oauth::resource::consent as resource_consent;
use latchkey_core::ApiError;
use latchkey_store::MemberLookup;
use latchkey_types::ConnectedApp;
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::Project;
use super::member_auth::{check, MemberActor};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, Stytch};
use crate::state::AppState;
use latchkey_core::rbac::Operation;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct MemberAppsResponse {
    pub connected_apps: Vec<Value>,
}

async fn apps_by_id(
    state: &AppState,
    project_id: &str,
    ids: impl Iterator<Item = String>,
) -> Result<BTreeMap<String, ConnectedApp>, ApiFailure> {
    let mut out = BTreeMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(app) = state.store.get_connected_app(project_id, &id).await? {
            out.insert(id, app);
        }
    }
    Ok(out)
}

/// `GET /v1/b2b/organizations/{organization_id}/members/{member_id}/connected_apps`.
pub async fn member_apps(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, member_key)): Path<(String, String)>,
) -> ApiResult<MemberAppsResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&member_key),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    let op = Operation::MemberConnectedApps;
    let pid = &project.project_id;
    check(
        acting.as_ref(),
        &state,
        pid,
        &org,
        Some(&member.member_id),
        op,
    )
    .await?;
    let grants = state
        .store
        .member_consents(&project.project_id, &member.member_id)
        .await?;
    let apps = apps_by_id(
        &state,
        &project.project_id,
        grants.iter().map(|g| g.client_id.clone()),
    )
    .await?;
    let connected_apps = grants
        .iter()
        .filter_map(|g| {
            apps.get(&g.client_id).map(|a| {
                let (plain, by_resource) = resource_consent::split(&g.scopes);
                with_resources(json!({
                    "connected_app_id": a.client_id, "name": a.client_name, "description": a.client_description,
                    "client_type": a.client_type, "scopes_granted": plain.join(" "), "logo_url": a.logo_url.clone().unwrap_or_default(),
                }), &by_resource)
            })
        })
        .collect();
    Ok(ok(MemberAppsResponse { connected_apps }))
}

/// Adds the scopes per resource server (RFC 8707; a latchkey extension to Stytch's consent
/// views) as `resources: [{resource, scopes}]`, only when the member named resources.
fn with_resources(mut v: Value, by_resource: &BTreeMap<String, Vec<String>>) -> Value {
    if !by_resource.is_empty() {
        v["resources"] = by_resource
            .iter()
            .map(|(resource, scopes)| json!({"resource": resource, "scopes": scopes}))
            .collect();
    }
    v
}

#[derive(Serialize)]
pub struct Empty {}

/// `POST .../members/{member_id}/connected_apps/{connected_app_id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    ClientAddress(addr): ClientAddress,
    Path((org_key, member_key, client_id)): Path<(String, String, String)>,
) -> ApiResult<Empty> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&member_key),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    let op = Operation::MemberConnectedAppRevoke;
    let pid = &project.project_id;
    check(
        acting.as_ref(),
        &state,
        pid,
        &org,
        Some(&member.member_id),
        op,
    )
    .await?;
    state
        .store
        .get_connected_app(&project.project_id, &client_id)
        .await?
        .ok_or_else(latchkey_core::connected_app::not_found)?;
    let who = super::events::api_actor(pid, acting.as_ref());
    let action = super::events::actions::MEMBER_REVOKED;
    let org_id = &org.organization_id;
    let mut e = super::events::event(&state, pid, org_id, &client_id, action, who, addr);
    e.details
        .insert("member_id".into(), member.member_id.clone().into());
    state
        .store
        .revoke_consent(&member.member_id, &client_id, e.created_at, Some(&e))
        .await?;
    crate::audit::log(&e);
    Ok(ok(Empty {}))
}

/// `GET /v1/b2b/organizations/{organization_id}/connected_apps`: apps any member authorized.
pub async fn org_apps(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path(org_key): Path<String>,
) -> ApiResult<MemberAppsResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let op = Operation::OrganizationConnectedApps;
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    let grants = state
        .store
        .organization_consents(&project.project_id, &org.organization_id)
        .await?;
    let apps = apps_by_id(
        &state,
        &project.project_id,
        grants.iter().map(|g| g.client_id.clone()),
    )
    .await?;
    let connected_apps = apps
        .values()
        .map(|a| json!({"connected_app_id": a.client_id, "name": a.client_name, "description": a.client_description,
                        "client_type": a.client_type, "logo_url": a.logo_url.clone().unwrap_or_default()}))
        .collect();
    Ok(ok(MemberAppsResponse { connected_apps }))
}

#[derive(Serialize)]
pub struct OrgAppResponse {
    pub connected_app_id: String,
    pub name: String,
    pub description: String,
    pub client_type: String,
    pub logo_url: String,
    pub active_members: Vec<Value>,
}

/// `GET /v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}`.
pub async fn org_app(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, client_id)): Path<(String, String)>,
) -> ApiResult<OrgAppResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let op = Operation::OrganizationConnectedApps;
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    let app = state
        .store
        .get_connected_app(&project.project_id, &client_id)
        .await?
        .ok_or_else(latchkey_core::connected_app::not_found)?;
    let grants = state
        .store
        .organization_consents(&project.project_id, &org.organization_id)
        .await?;
    let active_members = grants
        .iter()
        .filter(|g| g.client_id == client_id)
        .map(|g| {
            let (plain, by_resource) = resource_consent::split(&g.scopes);
            with_resources(
                json!({"member_id": g.member_id, "granted_scopes": plain}),
                &by_resource,
            )
        })
        .collect();
    Ok(ok(OrgAppResponse {
        connected_app_id: app.client_id,
        name: app.client_name,
        description: app.client_description,
        client_type: app.client_type,
        logo_url: app.logo_url.unwrap_or_default(),
        active_members,
    }))
}
