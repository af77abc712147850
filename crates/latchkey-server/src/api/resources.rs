//! Resource servers (a latchkey extension, docs/resources.md): the APIs and MCP servers a
//! project's access tokens can be bound to with RFC 8707 resource indicators. Create, get,
//! update, delete and search under `/v1/connected_apps/resources` with project Basic auth, and
//! each resource's RFC 9728 protected resource metadata, public, for the resource server to
//! serve (or proxy) at its own `/.well-known/oauth-protected-resource`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::oauth::resource;
use latchkey_core::{ids, search};
use latchkey_store::{Conflict, StoreError};
use latchkey_types::{
    ResourceServer, ResourceServerSearchRequest, ResourceServerSettings, ResultsMetadata,
};
use serde::Serialize;
use serde_json::json;

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct ResourceResponse {
    pub resource: ResourceServer,
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub resource_id: String,
}

#[derive(Serialize)]
pub struct SearchResponse {
    pub resources: Vec<ResourceServer>,
    pub results_metadata: ResultsMetadata,
}

fn stored(e: StoreError) -> ApiFailure {
    match e {
        StoreError::Conflict(Conflict::Other) => resource::duplicate_url().into(),
        e => e.into(),
    }
}

async fn load(state: &AppState, project_id: &str, id: &str) -> Result<ResourceServer, ApiFailure> {
    state
        .store
        .get_resource_server(project_id, id)
        .await?
        .ok_or_else(|| resource::not_found().into())
}

/// `POST /v1/connected_apps/resources`.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<ResourceServerSettings>,
) -> ApiResult<ResourceResponse> {
    let env = ids::Environment::of_project(&project.project_id);
    let id = ids::make_id("resource", env, state.tokens.uuid());
    let now = latchkey_core::clock::rfc3339(state.clock.now());
    let r = resource::create(id, &req, &now)?;
    state
        .store
        .insert_resource_server(&project.project_id, &r)
        .await
        .map_err(stored)?;
    state.cache.forget_project_settings(&project.project_id);
    Ok(ok(ResourceResponse { resource: r }))
}

/// `GET /v1/connected_apps/resources/{resource_id}`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path(id): Path<String>,
) -> ApiResult<ResourceResponse> {
    let resource = load(&state, &project.project_id, &id).await?;
    Ok(ok(ResourceResponse { resource }))
}

/// `PUT /v1/connected_apps/resources/{resource_id}`: absent fields are left unchanged.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResourceServerSettings>,
) -> ApiResult<ResourceResponse> {
    let mut r = load(&state, &project.project_id, &id).await?;
    let now = latchkey_core::clock::rfc3339(state.clock.now());
    resource::update(&mut r, &req, &now)?;
    let found = state
        .store
        .update_resource_server(&project.project_id, &r)
        .await
        .map_err(stored)?;
    state.cache.forget_project_settings(&project.project_id);
    if !found {
        return Err(resource::not_found().into());
    }
    Ok(ok(ResourceResponse { resource: r }))
}

/// `DELETE /v1/connected_apps/resources/{resource_id}`. Tokens already minted for it stay
/// valid until they expire; nothing new is minted for it (refreshes answer `invalid_target`).
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    Path(id): Path<String>,
) -> ApiResult<DeleteResponse> {
    if !state
        .store
        .delete_resource_server(&project.project_id, &id)
        .await?
    {
        return Err(resource::not_found().into());
    }
    state.cache.forget_project_settings(&project.project_id);
    Ok(ok(DeleteResponse { resource_id: id }))
}

/// `POST /v1/connected_apps/resources/search`: cursor-paginated; `url` finds one resource by
/// its URL (any form of it: it is canonicalized first).
pub async fn search(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<ResourceServerSearchRequest>,
) -> ApiResult<SearchResponse> {
    let q = search::paging(req.cursor.as_deref(), req.limit)?;
    let url = match req.url.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => Some(resource::canonical_url(u).map_err(latchkey_core::ApiError::from)?),
        None => None,
    };
    let page = state
        .store
        .search_resource_servers(&project.project_id, url.as_deref(), &q)
        .await?;
    Ok(ok(SearchResponse {
        resources: page.items,
        results_metadata: ResultsMetadata {
            total: page.total,
            next_cursor: page.next_after.map(search::encode_cursor),
        },
    }))
}

/// `GET /v1/connected_apps/resources/{resource_id}/oauth-protected-resource`: the RFC 9728 §2
/// document for the resource, public (the resource id is not a secret: the document is what
/// the resource server publishes anyway). Unknown ids are an OAuth-style 404.
pub async fn metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, crate::oauth::envelope::OAuthFailure> {
    let Some(r) = state.store.find_resource_server(&id).await? else {
        return Ok(not_found_json());
    };
    let issuer = crate::issuer::issuer(&state, &headers)?;
    let scopes: Vec<&str> = r.scopes.iter().map(|s| s.scope.as_str()).collect();
    let doc = json!({
        "resource": r.url,
        "resource_name": r.name,
        "authorization_servers": [issuer],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
    });
    Ok(axum::response::IntoResponse::into_response(axum::Json(doc)))
}

/// Every resource of the project, through the read cache (`cache.rs`).
pub async fn registered(
    state: &AppState,
    project_id: &str,
) -> Result<std::sync::Arc<Vec<ResourceServer>>, latchkey_store::StoreError> {
    state
        .cache
        .resources(project_id, state.store.project_resource_servers(project_id))
        .await
}

/// The registered resources an authorization request names (RFC 8707 §2), for Start, Submit
/// and the hosted page. Nothing is read when the request names none, so the code flow of
/// projects that do not use resources costs what it did.
pub async fn authorization_targets(
    state: &AppState,
    project_id: &str,
    requested: &[String],
) -> Result<Vec<ResourceServer>, ApiFailure> {
    if requested.is_empty() {
        return Ok(Vec::new());
    }
    let registered = registered(state, project_id).await?;
    resource::resolve_targets(requested, &registered)
        .map_err(|e| latchkey_core::ApiError::from(e).into())
}

fn not_found_json() -> Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "not_found", "error_description": "No such resource."})),
    )
        .into_response()
}

/// RFC 9728 documents are read by browser-based clients too: any origin, no credentials.
pub fn public_cors() -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET])
}
