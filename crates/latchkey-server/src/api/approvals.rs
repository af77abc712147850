//! Admin approval of clients (latchkey extension, issue 11 item 5): where an organization's
//! `client_registration_policy` requires it, a member's first request to authorize a
//! dynamically registered client is recorded as pending and refused
//! (`connected_app_approval_pending`) until an admin approves it; a denial refuses for good
//! (`connected_app_approval_denied`) and ends what members had granted. [`enforce`] is the one
//! check, called by [`super::idp::prepare`] (hosted page, Stytch authorize Start / Submit,
//! `/sdk/v1`); the admin's list, approve and deny take project Basic auth, or a member session
//! whose role may update the organization's Connected Apps settings.

use std::net::IpAddr;

use axum::extract::{Path, State};
use latchkey_core::oauth::agent_policy::{
    self, ApprovalStatus, PathRefusal, RegistrationPath, RegistrationPolicy,
};
use latchkey_core::rbac::Operation;
use latchkey_core::ApiError;
use latchkey_store::ClientApproval;
use latchkey_types::{AuditParty, ConnectedApp, Member, Organization};
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::Project;
use super::events::{actions, api_actor, event};
use super::member_auth::{check, MemberActor};
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, Stytch};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// Who is asking, from where: what [`enforce`] needs beyond the client and organization.
pub struct Asking<'a> {
    pub project_id: &'a str,
    pub member: &'a Member,
    pub addr: Option<IpAddr>,
}

/// The organization's registration-path policy applied to `app` for the asking member: `Ok`
/// when the member may go on to consent. A missing approval is recorded as pending (with its
/// event).
pub async fn enforce(
    state: &AppState,
    app: &ConnectedApp,
    org: &Organization,
    who: &Asking<'_>,
) -> Result<(), ApiFailure> {
    // An unreadable stored policy refuses, it never falls back to "allowed" (fail closed).
    let policy = RegistrationPolicy::of(&org.client_registration_policy).map_err(|e| {
        tracing::error!(error = %e, organization_id = %org.organization_id, "stored client registration policy unreadable");
        ApiError::new(403, "connected_app_not_allowed_for_org", "The organization's client registration policy could not be read, so no self-registered app is allowed.")
    })?;
    let path = RegistrationPath::classify(
        &app.client_id,
        &app.creation_method,
        app.client_id_metadata_url.as_deref(),
    );
    let approval = if policy.needs_approval_record(&path) {
        state
            .store
            .client_approval(&org.organization_id, &app.client_id)
            .await?
            .and_then(|a| ApprovalStatus::parse(&a.status))
    } else {
        None
    };
    let Err(refusal) = agent_policy::decide(&policy, &path, approval) else {
        return Ok(());
    };
    if refusal == PathRefusal::ApprovalPending && approval.is_none() {
        request(state, app, org, who).await?;
    }
    Err(ApiError::new(403, refusal.error_type(), refusal.to_string()).into())
}

/// Records the member's request (the first one only) and its event, in one transaction.
async fn request(
    state: &AppState,
    app: &ConnectedApp,
    org: &Organization,
    who: &Asking<'_>,
) -> Result<(), ApiFailure> {
    let member_id = &who.member.member_id;
    let mut e = event(
        state,
        who.project_id,
        &org.organization_id,
        &app.client_id,
        actions::APPROVAL_REQUESTED,
        AuditParty::new("member", member_id),
        who.addr,
    );
    e.outcome = "pending".into();
    e.details
        .insert("client_name".into(), json!(app.client_name));
    let pending = ClientApproval {
        project_id: who.project_id.to_owned(),
        organization_id: org.organization_id.clone(),
        client_id: app.client_id.clone(),
        status: ApprovalStatus::Pending.as_str().into(),
        requested_by: Some(member_id.clone()),
        requested_at: e.created_at,
        decided_by: None,
        decided_at: None,
    };
    state.store.request_client_approval(&pending, &e).await?;
    crate::audit::log(&e);
    Ok(())
}

fn approval_view(a: &ClientApproval, app: Option<&ConnectedApp>) -> Value {
    json!({
        "connected_app_id": a.client_id,
        "client_name": app.map(|c| c.client_name.clone()),
        "status": a.status,
        "requested_by_member_id": a.requested_by,
        "requested_at": a.requested_at,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at,
    })
}

#[derive(Serialize)]
pub struct ApprovalsResponse {
    pub organization_id: String,
    pub approvals: Vec<Value>,
}

/// `GET /v1/b2b/organizations/{organization_id}/connected_apps/approvals`: pending, approved
/// and denied clients, most recently requested first.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    Path(org_key): Path<String>,
) -> ApiResult<ApprovalsResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let op = Operation::OrganizationConnectedAppApprovals;
    check(acting.as_ref(), &state, &project.project_id, &org, None, op).await?;
    let rows = state
        .store
        .organization_client_approvals(&org.organization_id)
        .await?;
    let mut approvals = Vec::with_capacity(rows.len());
    for a in &rows {
        let app = state
            .store
            .get_connected_app(&project.project_id, &a.client_id)
            .await?;
        approvals.push(approval_view(a, app.as_ref()));
    }
    Ok(ok(ApprovalsResponse {
        organization_id: org.organization_id,
        approvals,
    }))
}

#[derive(Serialize)]
pub struct DecisionResponse {
    pub connected_app_id: String,
    pub status: &'static str,
    /// How many members' consents a denial ended.
    pub revoked_members: u64,
}

/// `POST .../connected_apps/{connected_app_id}/approve`.
pub async fn approve(
    state: State<AppState>,
    project: Project,
    actor: MemberActor,
    addr: ClientAddress,
    path: Path<(String, String)>,
) -> ApiResult<DecisionResponse> {
    decide(state, project, actor, addr, path, ApprovalStatus::Approved).await
}

/// `POST .../connected_apps/{connected_app_id}/deny`: also ends every member's grant.
pub async fn deny(
    state: State<AppState>,
    project: Project,
    actor: MemberActor,
    addr: ClientAddress,
    path: Path<(String, String)>,
) -> ApiResult<DecisionResponse> {
    decide(state, project, actor, addr, path, ApprovalStatus::Denied).await
}

async fn decide(
    State(state): State<AppState>,
    project: Project,
    actor: MemberActor,
    ClientAddress(addr): ClientAddress,
    Path((org_key, client_id)): Path<(String, String)>,
    status: ApprovalStatus,
) -> ApiResult<DecisionResponse> {
    let pid = &project.project_id;
    let acting = actor.resolve(&state, pid).await?;
    let org = super::organizations::load(&state, &project, &org_key).await?;
    let op = Operation::OrganizationConnectedAppApprovals;
    check(acting.as_ref(), &state, pid, &org, None, op).await?;
    let who = api_actor(pid, acting.as_ref());
    let decision = Decision {
        project_id: pid,
        org: &org,
        client_id: &client_id,
        status,
    };
    let revoked_members = record(&state, &decision, who, addr).await?;
    Ok(ok(DecisionResponse {
        connected_app_id: client_id,
        status: status.as_str(),
        revoked_members,
    }))
}

/// An admin's decision on a client for an organization.
pub struct Decision<'a> {
    pub project_id: &'a str,
    pub org: &'a Organization,
    pub client_id: &'a str,
    pub status: ApprovalStatus,
}

/// Records a decision already authorized (API and hosted page): the approval record, a
/// denial's revocation and the event, in one transaction. Returns how many consents a denial
/// ended; `connected_app_not_found` for a client the project does not have.
pub async fn record(
    state: &AppState,
    d: &Decision<'_>,
    who: AuditParty,
    addr: Option<IpAddr>,
) -> Result<u64, ApiFailure> {
    let (pid, org_id) = (d.project_id, &d.org.organization_id);
    let app = state
        .store
        .get_connected_app(pid, d.client_id)
        .await?
        .ok_or_else(latchkey_core::connected_app::not_found)?;
    let action = match d.status {
        ApprovalStatus::Denied => actions::DENIED,
        _ => actions::APPROVED,
    };
    let e = event(state, pid, org_id, &app.client_id, action, who, addr);
    let prior = state.store.client_approval(org_id, &app.client_id).await?;
    let decision = ClientApproval {
        project_id: pid.to_owned(),
        organization_id: org_id.clone(),
        client_id: app.client_id,
        status: d.status.as_str().into(),
        requested_by: prior.as_ref().and_then(|p| p.requested_by.clone()),
        requested_at: prior.map_or(e.created_at, |p| p.requested_at),
        decided_by: Some(format!("{}:{}", e.actor.kind, e.actor.id)),
        decided_at: Some(e.created_at),
    };
    let ended = state.store.decide_client_approval(&decision, &e).await?;
    crate::audit::log(&e);
    Ok(ended)
}
