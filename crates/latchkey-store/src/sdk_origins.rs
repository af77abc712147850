//! The frontend SDK surface's per-project data: the project a public token names, and the
//! project's authorized origins (migration 0014).

use sqlx::Row;

use crate::{ProjectRecord, Result};

impl crate::SqlStore {
    pub(crate) async fn project_by_public_token_impl(
        &self,
        public_token: &str,
    ) -> Result<Option<ProjectRecord>> {
        let row = sqlx::query(
            "SELECT project_id, name, public_token, created_at FROM projects WHERE public_token = $1",
        )
        .bind(public_token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ProjectRecord {
                project_id: r.try_get("project_id")?,
                name: r.try_get("name")?,
                public_token: r.try_get("public_token")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    pub(crate) async fn sdk_origins_impl(&self, project_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT origin FROM sdk_authorized_origins WHERE project_id = $1 ORDER BY origin",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("origin")?))
            .collect()
    }

    pub(crate) async fn add_sdk_origin_impl(
        &self,
        project_id: &str,
        origin: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO sdk_authorized_origins (project_id, origin, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, origin) DO NOTHING",
        )
        .bind(project_id)
        .bind(origin)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn remove_sdk_origin_impl(
        &self,
        project_id: &str,
        origin: &str,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("DELETE FROM sdk_authorized_origins WHERE project_id = $1 AND origin = $2")
                .bind(project_id)
                .bind(origin)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn sdk_origin_known_impl(&self, origin: &str) -> Result<bool> {
        let row =
            sqlx::query("SELECT 1 AS one FROM sdk_authorized_origins WHERE origin = $1 LIMIT 1")
                .bind(origin)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }
}
