//! Connected App clients (spec §13.3; https://stytch.com/docs/b2b/api/connected-apps):
//! create, get, update, delete, search and secret rotation start / complete / cancel under
//! `/v1/connected_apps/clients` (no `/b2b/` segment: the same API serves both products).
//! `client_secret` appears only in the create response and `next_client_secret` only in the
//! rotate/start response; the store keeps their SHA-256 hashes.

use axum::extract::{Path, State};
use latchkey_core::connected_app::{self, RotationError};
use latchkey_core::oauth::ClientType;
use latchkey_core::search;
use latchkey_store::{NewConnectedApp, RotationOutcome, SecretRotation};
use latchkey_types::{
    ConnectedApp, ConnectedAppSearchRequest, ConnectedAppSettings, ConnectedAppWithClientSecret,
    ConnectedAppWithNextClientSecret, ResultsMetadata,
};
use serde::Serialize;

use super::auth::Project;
use crate::audit::{actions, EventExt};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct ConnectedAppResponse<T> {
    pub connected_app: T,
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub client_id: String,
}

#[derive(Serialize)]
pub struct SearchResponse {
    pub connected_apps: Vec<ConnectedApp>,
    pub results_metadata: ResultsMetadata,
}

fn wrap<T>(connected_app: T) -> Stytch<ConnectedAppResponse<T>> {
    ok(ConnectedAppResponse { connected_app })
}

/// The audit event of a change to a client, by the project's credentials (issue 15 item 5).
async fn audit(
    state: &AppState,
    project: &Project,
    client_id: &str,
    action: &str,
    step: Option<&str>,
    ip: Option<std::net::IpAddr>,
) {
    let pid = &project.project_id;
    let actor = latchkey_types::AuditParty::new("project", pid);
    let mut e =
        crate::audit::event(state, pid, None, action, actor, ip).target("connected_app", client_id);
    if let Some(step) = step {
        e = e.detail("step", step);
    }
    crate::audit::record(state, e).await;
}

async fn load(
    state: &AppState,
    project: &Project,
    client_id: &str,
) -> Result<ConnectedApp, ApiFailure> {
    state
        .store
        .get_connected_app(&project.project_id, client_id)
        .await?
        .ok_or_else(|| connected_app::not_found().into())
}

/// `POST /v1/connected_apps/clients`.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<ConnectedAppSettings>,
) -> ApiResult<ConnectedAppResponse<ConnectedAppWithClientSecret>> {
    let client_id = connected_app::new_client_id(&project.project_id, state.tokens.as_ref());
    let new = connected_app::create(client_id, &req, state.tokens.as_ref())?;
    let record = NewConnectedApp {
        secret_hash: new.secret.as_ref().map(|s| s.hash()),
        app: new.app,
    };
    state
        .store
        .insert_connected_app(&project.project_id, &record)
        .await?;
    audit(
        &state,
        &project,
        &record.app.client_id,
        actions::CLIENT_CREATED,
        None,
        ip,
    )
    .await;
    Ok(wrap(ConnectedAppWithClientSecret {
        connected_app: record.app,
        client_secret: new.secret.map(|s| s.expose_secret().to_string()),
    }))
}

/// `GET /v1/connected_apps/clients/{client_id}`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
) -> ApiResult<ConnectedAppResponse<ConnectedApp>> {
    Ok(wrap(load(&state, &project, &client_id).await?))
}

/// `PUT /v1/connected_apps/clients/{client_id}`: absent fields are left unchanged.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    Path(client_id): Path<String>,
    ApiJson(req): ApiJson<ConnectedAppSettings>,
) -> ApiResult<ConnectedAppResponse<ConnectedApp>> {
    let mut app = load(&state, &project, &client_id).await?;
    connected_app::update(&mut app, &req)?;
    if !state
        .store
        .update_connected_app(&project.project_id, &app)
        .await?
    {
        return Err(connected_app::not_found().into());
    }
    state.cache.forget_client(&project.project_id, &client_id);
    audit(
        &state,
        &project,
        &client_id,
        actions::CLIENT_UPDATED,
        None,
        ip,
    )
    .await;
    // Re-read so the secret state shown is the current one.
    Ok(wrap(load(&state, &project, &client_id).await?))
}

/// `DELETE /v1/connected_apps/clients/{client_id}`.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<DeleteResponse> {
    if !state
        .store
        .delete_connected_app(&project.project_id, &client_id)
        .await?
    {
        return Err(connected_app::not_found().into());
    }
    state.cache.forget_client(&project.project_id, &client_id);
    audit(
        &state,
        &project,
        &client_id,
        actions::CLIENT_DELETED,
        None,
        ip,
    )
    .await;
    Ok(ok(DeleteResponse { client_id }))
}

/// `POST /v1/connected_apps/clients/search`: every client of the project, cursor-paginated.
pub async fn search(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<ConnectedAppSearchRequest>,
) -> ApiResult<SearchResponse> {
    let q = search::paging(req.cursor.as_deref(), req.limit)?;
    let page = state
        .store
        .search_connected_apps(&project.project_id, &q)
        .await?;
    Ok(ok(SearchResponse {
        connected_apps: page.items,
        results_metadata: ResultsMetadata {
            total: page.total,
            next_cursor: page.next_after.map(search::encode_cursor),
        },
    }))
}

/// `POST /v1/connected_apps/clients/{client_id}/secrets/rotate/start`: a next secret, shown
/// once; until the rotation completes or is cancelled both secrets authenticate.
pub async fn rotate_start(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<ConnectedAppResponse<ConnectedAppWithNextClientSecret>> {
    let app = load(&state, &project, &client_id).await?;
    if ClientType::parse(&app.client_type).is_ok_and(ClientType::is_public) {
        return Err(latchkey_core::ApiError::from(RotationError::PublicClient).into());
    }
    let next = connected_app::generate_secret(state.tokens.as_ref());
    let (hash, last_four) = (next.hash(), next.last_four());
    let step = SecretRotation::Start {
        hash: &hash,
        last_four: &last_four,
    };
    let app = rotate(&state, &project, &client_id, step).await?;
    let step = Some("started");
    audit(
        &state,
        &project,
        &client_id,
        actions::CLIENT_SECRET_ROTATION,
        step,
        ip,
    )
    .await;
    Ok(wrap(ConnectedAppWithNextClientSecret {
        connected_app: app,
        next_client_secret: next.expose_secret().to_string(),
    }))
}

/// `POST /v1/connected_apps/clients/{client_id}/secrets/rotate`: the next secret becomes the
/// current one; the old one stops working.
pub async fn rotate_complete(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<ConnectedAppResponse<ConnectedApp>> {
    let app = rotate(&state, &project, &client_id, SecretRotation::Complete).await?;
    let step = Some("completed");
    audit(
        &state,
        &project,
        &client_id,
        actions::CLIENT_SECRET_ROTATION,
        step,
        ip,
    )
    .await;
    Ok(wrap(app))
}

/// `POST /v1/connected_apps/clients/{client_id}/secrets/rotate/cancel`: the next secret is
/// discarded.
pub async fn rotate_cancel(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<ConnectedAppResponse<ConnectedApp>> {
    let app = rotate(&state, &project, &client_id, SecretRotation::Cancel).await?;
    let step = Some("cancelled");
    audit(
        &state,
        &project,
        &client_id,
        actions::CLIENT_SECRET_ROTATION,
        step,
        ip,
    )
    .await;
    Ok(wrap(app))
}

async fn rotate(
    state: &AppState,
    project: &Project,
    client_id: &str,
    step: SecretRotation<'_>,
) -> Result<ConnectedApp, ApiFailure> {
    let outcome = state
        .store
        .rotate_connected_app_secret(&project.project_id, client_id, step)
        .await?;
    state.cache.forget_client(&project.project_id, client_id);
    match outcome {
        RotationOutcome::Done(app) => Ok(*app),
        RotationOutcome::NotFound => Err(connected_app::not_found().into()),
        RotationOutcome::Refused(e) => Err(latchkey_core::ApiError::from(e).into()),
    }
}
