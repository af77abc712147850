//! Members (https://stytch.com/docs/b2b/api/create-member and siblings): create, get by id or
//! email, update, delete, reactivate, search across organizations, cross-organization get, and
//! delete external id. Member ids may be given as the member's external id.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::{member, search, ApiError};
use latchkey_store::MemberLookup;
use latchkey_types::{
    Member, MemberCreateRequest, MemberSearchRequest, MemberUpdateRequest, Organization,
    ResultsMetadata,
};
use serde::{Deserialize, Serialize};

use super::auth::Project;
use super::member_auth::{check, MemberActor};
use super::organizations::load as load_org;
use crate::envelope::{ok, ApiFailure, ApiJson, ApiQuery, Stytch};
use crate::state::{role_ids, AppState};
use latchkey_core::rbac::Operation;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct MemberResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
}

impl MemberResponse {
    fn new(stored: &Member, org: Organization) -> Self {
        let member = member::render(stored, &org);
        MemberResponse {
            member_id: member.member_id.clone(),
            member,
            organization: org,
        }
    }
}

#[derive(Serialize)]
pub struct DeleteResponse {
    pub member_id: String,
}

#[derive(Serialize)]
pub struct SearchResponse {
    pub members: Vec<Member>,
    pub results_metadata: ResultsMetadata,
    pub organizations: BTreeMap<String, Organization>,
}

/// Query of `GET .../member`: exactly one of the two.
#[derive(Deserialize)]
pub struct GetQuery {
    pub member_id: Option<String>,
    pub email_address: Option<String>,
}

async fn load(
    state: &AppState,
    org: &Organization,
    key: MemberLookup<'_>,
) -> Result<Member, ApiFailure> {
    state
        .store
        .get_member(&org.organization_id, key)
        .await?
        .ok_or_else(|| ApiError::member_not_found().into())
}

/// `POST /v1/b2b/organizations/{organization_id}/members`.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path(org_key): Path<String>,
    ApiJson(req): ApiJson<MemberCreateRequest>,
) -> ApiResult<MemberResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load_org(&state, &project, &org_key).await?;
    let op = Operation::MemberCreate(&req);
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    let id = make_id(
        "member",
        Environment::of_project(&project.project_id),
        state.tokens.uuid(),
    );
    let policy = state.effective_policy(&project.project_id).await?;
    let roles = role_ids(&policy);
    let m = member::create(id, &org, &req, &roles, state.clock.now())?;
    state.store.insert_member(&project.project_id, &m).await?;
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `GET /v1/b2b/organizations/{organization_id}/member?member_id=|email_address=`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path(org_key): Path<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> ApiResult<MemberResponse> {
    let key = match (q.member_id.as_deref(), q.email_address.as_deref()) {
        (Some(id), None) if !id.is_empty() => MemberLookup::IdOrExternalId(id),
        (None, Some(e)) if !e.is_empty() => MemberLookup::Email(e),
        _ => {
            return Err(ApiError::bad_request(
                "bad_request",
                "Exactly one of member_id or email_address must be given.",
            )
            .into())
        }
    };
    let org = load_org(&state, &project, &org_key).await?;
    let m = load(&state, &org, key).await?;
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `PUT /v1/b2b/organizations/{organization_id}/members/{member_id}`.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, member_key)): Path<(String, String)>,
    ApiJson(req): ApiJson<MemberUpdateRequest>,
) -> ApiResult<MemberResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load_org(&state, &project, &org_key).await?;
    let mut m = load(&state, &org, MemberLookup::IdOrExternalId(&member_key)).await?;
    let op = Operation::MemberUpdate(&req);
    let pid = &project.project_id;
    check(acting.as_ref(), &state, pid, &org, Some(&m.member_id), op).await?;
    let policy = state.effective_policy(&project.project_id).await?;
    let roles = role_ids(&policy);
    let old_email = m.email_address.clone();
    member::update(&mut m, &org, &req, &roles, state.clock.now())?;
    // A changed email is unverified again (Stytch); the member's sessions and unused links,
    // made for the old address, end with it in the same transaction (issue 9 #2).
    let updated = if m.email_address == old_email {
        state.store.update_member(&m).await?
    } else {
        state
            .store
            .update_member_ending_sessions(&project.project_id, &m)
            .await?
    };
    if !updated {
        return Err(ApiError::member_not_found().into());
    }
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}`.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, member_key)): Path<(String, String)>,
) -> ApiResult<DeleteResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load_org(&state, &project, &org_key).await?;
    let m = load(&state, &org, MemberLookup::IdOrExternalId(&member_key)).await?;
    let op = Operation::MemberDelete;
    let pid = &project.project_id;
    check(acting.as_ref(), &state, pid, &org, Some(&m.member_id), op).await?;
    if !state
        .store
        .delete_member(&org.organization_id, &m.member_id)
        .await?
    {
        return Err(ApiError::member_not_found().into());
    }
    Ok(ok(DeleteResponse {
        member_id: m.member_id,
    }))
}

/// `PUT .../members/{member_id}/reactivate`: a member becomes `active` again.
pub async fn reactivate(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, member_key)): Path<(String, String)>,
) -> ApiResult<MemberResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load_org(&state, &project, &org_key).await?;
    let mut m = load(&state, &org, MemberLookup::IdOrExternalId(&member_key)).await?;
    let op = Operation::MemberReactivate;
    let pid = &project.project_id;
    check(acting.as_ref(), &state, pid, &org, Some(&m.member_id), op).await?;
    m.status = "active".into();
    m.updated_at = latchkey_core::clock::rfc3339(state.clock.now());
    state.store.update_member(&m).await?;
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `DELETE .../members/{member_id}/external_id`.
pub async fn delete_external_id(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path((org_key, member_key)): Path<(String, String)>,
) -> ApiResult<MemberResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = load_org(&state, &project, &org_key).await?;
    let mut m = load(&state, &org, MemberLookup::IdOrExternalId(&member_key)).await?;
    let op = Operation::MemberDeleteExternalId;
    let pid = &project.project_id;
    check(acting.as_ref(), &state, pid, &org, Some(&m.member_id), op).await?;
    m.external_id = None;
    m.updated_at = latchkey_core::clock::rfc3339(state.clock.now());
    state.store.update_member(&m).await?;
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `GET /v1/b2b/organizations/members/dangerously_get/{member_id}`: a member of any
/// organization of the project.
pub async fn dangerously_get(
    State(state): State<AppState>,
    project: Project,
    Path(member_id): Path<String>,
) -> ApiResult<MemberResponse> {
    let m = state
        .store
        .get_member_in_project(&project.project_id, &member_id)
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    let org = load_org(&state, &project, &m.organization_id).await?;
    Ok(ok(MemberResponse::new(&m, org)))
}

/// `POST /v1/b2b/organizations/members/search`: members of the given organizations, with those
/// organizations keyed by id.
pub async fn search(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    ApiJson(req): ApiJson<MemberSearchRequest>,
) -> ApiResult<SearchResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org_ids = req.organization_ids.unwrap_or_default();
    if org_ids.is_empty() {
        return Err(ApiError::missing_field("organization_ids").into());
    }
    if let Some(a) = &acting {
        // A member searches only their own organization (tenancy), with `stytch.member:search`.
        for key in &org_ids {
            let org = load_org(&state, &project, key).await?;
            let op = Operation::MembersSearch;
            a.authorize(&state, &project.project_id, &org, None, op)
                .await?;
        }
    }
    if org_ids.len() > 1000 {
        return Err(
            ApiError::invalid_field("organization_ids", "may hold at most 1000 ids").into(),
        );
    }
    let q = search::members(req.query.as_ref(), req.cursor.as_deref(), req.limit)?;
    let orgs: BTreeMap<String, Organization> = state
        .store
        .get_organizations(&project.project_id, &org_ids)
        .await?
        .into_iter()
        .map(|o| (o.organization_id.clone(), o))
        .collect();
    let known: Vec<String> = orgs.keys().cloned().collect();
    let page = state
        .store
        .search_members(&project.project_id, &known, &q)
        .await?;
    let members = page
        .items
        .iter()
        .filter_map(|m| orgs.get(&m.organization_id).map(|o| member::render(m, o)))
        .collect();
    Ok(ok(SearchResponse {
        members,
        results_metadata: ResultsMetadata {
            total: page.total,
            next_cursor: page.next_after.map(search::encode_cursor),
        },
        organizations: orgs,
    }))
}
