//! The identity assertion issuers an organization trusts for enterprise-managed authorization
//! (a latchkey extension, issue 14 items 3 and 7; what Stytch's Cross App Access reads from an
//! organization's OIDC SSO connection, which latchkey does not have yet): create, list, get,
//! update and delete under `/v1/b2b/organizations/{organization_id}/identity_assertion_issuers`
//! with project Basic auth. The rules are `core::oauth::id_jag::issuer`, shared with the CLI.

use axum::extract::{Path, State};
use latchkey_core::oauth::id_jag::issuer as rules;
use latchkey_core::{ids, ApiError};
use latchkey_store::{Conflict, StoreError};
use latchkey_types::{IdentityAssertionIssuer, IdentityAssertionIssuerSettings, Organization};
use serde::Serialize;

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct IssuerResponse {
    pub identity_assertion_issuer: IdentityAssertionIssuer,
}

#[derive(Serialize)]
pub struct ListResponse {
    pub identity_assertion_issuers: Vec<IdentityAssertionIssuer>,
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub issuer_id: String,
}

fn stored(e: StoreError) -> ApiFailure {
    match e {
        StoreError::Conflict(Conflict::Other) => rules::duplicate_issuer().into(),
        e => e.into(),
    }
}

async fn organization(
    state: &AppState,
    project_id: &str,
    organization_id: &str,
) -> Result<Organization, ApiFailure> {
    state
        .store
        .get_organization(project_id, organization_id)
        .await?
        .ok_or_else(|| ApiError::organization_not_found().into())
}

async fn load(
    state: &AppState,
    org: &Organization,
    issuer_id: &str,
) -> Result<IdentityAssertionIssuer, ApiFailure> {
    state
        .store
        .get_assertion_issuer(&org.organization_id, issuer_id)
        .await?
        .ok_or_else(|| rules::not_found().into())
}

/// `POST .../identity_assertion_issuers`.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    Path(organization_id): Path<String>,
    ApiJson(req): ApiJson<IdentityAssertionIssuerSettings>,
) -> ApiResult<IssuerResponse> {
    let org = organization(&state, &project.project_id, &organization_id).await?;
    let env = ids::Environment::of_project(&project.project_id);
    let id = ids::make_id("identity-assertion-issuer", env, state.tokens.uuid());
    let now = latchkey_core::clock::rfc3339(state.clock.now());
    let issuer = rules::create(id, &org.organization_id, &req, &now)?;
    state
        .store
        .insert_assertion_issuer(&project.project_id, &issuer)
        .await
        .map_err(stored)?;
    Ok(ok(IssuerResponse {
        identity_assertion_issuer: issuer,
    }))
}

/// `GET .../identity_assertion_issuers`: oldest first.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
    Path(organization_id): Path<String>,
) -> ApiResult<ListResponse> {
    let org = organization(&state, &project.project_id, &organization_id).await?;
    let identity_assertion_issuers = state.store.assertion_issuers(&org.organization_id).await?;
    Ok(ok(ListResponse {
        identity_assertion_issuers,
    }))
}

/// `GET .../identity_assertion_issuers/{issuer_id}`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path((organization_id, issuer_id)): Path<(String, String)>,
) -> ApiResult<IssuerResponse> {
    let org = organization(&state, &project.project_id, &organization_id).await?;
    let issuer = load(&state, &org, &issuer_id).await?;
    Ok(ok(IssuerResponse {
        identity_assertion_issuer: issuer,
    }))
}

/// `PUT .../identity_assertion_issuers/{issuer_id}`: absent fields are left unchanged.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    Path((organization_id, issuer_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<IdentityAssertionIssuerSettings>,
) -> ApiResult<IssuerResponse> {
    let org = organization(&state, &project.project_id, &organization_id).await?;
    let mut issuer = load(&state, &org, &issuer_id).await?;
    let now = latchkey_core::clock::rfc3339(state.clock.now());
    rules::update(&mut issuer, &req, &now)?;
    if !state
        .store
        .update_assertion_issuer(&issuer)
        .await
        .map_err(stored)?
    {
        return Err(rules::not_found().into());
    }
    Ok(ok(IssuerResponse {
        identity_assertion_issuer: issuer,
    }))
}

/// `DELETE .../identity_assertion_issuers/{issuer_id}`. Tokens already issued from its
/// assertions stay valid until they expire (revoke the client for the organization to end
/// them); no new assertion of it is accepted.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    Path((organization_id, issuer_id)): Path<(String, String)>,
) -> ApiResult<DeleteResponse> {
    let org = organization(&state, &project.project_id, &organization_id).await?;
    if !state
        .store
        .delete_assertion_issuer(&org.organization_id, &issuer_id)
        .await?
    {
        return Err(rules::not_found().into());
    }
    Ok(ok(DeleteResponse { issuer_id }))
}
