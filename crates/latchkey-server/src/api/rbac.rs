//! RBAC (<https://stytch.com/docs/api-reference/b2b/api/rbac/get-policy>): the project's effective
//! policy, Stytch's defaults merged with the operator's (`latchkey rbac set`), spec §15.7; and
//! organization-specific roles (`GET|PUT /v1/b2b/rbac/organizations/{organization_id}`, a Stytch
//! private beta), stored as the Organization object's `custom_roles`.

use axum::extract::{Path, State};
use latchkey_core::clock::rfc3339;
use latchkey_core::oauth::{RbacPolicy, Role};
use latchkey_core::rbac::{validate_org_roles, PolicyError};
use latchkey_core::ApiError;
use latchkey_types::{CustomRole, Permission};
use serde::{Deserialize, Serialize};

use super::auth::Project;
use super::organizations::load as load_org;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// `api_b2b_rbac_v1_PolicyResponse`: `policy{roles, resources, scopes}`.
#[derive(Serialize)]
pub struct PolicyResponse {
    pub policy: RbacPolicy,
}

/// `api_b2b_rbac_v1_OrgPolicy`.
#[derive(Serialize, Deserialize)]
pub struct OrgPolicy {
    pub roles: Vec<CustomRole>,
}

/// `GetOrgPolicyResponse` / `SetOrgPolicyResponse`.
#[derive(Serialize)]
pub struct OrgPolicyResponse {
    pub org_policy: OrgPolicy,
}

/// Raw body of `PUT .../rbac/organizations/{organization_id}` (unknown fields ignored: the
/// Python SDK repeats `organization_id`).
#[derive(Deserialize)]
pub struct SetOrgPolicyRequest {
    pub org_policy: Option<RawOrgPolicy>,
}

#[derive(Deserialize)]
pub struct RawOrgPolicy {
    pub roles: Option<Vec<Role>>,
}

/// `GET /v1/b2b/rbac/policy`.
pub async fn policy(State(state): State<AppState>, project: Project) -> ApiResult<PolicyResponse> {
    let policy = state.effective_policy(&project.project_id).await?;
    Ok(ok(PolicyResponse {
        policy: policy.as_ref().clone(),
    }))
}

/// `GET /v1/b2b/rbac/organizations/{organization_id}`.
pub async fn get_org_policy(
    State(state): State<AppState>,
    project: Project,
    Path(org_key): Path<String>,
) -> ApiResult<OrgPolicyResponse> {
    let org = load_org(&state, &project, &org_key).await?;
    let org_policy = OrgPolicy {
        roles: org.custom_roles,
    };
    Ok(ok(OrgPolicyResponse { org_policy }))
}

/// `PUT /v1/b2b/rbac/organizations/{organization_id}`: replaces all of the organization's roles.
pub async fn set_org_policy(
    State(state): State<AppState>,
    project: Project,
    Path(org_key): Path<String>,
    ApiJson(req): ApiJson<SetOrgPolicyRequest>,
) -> ApiResult<OrgPolicyResponse> {
    let roles = req
        .org_policy
        .and_then(|p| p.roles)
        .ok_or_else(|| ApiError::missing_field("org_policy.roles"))?;
    let policy = state.effective_policy(&project.project_id).await?;
    validate_org_roles(&policy, &roles).map_err(first_error)?;
    let mut org = load_org(&state, &project, &org_key).await?;
    org.custom_roles = roles.into_iter().map(to_custom_role).collect();
    org.updated_at = rfc3339(state.clock.now());
    if !state
        .store
        .update_organization(&project.project_id, &org)
        .await?
    {
        return Err(ApiError::organization_not_found().into());
    }
    let org_policy = OrgPolicy {
        roles: org.custom_roles,
    };
    Ok(ok(OrgPolicyResponse { org_policy }))
}

/// The first error's type; every error's path and message.
fn first_error(errors: Vec<PolicyError>) -> ApiError {
    let message = errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    let error_type = errors.first().map_or("bad_request", |e| e.error_type);
    ApiError::bad_request(error_type, message)
}

fn to_custom_role(r: Role) -> CustomRole {
    CustomRole {
        role_id: r.role_id,
        description: r.description,
        permissions: r
            .permissions
            .into_iter()
            .map(|p| Permission {
                resource_id: p.resource_id,
                actions: p.actions,
            })
            .collect(),
    }
}
