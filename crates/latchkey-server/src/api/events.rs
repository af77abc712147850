//! The audit event log (latchkey extension; issue 11 item 5, the store issue 15's audit trail
//! reuses): how handlers make an event ([`event`]), and the two lists, per organization
//! (`GET /v1/b2b/organizations/{organization_id}/connected_apps/events`) and per project
//! (`GET /v1/audit_events?organization_id=&action=`), newest first with Stytch-style cursor
//! pagination (`results_metadata.next_cursor`). Project Basic auth; events never hold a secret.

use std::net::IpAddr;

use axum::extract::{Path, State};
use latchkey_core::{ids, search};
use latchkey_store::AuditFilter;
use latchkey_types::{AuditEvent, AuditEventsQuery, AuditParty};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiQuery, Stytch};
use crate::state::AppState;

/// Actions this module's callers log (dotted, past tense).
pub mod actions {
    pub const CONSENT_GRANTED: &str = "connected_app.consent_granted";
    pub const CONSENT_DENIED: &str = "connected_app.consent_denied";
    pub const APPROVAL_REQUESTED: &str = "connected_app.approval_requested";
    pub const APPROVED: &str = "connected_app.approved";
    pub const DENIED: &str = "connected_app.denied";
    pub const ORGANIZATION_REVOKED: &str = "connected_app.organization_revoked";
    pub const MEMBER_REVOKED: &str = "connected_app.member_revoked";
    /// A token issued by enterprise-managed authorization (an ID-JAG, issue 14).
    pub const ENTERPRISE_AUTHORIZED: &str = "connected_app.enterprise_authorized";
}

/// An event about a client in an organization, now, with outcome `success` and no details.
pub fn event(
    state: &AppState,
    project_id: &str,
    organization_id: &str,
    client_id: &str,
    action: &str,
    actor: AuditParty,
    addr: Option<IpAddr>,
) -> AuditEvent {
    AuditEvent {
        event_id: ids::make_id(
            "event",
            ids::Environment::of_project(project_id),
            state.tokens.uuid(),
        ),
        project_id: project_id.to_owned(),
        organization_id: Some(organization_id.to_owned()),
        actor,
        action: action.to_owned(),
        target: Some(AuditParty::new("connected_app", client_id)),
        client_address: addr.map(|a| a.to_string()),
        created_at: state.clock.now().unix_timestamp(),
        outcome: "success".into(),
        details: Map::new(),
    }
}

/// The actor of a management API call: the member whose session header came with it, else
/// the project (its Basic credentials).
pub fn api_actor(project_id: &str, acting: Option<&super::member_auth::Acting>) -> AuditParty {
    match acting {
        Some(a) => AuditParty::new("member", &a.loaded.member.member_id),
        None => AuditParty::new("project", project_id),
    }
}

/// The wire form: `created_at` in RFC 3339, as Stytch renders times.
fn render(e: &AuditEvent) -> Value {
    let at = time::OffsetDateTime::from_unix_timestamp(e.created_at)
        .map(latchkey_core::clock::rfc3339)
        .unwrap_or_default();
    json!({
        "event_id": e.event_id,
        "organization_id": e.organization_id,
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "client_address": e.client_address,
        "created_at": at,
        "outcome": e.outcome,
        "details": e.details,
    })
}

#[derive(Serialize)]
pub struct EventsResponse {
    pub events: Vec<Value>,
    pub results_metadata: Value,
}

async fn list(
    state: &AppState,
    project_id: &str,
    organization_id: Option<&str>,
    q: &AuditEventsQuery,
) -> Result<Stytch<EventsResponse>, ApiFailure> {
    let paging = search::paging(q.cursor.as_deref(), q.limit)?;
    let page = state
        .store
        .audit_events(&AuditFilter {
            project_id,
            organization_id,
            action: q.action.as_deref().filter(|a| !a.is_empty()),
            before: paging.after_seq,
            limit: paging.limit,
        })
        .await?;
    Ok(ok(EventsResponse {
        events: page.events.iter().map(render).collect(),
        results_metadata: json!({
            "next_cursor": page.next_before.map(search::encode_cursor),
        }),
    }))
}

/// `GET /v1/b2b/organizations/{organization_id}/connected_apps/events?cursor=&limit=&action=`.
pub async fn organization(
    State(state): State<AppState>,
    project: Project,
    Path(org_key): Path<String>,
    ApiQuery(q): ApiQuery<AuditEventsQuery>,
) -> Result<Stytch<EventsResponse>, ApiFailure> {
    let org = super::organizations::load(&state, &project, &org_key).await?;
    // This list is the agent-governance log: the Connected Apps family unless asked otherwise
    // (`GET /v1/audit_events` lists the whole trail).
    let q = AuditEventsQuery {
        action: q
            .action
            .filter(|a| !a.is_empty())
            .or_else(|| Some("connected_app.".into())),
        ..q
    };
    list(&state, &project.project_id, Some(&org.organization_id), &q).await
}

/// `GET /v1/audit_events?organization_id=&action=&cursor=&limit=`: the project's events (the
/// audit trail of issue 15 item 5); `action` ending in `.` names a family (`member.`).
pub async fn project(
    State(state): State<AppState>,
    project: Project,
    ApiQuery(q): ApiQuery<AuditEventsQuery>,
) -> Result<Stytch<EventsResponse>, ApiFailure> {
    // A slug or external id names a live organization; an id also finds a deleted one's events.
    let org_id = match q.organization_id.as_deref().filter(|o| !o.is_empty()) {
        Some(key) => Some(
            state
                .store
                .get_organization(&project.project_id, key)
                .await?
                .map_or_else(|| key.to_owned(), |o| o.organization_id),
        ),
        None => None,
    };
    list(&state, &project.project_id, org_id.as_deref(), &q).await
}
