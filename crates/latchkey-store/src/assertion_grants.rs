//! Enterprise-managed authorization (issue 14 items 3 and 7, migration 0022): the identity
//! assertion issuers each organization trusts (the document in `data`, `issuer` unique per
//! project, mapped to [`Conflict::Other`]), and the issuance of a `jwt-bearer` grant: the
//! ID-JAG's `jti` spent, the new family's grant row and its access token written in one
//! transaction, so of concurrent redemptions of one assertion exactly one issues a token.

use latchkey_core::oauth::grant::Grant;
use latchkey_types::{AuditEvent, IdentityAssertionIssuer};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::oauth::AccessRow;
use crate::sql::{conflict, from_json, to_json};
use crate::{Result, SqlStore};

/// A spent ID-JAG: the hash of its issuer and `jti`, kept until it expires.
#[derive(Debug, Clone)]
pub struct SpentAssertion<'a> {
    pub jti_hash: &'a str,
    pub expires_at: i64,
}

fn issuer_from_row(r: &AnyRow) -> Result<IdentityAssertionIssuer> {
    from_json(&r.try_get::<String, _>("data")?)
}

impl SqlStore {
    pub(crate) async fn insert_assertion_issuer_impl(
        &self,
        project_id: &str,
        i: &IdentityAssertionIssuer,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO identity_assertion_issuers (issuer_id, project_id, organization_id, issuer, data) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&i.issuer_id)
        .bind(project_id)
        .bind(&i.organization_id)
        .bind(&i.issuer)
        .bind(to_json(i)?)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "identity_assertion_issuers"))?;
        Ok(())
    }

    pub(crate) async fn assertion_issuers_impl(
        &self,
        organization_id: &str,
    ) -> Result<Vec<IdentityAssertionIssuer>> {
        let rows = sqlx::query(
            "SELECT data FROM identity_assertion_issuers WHERE organization_id = $1 ORDER BY seq",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(issuer_from_row).collect()
    }

    pub(crate) async fn get_assertion_issuer_impl(
        &self,
        organization_id: &str,
        issuer_id: &str,
    ) -> Result<Option<IdentityAssertionIssuer>> {
        let row = sqlx::query(
            "SELECT data FROM identity_assertion_issuers WHERE organization_id = $1 AND issuer_id = $2",
        )
        .bind(organization_id)
        .bind(issuer_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(issuer_from_row).transpose()
    }

    pub(crate) async fn trusted_assertion_issuer_impl(
        &self,
        project_id: &str,
        issuer: &str,
    ) -> Result<Option<IdentityAssertionIssuer>> {
        let row = sqlx::query(
            "SELECT data FROM identity_assertion_issuers WHERE project_id = $1 AND issuer = $2",
        )
        .bind(project_id)
        .bind(issuer)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(issuer_from_row).transpose()
    }

    pub(crate) async fn update_assertion_issuer_impl(
        &self,
        i: &IdentityAssertionIssuer,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE identity_assertion_issuers SET issuer = $1, data = $2 \
             WHERE organization_id = $3 AND issuer_id = $4",
        )
        .bind(&i.issuer)
        .bind(to_json(i)?)
        .bind(&i.organization_id)
        .bind(&i.issuer_id)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "identity_assertion_issuers"))?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_assertion_issuer_impl(
        &self,
        organization_id: &str,
        issuer_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM identity_assertion_issuers WHERE organization_id = $1 AND issuer_id = $2",
        )
        .bind(organization_id)
        .bind(issuer_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Spends the assertion and records the new family and its access token (and the event),
    /// in one transaction; false, writing nothing, when the `jti` was spent before (a replay).
    pub(crate) async fn issue_assertion_grant_impl(
        &self,
        spent: &SpentAssertion<'_>,
        grant: &Grant,
        access: &AccessRow,
        event: Option<&AuditEvent>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let fresh = sqlx::query(
            "INSERT INTO identity_assertion_jtis (jti_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti_hash) DO NOTHING",
        )
        .bind(spent.jti_hash)
        .bind(spent.expires_at)
        .execute(&mut *tx)
        .await?;
        if fresh.rows_affected() != 1 {
            return Ok(false);
        }
        crate::grants::insert_grant(&mut tx, grant, now).await?;
        crate::oauth::insert_access(&mut tx, access).await?;
        crate::audit::insert_events(&mut tx, &event.into_iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes one access token (an exchanged token revoked by the client it was issued to);
    /// the rest of its grant lives on.
    pub(crate) async fn revoke_access_token_impl(&self, jti: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(jti)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn purge_assertion_jtis_impl(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM identity_assertion_jtis WHERE expires_at < $1")
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
