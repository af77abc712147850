//! Per-organization agent governance (branch `resources`): the organization-wide revocation of
//! a client (every member's consent, code, refresh token and access token in one transaction)
//! and the last activity of each client in an organization, for the installed-agents view.
//! Branch h11: an organization's approvals of clients that need one, each decision committed
//! with its audit event.

use latchkey_types::AuditEvent;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::insert_events;
use crate::{Result, SqlStore};

/// An organization's approval record for a client (`status`: `pending`, `approved`, `denied`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientApproval {
    pub project_id: String,
    pub organization_id: String,
    pub client_id: String,
    pub status: String,
    /// The member who first asked.
    pub requested_by: Option<String>,
    pub requested_at: i64,
    /// Who decided (an audit actor id) and when.
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

const APPROVAL_COLUMNS: &str = "project_id, organization_id, client_id, status, requested_by, \
                                requested_at, decided_by, decided_at";

fn approval_of(r: &AnyRow) -> Result<ClientApproval> {
    Ok(ClientApproval {
        project_id: r.try_get("project_id")?,
        organization_id: r.try_get("organization_id")?,
        client_id: r.try_get("client_id")?,
        status: r.try_get("status")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// Members of the organization, as a subquery on placeholder `ph`.
fn org_members(ph: &str) -> String {
    format!("SELECT member_id FROM members WHERE organization_id = {ph}")
}

impl SqlStore {
    pub(crate) async fn revoke_organization_client_impl(
        &self,
        organization_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&AuditEvent>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let gone = self
            .revoke_in(&mut tx, organization_id, client_id, now)
            .await?;
        insert_events(&mut tx, &event.into_iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(gone)
    }

    pub(crate) async fn client_approval_impl(
        &self,
        organization_id: &str,
        client_id: &str,
    ) -> Result<Option<ClientApproval>> {
        let row = sqlx::query(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM connected_app_approvals \
             WHERE organization_id = $1 AND client_id = $2"
        ))
        .bind(organization_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(approval_of).transpose()
    }

    pub(crate) async fn organization_client_approvals_impl(
        &self,
        organization_id: &str,
    ) -> Result<Vec<ClientApproval>> {
        let rows = sqlx::query(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM connected_app_approvals WHERE organization_id = $1 \
             ORDER BY requested_at DESC, client_id"
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(approval_of).collect()
    }

    pub(crate) async fn request_client_approval_impl(
        &self,
        request: &ClientApproval,
        event: &AuditEvent,
    ) -> Result<ClientApproval> {
        let mut tx = self.begin_write().await?;
        // Only the first request is recorded (and logged): later ones find the record.
        let added = sqlx::query(&format!(
            "INSERT INTO connected_app_approvals ({APPROVAL_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, client_id) DO NOTHING"
        ))
        .bind(&request.project_id)
        .bind(&request.organization_id)
        .bind(&request.client_id)
        .bind(&request.status)
        .bind(request.requested_by.as_deref())
        .bind(request.requested_at)
        .bind(request.decided_by.as_deref())
        .bind(request.decided_at)
        .execute(&mut *tx)
        .await?;
        if added.rows_affected() > 0 {
            insert_events(&mut tx, &[event]).await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM connected_app_approvals \
             WHERE organization_id = $1 AND client_id = $2"
        ))
        .bind(&request.organization_id)
        .bind(&request.client_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        approval_of(&row)
    }

    pub(crate) async fn decide_client_approval_impl(
        &self,
        decision: &ClientApproval,
        event: &AuditEvent,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO connected_app_approvals ({APPROVAL_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, client_id) \
             DO UPDATE SET status = $4, decided_by = $7, decided_at = $8"
        ))
        .bind(&decision.project_id)
        .bind(&decision.organization_id)
        .bind(&decision.client_id)
        .bind(&decision.status)
        .bind(decision.requested_by.as_deref())
        .bind(decision.requested_at)
        .bind(decision.decided_by.as_deref())
        .bind(decision.decided_at)
        .execute(&mut *tx)
        .await?;
        // A denial also ends what members granted before (a client approved, then denied).
        let revoked = if decision.status == "denied" {
            let now = decision.decided_at.unwrap_or(event.created_at);
            self.revoke_in(&mut tx, &decision.organization_id, &decision.client_id, now)
                .await?
        } else {
            0
        };
        insert_events(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    pub(crate) async fn organization_client_activity_impl(
        &self,
        organization_id: &str,
    ) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT client_id, MAX(expires_at) AS last FROM access_tokens \
             WHERE member_id IN ({}) GROUP BY client_id",
            org_members("$1")
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("client_id")?, r.try_get("last")?)))
            .collect()
    }
}

impl SqlStore {
    /// Ends an organization's use of a client: its members' consents, and every family of the
    /// client among them through [`SqlStore::revoke_families`] (grant rows locked and marked
    /// revoked, so a refresh racing this either committed first, and its successor is revoked
    /// here, or finds the family revoked). Returns how many consents were deleted.
    async fn revoke_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        organization_id: &str,
        client_id: &str,
        now: i64,
    ) -> Result<u64> {
        let gone =
            sqlx::query("DELETE FROM consent_grants WHERE organization_id = $1 AND client_id = $2")
                .bind(organization_id)
                .bind(client_id)
                .execute(&mut **tx)
                .await?;
        let families = crate::grants::Families::OrganizationClient {
            organization_id,
            client_id,
        };
        self.revoke_families(tx, families, Some(now)).await?;
        Ok(gone.rows_affected())
    }
}
