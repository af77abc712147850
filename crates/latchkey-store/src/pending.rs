//! Authorization requests in progress on the hosted page, kept server-side and keyed by the hash
//! of a random id that only the browser's cookie holds; and the member lookup by email that the
//! page's organization choice needs.

use latchkey_types::Member;
use sqlx::Row;

use crate::sql::from_json;
use crate::{PendingAuthorization, Result, SqlStore};

impl SqlStore {
    pub(crate) async fn members_by_email_impl(
        &self,
        project_id: &str,
        email: &str,
    ) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT data FROM members WHERE project_id = $1 AND email_address = $2 ORDER BY seq",
        )
        .bind(project_id)
        .bind(email.trim().to_ascii_lowercase())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>("data")?))
            .collect()
    }

    pub(crate) async fn insert_pending_authorization_impl(
        &self,
        p: &PendingAuthorization,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO pending_authorizations (id_hash, project_id, data, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.id_hash)
        .bind(&p.project_id)
        .bind(&p.data)
        .bind(p.expires_at)
        .bind(p.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn pending_authorization_impl(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<PendingAuthorization>> {
        let row = sqlx::query(
            "SELECT id_hash, project_id, data, expires_at, created_at FROM pending_authorizations \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(PendingAuthorization {
                id_hash: r.try_get("id_hash")?,
                project_id: r.try_get("project_id")?,
                data: r.try_get("data")?,
                expires_at: r.try_get("expires_at")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    pub(crate) async fn update_pending_authorization_impl(
        &self,
        id_hash: &str,
        data: &str,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE pending_authorizations SET data = $1 WHERE id_hash = $2")
            .bind(data)
            .bind(id_hash)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_pending_authorization_impl(&self, id_hash: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM pending_authorizations WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
