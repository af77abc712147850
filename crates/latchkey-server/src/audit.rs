//! The audit trail (issue 15 item 5): security-relevant events written to the one event store
//! (`audit_events`, shared with the governance event log of `api::events`) and emitted as a
//! structured log line (target `latchkey::audit`). Events name who, what, which target, from
//! where, when and the outcome; never a secret (no passwords, tokens or secrets in `details`).
//!
//! Decisions that write anyway put their event in the same transaction (consent, approvals,
//! revocations: `api::events`); the events here stand alone (a login, a client change), so a
//! failure to write one is logged and never changes the answer the caller gets.

use std::net::IpAddr;

use latchkey_core::ids;
use latchkey_types::{AuditEvent, AuditParty};
use serde_json::{Map, Value};

use crate::state::AppState;

/// Actions of the audit trail (dotted, past tense).
pub mod actions {
    pub const LOGIN: &str = "member.login";
    pub const SESSION_REVOKED: &str = "member_session.revoked";
    pub const CLIENT_CREATED: &str = "connected_app.created";
    pub const CLIENT_UPDATED: &str = "connected_app.updated";
    pub const CLIENT_DELETED: &str = "connected_app.deleted";
    pub const CLIENT_SECRET_ROTATION: &str = "connected_app.secret_rotation";
    pub const KEYS_ROTATED: &str = "signing_keys.rotated";
    pub const RBAC_POLICY_CHANGED: &str = "rbac_policy.changed";
    pub const ORGANIZATION_UPDATED: &str = "organization.updated";
}

/// Days events are kept when `audit_retention_days` is not set.
pub const DEFAULT_RETENTION_DAYS: i64 = 365;

/// An event, now, outcome `success`, no target or details yet.
pub fn event(
    state: &AppState,
    project_id: &str,
    organization_id: Option<&str>,
    action: &str,
    actor: AuditParty,
    addr: Option<IpAddr>,
) -> AuditEvent {
    let now = state.clock.now().unix_timestamp();
    let mut e = system_event(state.tokens.as_ref(), now, project_id, action, actor);
    e.organization_id = organization_id.map(str::to_owned);
    e.client_address = addr.map(|a| a.to_string());
    e
}

/// An event outside a request (the command line, the maintenance loop).
pub fn system_event(
    tokens: &dyn latchkey_core::clock::TokenGenerator,
    now: i64,
    project_id: &str,
    action: &str,
    actor: AuditParty,
) -> AuditEvent {
    AuditEvent {
        event_id: ids::make_id(
            "event",
            ids::Environment::of_project(project_id),
            tokens.uuid(),
        ),
        project_id: project_id.to_owned(),
        organization_id: None,
        actor,
        action: action.to_owned(),
        target: None,
        client_address: None,
        created_at: now,
        outcome: "success".into(),
        details: Map::new(),
    }
}

/// Builder steps, so a call site reads as one expression.
pub trait EventExt {
    fn target(self, kind: &str, id: &str) -> Self;
    fn outcome(self, outcome: &str) -> Self;
    fn detail(self, key: &str, value: impl Into<Value>) -> Self;
}

impl EventExt for AuditEvent {
    fn target(mut self, kind: &str, id: &str) -> Self {
        self.target = Some(AuditParty::new(kind, id));
        self
    }
    fn outcome(mut self, outcome: &str) -> Self {
        self.outcome = outcome.into();
        self
    }
    fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// Writes a standalone event and logs it. A store failure is logged, not returned.
pub async fn record(state: &AppState, e: AuditEvent) {
    record_in(state.store.as_ref(), e).await
}

/// [`record`] with a store alone (the command line).
pub async fn record_in(store: &dyn latchkey_store::Store, e: AuditEvent) {
    log(&e);
    if let Err(err) = store.record_events(std::slice::from_ref(&e)).await {
        tracing::warn!(target: "latchkey::audit", error = %err, event_id = %e.event_id,
            "the audit event could not be stored");
    }
}

/// The structured log line of an event (also for events written inside a decision's
/// transaction, once it committed).
pub fn log(e: &AuditEvent) {
    tracing::info!(
        target: "latchkey::audit",
        event_id = %e.event_id,
        action = %e.action,
        outcome = %e.outcome,
        project_id = %e.project_id,
        organization_id = e.organization_id.as_deref().unwrap_or(""),
        actor = %format!("{}:{}", e.actor.kind, e.actor.id),
        target = %e.target.as_ref().map(|t| format!("{}:{}", t.kind, t.id)).unwrap_or_default(),
        client_address = e.client_address.as_deref().unwrap_or(""),
        "audit"
    );
}

/// A magic link redemption (API or hosted page): `member.login`, factor `magic_link`.
pub async fn magic_link_login<T>(
    state: &AppState,
    project_id: &str,
    r: &Result<(latchkey_store::MagicLinkRecord, T), crate::envelope::ApiFailure>,
    addr: Option<IpAddr>,
) {
    let address = || AuditParty::new("address", &addr.map(|a| a.to_string()).unwrap_or_default());
    let e = match r {
        Ok((rec, _)) => event(
            state,
            project_id,
            Some(&rec.organization_id),
            actions::LOGIN,
            AuditParty::new("member", &rec.member_id),
            addr,
        ),
        Err(f) => event(state, project_id, None, actions::LOGIN, address(), addr)
            .outcome("failure")
            .detail("reason", f.0.error_type.to_string()),
    };
    record(state, e.detail("factor", "magic_link")).await;
}

/// A second-factor check (TOTP code, recovery code: issue 13): `member.login` with its factor,
/// success when the code was right (whether the session then starts is the login's own event).
pub async fn mfa_login(
    state: &AppState,
    project_id: &str,
    org: &latchkey_types::Organization,
    member: &latchkey_types::Member,
    factor: &'static str,
    right: bool,
    addr: Option<IpAddr>,
) {
    let actor = AuditParty::new("member", &member.member_id);
    let e = event(
        state,
        project_id,
        Some(&org.organization_id),
        actions::LOGIN,
        actor,
        addr,
    )
    .outcome(if right { "success" } else { "failure" })
    .detail("factor", factor);
    record(state, e).await;
}

/// The operator at the command line (no address).
pub fn operator() -> AuditParty {
    AuditParty::new("operator", "cli")
}

/// The server itself (scheduled work).
pub fn system() -> AuditParty {
    AuditParty::new("system", "maintenance")
}
