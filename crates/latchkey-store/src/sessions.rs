//! Member sessions: the record as JSON beside the columns sessions are found by. Tokens are
//! kept only as SHA-256 hashes: the first in `member_sessions.token_hash`, any further ones
//! (`add_session_token`) in `member_session_tokens`. Revoking deletes the row, and with it
//! (`ON DELETE CASCADE`) every further token.

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
        let mut conn = self.writer.acquire().await?;
        insert_session_row(&mut conn, s, token_hash).await
    }

    pub(crate) async fn session_by_token_impl(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<SessionRecord>> {
        // Two indexed lookups (the first token, then the further ones) in one statement.
        let row = sqlx::query(
            "SELECT data FROM member_sessions WHERE token_hash = $1 AND project_id = $2 \
             UNION ALL \
             SELECT s.data FROM member_session_tokens t \
             JOIN member_sessions s ON s.member_session_id = t.member_session_id \
             WHERE t.token_hash = $1 AND t.project_id = $2 \
             LIMIT 1",
        )
        .bind(token_hash.as_str())
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    /// Adds a token to a session that exists in the project and has not expired at `now`; false
    /// otherwise. The check and the insert are one statement, so a token is never added to a
    /// session revoked meanwhile.
    pub(crate) async fn add_session_token_impl(
        &self,
        project_id: &str,
        member_session_id: &str,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO member_session_tokens (token_hash, member_session_id, project_id, created_at) \
             SELECT $1, member_session_id, project_id, $4 FROM member_sessions \
             WHERE member_session_id = $2 AND project_id = $3 AND expires_at > $4",
        )
        .bind(token_hash.as_str())
        .bind(member_session_id)
        .bind(project_id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
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
        let mut conn = self.writer.acquire().await?;
        update_session_row(&mut conn, s).await
    }

    pub(crate) async fn delete_session_impl(&self, project_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM member_sessions WHERE member_session_id = $1 AND project_id = $2",
        )
        .bind(id)
        .bind(project_id)
        .execute(&self.writer)
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
                .execute(&self.writer)
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
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

/// Inserts a session row on `conn` (alone, or inside a caller's transaction: `store::mfa`).
pub(crate) async fn insert_session_row(
    conn: &mut sqlx::AnyConnection,
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rewrites a session's expiry and document on `conn`; false when the session is gone.
pub(crate) async fn update_session_row(
    conn: &mut sqlx::AnyConnection,
    s: &SessionRecord,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE member_sessions SET expires_at = $1, data = $2 WHERE member_session_id = $3",
    )
    .bind(s.expires_at)
    .bind(to_json(s)?)
    .bind(&s.member_session_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
