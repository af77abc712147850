//! The audit event store (issue 11 item 5, reused by issue 15 item 5's audit trail): events are
//! appended, inside the transaction of the decision they record where there is one
//! ([`insert_events`]), and listed newest first with a keyset cursor on `seq`.

use latchkey_types::{AuditEvent, AuditParty};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::query::{Arg, Where};
use crate::sql::{from_json, to_json};
use crate::{Result, SqlStore};

/// Which events to list: a project's, optionally one organization's and one action's, older
/// than the keyset position `before` (a `seq`; 0: from the newest).
#[derive(Debug, Clone, Copy)]
pub struct AuditFilter<'a> {
    pub project_id: &'a str,
    pub organization_id: Option<&'a str>,
    /// One action, or a family when it ends with `.` (`connected_app.`).
    pub action: Option<&'a str>,
    pub before: i64,
    pub limit: i64,
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Set when older events follow: the position to continue before.
    pub next_before: Option<i64>,
}

/// Appends events in the caller's transaction.
pub(crate) async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    events: &[&AuditEvent],
) -> Result<()> {
    for e in events {
        sqlx::query(
            "INSERT INTO audit_events (event_id, project_id, organization_id, actor_kind, actor_id, \
             action, target_kind, target_id, client_address, created_at, outcome, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&e.event_id)
        .bind(&e.project_id)
        .bind(e.organization_id.as_deref())
        .bind(&e.actor.kind)
        .bind(&e.actor.id)
        .bind(&e.action)
        .bind(e.target.as_ref().map(|t| t.kind.as_str()))
        .bind(e.target.as_ref().map(|t| t.id.as_str()))
        .bind(e.client_address.as_deref())
        .bind(e.created_at)
        .bind(&e.outcome)
        .bind(to_json(&e.details)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn event_of(r: &AnyRow) -> Result<AuditEvent> {
    let target_kind: Option<String> = r.try_get("target_kind")?;
    let target_id: Option<String> = r.try_get("target_id")?;
    Ok(AuditEvent {
        event_id: r.try_get("event_id")?,
        project_id: r.try_get("project_id")?,
        organization_id: r.try_get("organization_id")?,
        actor: AuditParty {
            kind: r.try_get("actor_kind")?,
            id: r.try_get("actor_id")?,
        },
        action: r.try_get("action")?,
        target: target_kind
            .zip(target_id)
            .map(|(kind, id)| AuditParty { kind, id }),
        client_address: r.try_get("client_address")?,
        created_at: r.try_get("created_at")?,
        outcome: r.try_get("outcome")?,
        details: from_json(&r.try_get::<String, _>("details")?)?,
    })
}

impl SqlStore {
    /// Deletes events older than `before`, at most `batch` of them (the maintenance loop calls
    /// again while it removes a full batch).
    pub(crate) async fn purge_audit_events_impl(&self, before: i64, batch: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM audit_events WHERE seq IN \
             (SELECT seq FROM audit_events WHERE created_at < $1 ORDER BY seq LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn record_events_impl(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        insert_events(&mut tx, &events.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn audit_events_impl(&self, f: &AuditFilter<'_>) -> Result<AuditPage> {
        let mut w = Where::default();
        let p = w.text(f.project_id);
        w.push(format!("project_id = {p}"));
        if let Some(org) = f.organization_id {
            let o = w.text(org);
            w.push(format!("organization_id = {o}"));
        }
        match f.action {
            // A family of actions: `connected_app.` names every `connected_app.*` one.
            Some(prefix) if prefix.ends_with('.') => {
                let a = w.text(&format!("{prefix}%"));
                w.push(format!("action LIKE {a}"));
            }
            Some(action) => {
                let a = w.text(action);
                w.push(format!("action = {a}"));
            }
            None => {}
        }
        if f.before > 0 {
            let b = w.bind(Arg::Int(f.before));
            w.push(format!("seq < {b}"));
        }
        let lim = w.bind(Arg::Int(f.limit + 1));
        let sql = format!(
            "SELECT seq, event_id, project_id, organization_id, actor_kind, actor_id, action, \
             target_kind, target_id, client_address, created_at, outcome, details \
             FROM audit_events WHERE {} ORDER BY seq DESC LIMIT {lim}",
            w.joined("AND")
        );
        let rows = sqlx::query_with(&sql, w.arguments()?)
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() as i64 > f.limit;
        let mut events = Vec::with_capacity(rows.len());
        let mut last = 0;
        for r in rows.iter().take(f.limit as usize) {
            last = r.try_get("seq")?;
            events.push(event_of(r)?);
        }
        Ok(AuditPage {
            events,
            next_before: more.then_some(last),
        })
    }
}
