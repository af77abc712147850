//! Resource servers (RFC 8707): one row per resource, the settings document in `data`, the
//! canonical URL in a column of its own so `UNIQUE (project_id, url)` refuses a second
//! registration of one URL (mapped to [`Conflict::Other`]).

use latchkey_core::search::Search;
use latchkey_types::ResourceServer;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::sql::{conflict, from_json, to_json};
use crate::{Page, Result, SqlStore};

impl SqlStore {
    pub(crate) async fn insert_resource_server_impl(
        &self,
        project_id: &str,
        r: &ResourceServer,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO resource_servers (resource_id, project_id, url, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.resource_id)
        .bind(project_id)
        .bind(&r.url)
        .bind(to_json(r)?)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "resource_servers"))?;
        Ok(())
    }

    pub(crate) async fn get_resource_server_impl(
        &self,
        project_id: &str,
        resource_id: &str,
    ) -> Result<Option<ResourceServer>> {
        let row = sqlx::query(
            "SELECT data FROM resource_servers WHERE project_id = $1 AND resource_id = $2",
        )
        .bind(project_id)
        .bind(resource_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(resource_from_row).transpose()
    }

    pub(crate) async fn update_resource_server_impl(
        &self,
        project_id: &str,
        r: &ResourceServer,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE resource_servers SET url = $1, data = $2 WHERE project_id = $3 AND resource_id = $4",
        )
        .bind(&r.url)
        .bind(to_json(r)?)
        .bind(project_id)
        .bind(&r.resource_id)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "resource_servers"))?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_resource_server_impl(
        &self,
        project_id: &str,
        resource_id: &str,
    ) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM resource_servers WHERE project_id = $1 AND resource_id = $2")
                .bind(project_id)
                .bind(resource_id)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn search_resource_servers_impl(
        &self,
        project_id: &str,
        url: Option<&str>,
        q: &Search<()>,
    ) -> Result<Page<ResourceServer>> {
        // `$2 IS NULL` would need a typed NULL on PostgreSQL; an empty string means "any URL".
        let url = url.unwrap_or_default();
        const FILTER: &str = "project_id = $1 AND ($2 = '' OR url = $2)";
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM resource_servers WHERE {FILTER}"
        ))
        .bind(project_id)
        .bind(url)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT seq, data FROM resource_servers WHERE {FILTER} AND seq > $3 ORDER BY seq LIMIT $4"
        ))
        .bind(project_id)
        .bind(url)
        .bind(q.after_seq)
        .bind(q.limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > q.limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = q.after_seq;
        for r in rows.iter().take(q.limit as usize) {
            last = r.try_get("seq")?;
            items.push(resource_from_row(r)?);
        }
        Ok(Page {
            items,
            total,
            next_after: more.then_some(last),
        })
    }

    pub(crate) async fn find_resource_server_impl(
        &self,
        resource_id: &str,
    ) -> Result<Option<ResourceServer>> {
        let row = sqlx::query("SELECT data FROM resource_servers WHERE resource_id = $1")
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(resource_from_row).transpose()
    }

    pub(crate) async fn project_resource_servers_impl(
        &self,
        project_id: &str,
    ) -> Result<Vec<ResourceServer>> {
        let rows =
            sqlx::query("SELECT data FROM resource_servers WHERE project_id = $1 ORDER BY seq")
                .bind(project_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(resource_from_row).collect()
    }
}

fn resource_from_row(row: &AnyRow) -> Result<ResourceServer> {
    from_json(&row.try_get::<String, _>("data")?)
}
