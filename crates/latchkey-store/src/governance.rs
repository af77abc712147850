//! Per-organization agent governance (branch `resources`): the organization-wide revocation of
//! a client (every member's consent, code, refresh token and access token in one transaction)
//! and the last activity of each client in an organization, for the installed-agents view.

use sqlx::Row;

use crate::{Result, SqlStore};

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
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let gone =
            sqlx::query("DELETE FROM consent_grants WHERE organization_id = $1 AND client_id = $2")
                .bind(organization_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        // The code row is the family's lock (store::oauth): marking it revoked makes a refresh
        // or redemption racing this transaction record its tokens revoked.
        for table in ["authorization_codes", "refresh_tokens", "access_tokens"] {
            // Placeholders numbered in order of appearance, as both engines read them.
            sqlx::query(&format!(
                "UPDATE {table} SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL \
                 AND member_id IN ({})",
                org_members("$3")
            ))
            .bind(now)
            .bind(client_id)
            .bind(organization_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(gone.rows_affected())
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
