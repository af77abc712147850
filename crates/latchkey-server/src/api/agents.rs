//! Per-organization agent governance (latchkey extensions, docs/resources.md): the
//! organization's installed agents (every client any member authorized, however it was
//! registered, with who granted what at which resource and when it was last used) and the
//! one call that revokes a client for the whole organization.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use latchkey_core::oauth::resource::consent as resource_consent;
use latchkey_store::ConsentRow;
use latchkey_types::{ConnectedApp, ResourceServer};
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::Project;
use super::events::{actions, api_actor, event};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct AgentsResponse {
    pub organization_id: String,
    pub agents: Vec<Value>,
}

/// `GET /v1/b2b/organizations/{organization_id}/connected_apps/agents`.
pub async fn installed(
    State(state): State<AppState>,
    project: Project,
    Path(org_key): Path<String>,
) -> ApiResult<AgentsResponse> {
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let consents = state
        .store
        .organization_consents(&project.project_id, &org.organization_id)
        .await?;
    let activity: BTreeMap<String, i64> = state
        .store
        .organization_client_activity(&org.organization_id)
        .await?
        .into_iter()
        .collect();
    let approvals: BTreeMap<String, String> = state
        .store
        .organization_client_approvals(&org.organization_id)
        .await?
        .into_iter()
        .map(|a| (a.client_id, a.status))
        .collect();
    let mut by_client: BTreeMap<&str, Vec<&ConsentRow>> = BTreeMap::new();
    for c in &consents {
        by_client.entry(&c.client_id).or_default().push(c);
    }
    let resources = if consents
        .iter()
        .any(|c| c.scopes.iter().any(|s| s.contains('#')))
    {
        state
            .store
            .project_resource_servers(&project.project_id)
            .await?
    } else {
        Vec::new()
    };
    let mut agents = Vec::with_capacity(by_client.len());
    for (client_id, grants) in by_client {
        let Some(app) = state
            .store
            .get_connected_app(&project.project_id, client_id)
            .await?
        else {
            continue;
        };
        let mut view = agent_view(&app, &grants, &resources, activity.get(client_id));
        // branch h11: the organization's approval of the client, where it has one.
        view["approval_status"] = json!(approvals.get(client_id));
        agents.push(view);
    }
    Ok(ok(AgentsResponse {
        organization_id: org.organization_id,
        agents,
    }))
}

fn agent_view(
    app: &ConnectedApp,
    grants: &[&ConsentRow],
    registered: &[ResourceServer],
    last_token_expires_at: Option<&i64>,
) -> Value {
    let mut scopes = BTreeSet::new();
    let mut at: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let members: Vec<Value> = grants
        .iter()
        .map(|g| {
            let (plain, by_resource) = resource_consent::split(&g.scopes);
            scopes.extend(plain.iter().cloned());
            for (r, s) in &by_resource {
                at.entry(r.clone()).or_default().extend(s.iter().cloned());
            }
            json!({"member_id": g.member_id, "scopes": plain, "resources": resources_json(&by_resource),
                   "authorized_at": g.created_at, "updated_at": g.updated_at})
        })
        .collect();
    let resources: Vec<Value> = at
        .iter()
        .map(|(url, s)| {
            let r = registered.iter().find(|r| &r.url == url);
            json!({"resource": url, "name": r.map(|r| r.name.clone()), "scopes": s,
                   "access_token_expiry_minutes": r.and_then(|r| r.access_token_expiry_minutes)
                       .unwrap_or(app.access_token_expiry_minutes)})
        })
        .collect();
    json!({
        "connected_app_id": app.client_id,
        "name": app.client_name,
        "client_type": app.client_type,
        "creation_method": app.creation_method,
        // branch h11: pre_registered, cimd or dcr (latchkey_core::oauth::agent_policy).
        "registration_path": latchkey_core::oauth::agent_policy::RegistrationPath::classify(
            &app.client_id, &app.creation_method, app.client_id_metadata_url.as_deref()).as_str(),
        "client_id_metadata_url": app.client_id_metadata_url,
        "host": host_of(app),
        "access_token_expiry_minutes": app.access_token_expiry_minutes,
        "members": members,
        "scopes": scopes,
        "resources": resources,
        "last_authorized_at": grants.iter().map(|g| g.updated_at).max(),
        "last_access_token_expires_at": last_token_expires_at,
    })
}

fn resources_json(by_resource: &BTreeMap<String, Vec<String>>) -> Value {
    by_resource
        .iter()
        .map(|(resource, scopes)| json!({"resource": resource, "scopes": scopes}))
        .collect()
}

/// Where the client lives: its metadata document's host (CIMD), else its first redirect URL's.
fn host_of(app: &ConnectedApp) -> Option<String> {
    app.client_id_metadata_url
        .iter()
        .chain(app.redirect_urls.iter())
        .find_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_string))
}

#[derive(Serialize)]
pub struct RevokeResponse {
    pub connected_app_id: String,
    /// How many members' consents ended.
    pub revoked_members: u64,
}

/// `POST /v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}/revoke`:
/// every member's consent, refresh token and access token at once (introspection and
/// userinfo see it immediately; resources validating JWTs locally when the token expires).
pub async fn revoke(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(addr): ClientAddress,
    Path((org_key, client_id)): Path<(String, String)>,
) -> ApiResult<RevokeResponse> {
    let pid = &project.project_id;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    state
        .store
        .get_connected_app(pid, &client_id)
        .await?
        .ok_or_else(latchkey_core::connected_app::not_found)?;
    let (org_id, actor) = (&org.organization_id, api_actor(pid, None));
    let action = actions::ORGANIZATION_REVOKED;
    let e = event(&state, pid, org_id, &client_id, action, actor, addr);
    let revoked_members = state
        .store
        .revoke_organization_client(org_id, &client_id, e.created_at, Some(&e))
        .await?;
    crate::audit::log(&e);
    Ok(ok(RevokeResponse {
        connected_app_id: client_id,
        revoked_members,
    }))
}
