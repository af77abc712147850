//! Stytch M2M clients (issue 14; https://stytch.com/docs/b2b/api/m2m-client): create, get,
//! update, delete, search and secret rotation start / complete / cancel under
//! `/v1/m2m/clients`. `client_secret` appears only in the create response and
//! `next_client_secret` only in the rotate/start response; the store keeps their SHA-256 hashes.
//! Tokens come from the `client_credentials` grant ([`crate::oauth::m2m_token`]).

use axum::extract::{Path, State};
use latchkey_core::{m2m, search};
use latchkey_store::{Conflict, M2MRotationOutcome, NewM2MClient, SecretRotation, StoreError};
use latchkey_types::{
    M2MClient, M2MClientCreateRequest, M2MClientSearchRequest, M2MClientUpdateRequest,
    M2MClientWithClientSecret, M2MClientWithNextClientSecret, ResultsMetadata,
};
use serde::Serialize;

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

pub const CLIENTS: &str = "/v1/m2m/clients";
pub const CLIENT: &str = "/v1/m2m/clients/{client_id}";
pub const SEARCH: &str = "/v1/m2m/clients/search";
pub const ROTATE_START: &str = "/v1/m2m/clients/{client_id}/secrets/rotate/start";
pub const ROTATE: &str = "/v1/m2m/clients/{client_id}/secrets/rotate";
pub const ROTATE_CANCEL: &str = "/v1/m2m/clients/{client_id}/secrets/rotate/cancel";

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct M2MClientResponse<T> {
    pub m2m_client: T,
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub client_id: String,
}

#[derive(Serialize)]
pub struct SearchResponse {
    pub m2m_clients: Vec<M2MClient>,
    pub results_metadata: ResultsMetadata,
}

fn wrap<T>(m2m_client: T) -> Stytch<M2MClientResponse<T>> {
    ok(M2MClientResponse { m2m_client })
}

async fn load(
    state: &AppState,
    project: &Project,
    client_id: &str,
) -> Result<M2MClient, ApiFailure> {
    state
        .store
        .get_m2m_client(&project.project_id, client_id)
        .await?
        .ok_or_else(|| m2m::not_found().into())
}

/// `POST /v1/m2m/clients`: a client id and secret may be imported.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<M2MClientCreateRequest>,
) -> ApiResult<M2MClientResponse<M2MClientWithClientSecret>> {
    let new = m2m::create(&project.project_id, &req, state.tokens.as_ref())?;
    let record = NewM2MClient {
        secret_hash: new.secret.hash(),
        client: new.client,
    };
    match state
        .store
        .insert_m2m_client(&project.project_id, &record)
        .await
    {
        Err(StoreError::Conflict(Conflict::Other)) => return Err(m2m::duplicate_client_id().into()),
        other => other?,
    }
    Ok(wrap(M2MClientWithClientSecret {
        m2m_client: record.client,
        client_secret: new.secret.expose_secret().to_string(),
    }))
}

/// `GET /v1/m2m/clients/{client_id}`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
) -> ApiResult<M2MClientResponse<M2MClient>> {
    Ok(wrap(load(&state, &project, &client_id).await?))
}

/// `PUT /v1/m2m/clients/{client_id}`: absent fields are left unchanged. Deactivating stops new
/// tokens; tokens already issued stay valid until they expire (Stytch).
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
    ApiJson(req): ApiJson<M2MClientUpdateRequest>,
) -> ApiResult<M2MClientResponse<M2MClient>> {
    let mut client = load(&state, &project, &client_id).await?;
    m2m::update(&mut client, &req)?;
    if !state
        .store
        .update_m2m_client(&project.project_id, &client)
        .await?
    {
        return Err(m2m::not_found().into());
    }
    Ok(wrap(load(&state, &project, &client_id).await?))
}

/// `DELETE /v1/m2m/clients/{client_id}`.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<DeleteResponse> {
    if !state
        .store
        .delete_m2m_client(&project.project_id, &client_id)
        .await?
    {
        return Err(m2m::not_found().into());
    }
    Ok(ok(DeleteResponse { client_id }))
}

/// `POST /v1/m2m/clients/search`: filters `client_id`, `client_name`, `scopes`; cursor-paginated
/// in creation order. The project's clients are filtered in memory (M2M clients are few).
pub async fn search(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<M2MClientSearchRequest>,
) -> ApiResult<SearchResponse> {
    let q = search::m2m_clients(req.query.as_ref(), req.cursor.as_deref(), req.limit)?;
    let all = state.store.list_m2m_clients(&project.project_id).await?;
    let hits: Vec<(i64, M2MClient)> = all
        .into_iter()
        .filter(|(_, c)| m2m::matches(c, &q))
        .collect();
    let total = hits.len() as i64;
    let mut page: Vec<(i64, M2MClient)> = hits
        .into_iter()
        .filter(|(seq, _)| *seq > q.after_seq)
        .take(q.limit as usize + 1)
        .collect();
    let more = page.len() as i64 > q.limit;
    page.truncate(q.limit as usize);
    let next = more.then(|| page.last().map(|(s, _)| *s)).flatten();
    Ok(ok(SearchResponse {
        m2m_clients: page.into_iter().map(|(_, c)| c).collect(),
        results_metadata: ResultsMetadata {
            total,
            next_cursor: next.map(search::encode_cursor),
        },
    }))
}

/// `POST .../secrets/rotate/start`: a next secret, shown once; until the rotation completes or
/// is cancelled both secrets authenticate.
pub async fn rotate_start(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<M2MClientResponse<M2MClientWithNextClientSecret>> {
    let next = latchkey_core::connected_app::generate_secret(state.tokens.as_ref());
    let (hash, last_four) = (next.hash(), next.last_four());
    let step = SecretRotation::Start {
        hash: &hash,
        last_four: &last_four,
    };
    let client = rotate(&state, &project, &client_id, step).await?;
    Ok(wrap(M2MClientWithNextClientSecret {
        m2m_client: client,
        next_client_secret: next.expose_secret().to_string(),
    }))
}

/// `POST .../secrets/rotate`: the next secret becomes the current one; the old one stops working.
pub async fn rotate_complete(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<M2MClientResponse<M2MClient>> {
    Ok(wrap(
        rotate(&state, &project, &client_id, SecretRotation::Complete).await?,
    ))
}

/// `POST .../secrets/rotate/cancel`: the next secret is discarded.
pub async fn rotate_cancel(
    State(state): State<AppState>,
    project: Project,
    Path(client_id): Path<String>,
    _body: crate::envelope::ReadBody,
) -> ApiResult<M2MClientResponse<M2MClient>> {
    Ok(wrap(
        rotate(&state, &project, &client_id, SecretRotation::Cancel).await?,
    ))
}

async fn rotate(
    state: &AppState,
    project: &Project,
    client_id: &str,
    step: SecretRotation<'_>,
) -> Result<M2MClient, ApiFailure> {
    match state
        .store
        .rotate_m2m_client_secret(&project.project_id, client_id, step)
        .await?
    {
        M2MRotationOutcome::Done(c) => Ok(*c),
        M2MRotationOutcome::NotFound => Err(m2m::not_found().into()),
        M2MRotationOutcome::Refused(e) => Err(m2m::rotation_error(e).into()),
    }
}
