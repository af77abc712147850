//! Projects and their secrets.

use latchkey_core::secret::SecretHash;
use sqlx::Row;

use crate::{NewProject, ProjectRecord, Result};

impl crate::SqlStore {
    pub(crate) async fn create_project_impl(&self, p: &NewProject) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO projects (project_id, name, public_token, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&p.project.project_id)
        .bind(&p.project.name)
        .bind(&p.project.public_token)
        .bind(p.project.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO project_secrets (secret_id, project_id, secret_hash, last_four, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.secret_id)
        .bind(&p.project.project_id)
        .bind(p.secret_hash.as_str())
        .bind(&p.secret_last_four)
        .bind(p.project.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn has_projects_impl(&self) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM projects LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub(crate) async fn list_projects_impl(&self) -> Result<Vec<ProjectRecord>> {
        let rows = sqlx::query(
            "SELECT project_id, name, public_token, created_at FROM projects ORDER BY created_at, project_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProjectRecord {
                    project_id: r.try_get("project_id")?,
                    name: r.try_get("name")?,
                    public_token: r.try_get("public_token")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub(crate) async fn secret_hashes_impl(&self, project_id: &str) -> Result<Vec<SecretHash>> {
        let rows = sqlx::query("SELECT secret_hash FROM project_secrets WHERE project_id = $1")
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(SecretHash::from_stored(r.try_get("secret_hash")?)))
            .collect()
    }
}
