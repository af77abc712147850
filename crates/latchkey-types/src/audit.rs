//! The audit event (latchkey extension; Stytch has no event log API): one record of a decision
//! someone made, kept in the one event store that both the agent-governance log (issue 11) and
//! the operations audit trail (issue 15) read. Never carries a secret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who acted, or what was acted on: a kind (`member`, `project`, `connected_app`, ...) and an id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditParty {
    pub kind: String,
    pub id: String,
}

impl AuditParty {
    pub fn new(kind: &str, id: &str) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// One event. `created_at` is unix seconds in storage; the API renders it RFC 3339.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEvent {
    pub event_id: String,
    pub project_id: String,
    pub organization_id: Option<String>,
    pub actor: AuditParty,
    /// Dotted, past tense: `connected_app.consent_granted`, `connected_app.approval_requested`.
    pub action: String,
    pub target: Option<AuditParty>,
    /// The IP address the request came from, when known.
    pub client_address: Option<String>,
    pub created_at: i64,
    /// `success`, `denied`, `pending`, ...
    pub outcome: String,
    pub details: Map<String, Value>,
}

/// `GET /v1/audit_events` query (and the per-organization events list's `cursor`/`limit`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditEventsQuery {
    pub organization_id: Option<String>,
    pub action: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}
