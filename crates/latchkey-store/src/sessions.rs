//! Member sessions: the record as JSON beside the columns sessions are found by. The token is
//! kept only as its SHA-256 hash; revoking deletes the row.

use latchkey_core::secret::SecretHash;
use latchkey_core::session::SessionRecord;
use sqlx::Row;

use crate::sql::{from_json, to_json};
use crate::{Result, SqlStore};

impl SqlStore {
    pub(crate) async fn insert_session_impl(
        &self,
        s: &SessionRecord,
        token_hash: &SecretHash,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO member_sessions (member_session_id, project_id, organization_id, member_id, token_hash, expires_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.member_session_id)
        .bind(&s.project_id)
        .bind(&s.organization_id)
        .bind(&s.member_id)
        .bind(token_hash.as_str())
        .bind(s.expires_at)
        .bind(to_json(s)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn session_by_token_impl(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT data FROM member_sessions WHERE token_hash = $1 AND project_id = $2",
        )
        .bind(token_hash.as_str())
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    pub(crate) async fn session_by_id_impl(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT data FROM member_sessions WHERE member_session_id = $1 AND project_id = $2",
        )
        .bind(id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    pub(crate) async fn update_session_impl(&self, s: &SessionRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE member_sessions SET expires_at = $1, data = $2 WHERE member_session_id = $3",
        )
        .bind(s.expires_at)
        .bind(to_json(s)?)
        .bind(&s.member_session_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_session_impl(&self, project_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM member_sessions WHERE member_session_id = $1 AND project_id = $2",
        )
        .bind(id)
        .bind(project_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_member_sessions_impl(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM member_sessions WHERE member_id = $1 AND project_id = $2")
                .bind(member_id)
                .bind(project_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn list_sessions_impl(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(
            "SELECT data FROM member_sessions WHERE member_id = $1 AND project_id = $2 AND expires_at > $3 ORDER BY member_session_id",
        )
        .bind(member_id)
        .bind(project_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>("data")?))
            .collect()
    }

    pub(crate) async fn purge_expired_sessions_impl(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM member_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
