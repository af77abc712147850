//! Organizations (https://stytch.com/docs/b2b/api/create-organization and siblings): create,
//! get, update, delete, search, metrics, delete external id. Wherever an `organization_id` is
//! taken, its slug or external id is accepted too.

use axum::extract::{Path, State};
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::{organization, search, ApiError};
use latchkey_store::{Conflict, StoreError};
use latchkey_types::{
    Organization, OrganizationSearchRequest, OrganizationSettings, ResultsMetadata,
};
use serde::Serialize;

use super::auth::Project;
use super::member_auth::{check, MemberActor};
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::{role_ids, AppState};
use latchkey_core::rbac::Operation;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct OrganizationResponse {
    pub organization: Organization,
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub organization_id: String,
}

#[derive(Serialize)]
pub struct SearchResponse {
    pub organizations: Vec<Organization>,
    pub results_metadata: ResultsMetadata,
}

#[derive(Serialize)]
pub struct MetricsResponse {
    pub member_count: i64,
}

/// Loads an organization of the project by id, slug or external id, or 404.
pub async fn load(
    state: &AppState,
    project: &Project,
    key: &str,
) -> Result<Organization, ApiFailure> {
    state
        .store
        .get_organization(&project.project_id, key)
        .await?
        .ok_or_else(|| ApiError::organization_not_found().into())
}

/// `POST /v1/b2b/organizations`. Without a slug, one is derived from the name; if that one is
/// taken, a random suffix is added.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OrganizationSettings>,
) -> ApiResult<OrganizationResponse> {
    let env = Environment::of_project(&project.project_id);
    let policy = state.effective_policy(&project.project_id).await?;
    let roles = role_ids(&policy);
    for attempt in 0..3 {
        let id = make_id("organization", env, state.tokens.uuid());
        let suffix =
            (attempt > 0).then(|| state.tokens.uuid().simple().to_string()[..6].to_string());
        let fallback = |name: &str| match &suffix {
            Some(s) => format!("{}-{s}", organization::slugify(name)),
            None => organization::slugify(name),
        };
        let org = organization::create(id, &req, fallback, &roles, state.clock.now())?;
        match state
            .store
            .insert_organization(&project.project_id, &org)
            .await
        {
            Ok(()) => return Ok(ok(OrganizationResponse { organization: org })),
            Err(StoreError::Conflict(Conflict::OrganizationSlug))
                if req.organization_slug.is_none() =>
            {
                continue
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict(Conflict::OrganizationSlug).into())
}

/// `GET /v1/b2b/organizations/{organization_id}`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path(key): Path<String>,
) -> ApiResult<OrganizationResponse> {
    let organization = load(&state, &project, &key).await?;
    Ok(ok(OrganizationResponse { organization }))
}

/// `PUT /v1/b2b/organizations/{organization_id}`: absent fields are left unchanged.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    crate::client_address::ClientAddress(ip): crate::client_address::ClientAddress,
    actor: MemberActor,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<OrganizationSettings>,
) -> ApiResult<OrganizationResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let mut org = load(&state, &project, &key).await?;
    let op = Operation::OrganizationUpdate(&req);
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    let policy = state.effective_policy(&project.project_id).await?;
    let roles = role_ids(&policy);
    organization::update(&mut org, &req, &roles, state.clock.now())?;
    if !state
        .store
        .update_organization(&project.project_id, &org)
        .await?
    {
        return Err(ApiError::organization_not_found().into());
    }
    audit_update(&state, &project.project_id, acting.as_ref(), &org, &req, ip).await;
    Ok(ok(OrganizationResponse { organization: org }))
}

/// The audit event of an update (issue 15 item 5), naming the fields the request set (the
/// settings hold no secret; their values are in the organization itself).
async fn audit_update(
    state: &AppState,
    pid: &str,
    acting: Option<&super::member_auth::Acting>,
    org: &Organization,
    req: &OrganizationSettings,
    ip: Option<std::net::IpAddr>,
) {
    use crate::audit::EventExt;
    let fields: Vec<String> = match serde_json::to_value(req) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k)
            .collect(),
        _ => vec![],
    };
    let actor = super::events::api_actor(pid, acting);
    let action = crate::audit::actions::ORGANIZATION_UPDATED;
    let e = crate::audit::event(state, pid, Some(&org.organization_id), action, actor, ip)
        .target("organization", &org.organization_id)
        .detail("fields", fields);
    crate::audit::record(state, e).await;
}

/// `DELETE /v1/b2b/organizations/{organization_id}`: the organization and all its members.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path(key): Path<String>,
) -> ApiResult<DeleteResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load(&state, &project, &key).await?;
    let op = Operation::OrganizationDelete;
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    if !state
        .store
        .delete_organization(&project.project_id, &org.organization_id)
        .await?
    {
        return Err(ApiError::organization_not_found().into());
    }
    Ok(ok(DeleteResponse {
        organization_id: org.organization_id,
    }))
}

/// `DELETE /v1/b2b/organizations/{organization_id}/external_id`.
pub async fn delete_external_id(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path(key): Path<String>,
) -> ApiResult<OrganizationResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let mut org = load(&state, &project, &key).await?;
    let op = Operation::OrganizationDeleteExternalId;
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    org.organization_external_id = None;
    org.updated_at = latchkey_core::clock::rfc3339(state.clock.now());
    if !state
        .store
        .update_organization(&project.project_id, &org)
        .await?
    {
        return Err(ApiError::organization_not_found().into());
    }
    Ok(ok(OrganizationResponse { organization: org }))
}

/// `POST /v1/b2b/organizations/search`.
pub async fn search(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<OrganizationSearchRequest>,
) -> ApiResult<SearchResponse> {
    let q = search::organizations(req.query.as_ref(), req.cursor.as_deref(), req.limit)?;
    let page = state
        .store
        .search_organizations(&project.project_id, &q)
        .await?;
    Ok(ok(SearchResponse {
        organizations: page.items,
        results_metadata: ResultsMetadata {
            total: page.total,
            next_cursor: page.next_after.map(search::encode_cursor),
        },
    }))
}

/// `GET /v1/b2b/organizations/{organization_id}/metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    project: Project,
    Path(key): Path<String>,
) -> ApiResult<MetricsResponse> {
    let org = load(&state, &project, &key).await?;
    let member_count = state.store.count_members(&org.organization_id).await?;
    Ok(ok(MetricsResponse { member_count }))
}
