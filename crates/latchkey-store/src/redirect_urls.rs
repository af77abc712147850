//! A project's registered magic-link redirect URLs (Stytch's "Redirect URLs" of the dashboard:
//! https://stytch.com/docs/api-reference/consumer/api/resources/url-validation). Exact strings;
//! the matching rule lives in `latchkey_core::magic_link::redirect_allowed`.

use sqlx::Row;

use crate::{Result, SqlStore};

impl SqlStore {
    pub(crate) async fn redirect_urls_impl(&self, project_id: &str) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT url FROM project_redirect_urls WHERE project_id = $1 ORDER BY url")
                .bind(project_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("url")?))
            .collect()
    }

    pub(crate) async fn add_redirect_url_impl(
        &self,
        project_id: &str,
        url: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO project_redirect_urls (project_id, url, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, url) DO NOTHING",
        )
        .bind(project_id)
        .bind(url)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn remove_redirect_url_impl(
        &self,
        project_id: &str,
        url: &str,
    ) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM project_redirect_urls WHERE project_id = $1 AND url = $2")
                .bind(project_id)
                .bind(url)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}
