//! The authorized origins of the project's frontend SDK surface (`/sdk/v1`), managed with the
//! project's credentials (Stytch keeps them in its dashboard, "authorized applications"; this
//! is latchkey's own API for them, mirrored by `latchkey project origins`):
//! `GET /v1/sdk/authorized_origins`, `POST` `{"origin"}` to add one, `DELETE ?origin=` to remove.

use axum::extract::State;
use latchkey_core::{sdk_origin, ApiError};
use serde::{Deserialize, Serialize};

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, ApiQuery, Stytch};
use crate::state::AppState;

pub const PATH: &str = "/v1/sdk/authorized_origins";

#[derive(Serialize)]
pub struct OriginsResponse {
    pub authorized_origins: Vec<String>,
}

#[derive(Deserialize)]
pub struct OriginBody {
    pub origin: Option<String>,
}

fn origin(body: &OriginBody) -> Result<String, ApiFailure> {
    let raw = body
        .origin
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field("origin"))?;
    Ok(sdk_origin::normalize(raw)?)
}

async fn list_of(
    state: &AppState,
    project: &Project,
) -> Result<Stytch<OriginsResponse>, ApiFailure> {
    let authorized_origins = state.store.sdk_origins(&project.project_id).await?;
    Ok(ok(OriginsResponse { authorized_origins }))
}

/// `GET /v1/sdk/authorized_origins`.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
) -> Result<Stytch<OriginsResponse>, ApiFailure> {
    list_of(&state, &project).await
}

/// `POST /v1/sdk/authorized_origins` `{"origin": "https://app.example.com"}` (idempotent).
pub async fn add(
    State(state): State<AppState>,
    project: Project,
    ApiJson(body): ApiJson<OriginBody>,
) -> Result<Stytch<OriginsResponse>, ApiFailure> {
    let o = origin(&body)?;
    let now = state.clock.now().unix_timestamp();
    state
        .store
        .add_sdk_origin(&project.project_id, &o, now)
        .await?;
    list_of(&state, &project).await
}

/// `DELETE /v1/sdk/authorized_origins?origin=...`: 404 when it was not authorized.
pub async fn remove(
    State(state): State<AppState>,
    project: Project,
    ApiQuery(body): ApiQuery<OriginBody>,
) -> Result<Stytch<OriginsResponse>, ApiFailure> {
    let o = origin(&body)?;
    if !state
        .store
        .remove_sdk_origin(&project.project_id, &o)
        .await?
    {
        return Err(ApiError::new(
            404,
            "authorized_origin_not_found",
            format!("{o} is not an authorized origin of this project."),
        )
        .into());
    }
    list_of(&state, &project).await
}
