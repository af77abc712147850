//! Use cases that write several tables and must commit together (issue 9 item 7, code review
//! §9 item 3): a member whose email changed loses their sessions and unused links; a migrated
//! password replaces the old one together with the profile update; an access token exchanged
//! for a session is spent together with the session's extension and its new token. Each is one
//! transaction: a failure midway leaves nothing half done.

use latchkey_core::secret::SecretHash;
use latchkey_core::session::SessionRecord;
use latchkey_types::Member;

use crate::passwords::{upsert_password, MemberPassword};
use crate::sql::to_json;
use crate::{Result, SqlStore};

impl SqlStore {
    pub(crate) async fn update_member_ending_sessions_impl(
        &self,
        project_id: &str,
        m: &Member,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !crate::members::update_member_row(&mut tx, m).await? {
            return Ok(false);
        }
        // Further tokens go with their session (ON DELETE CASCADE).
        sqlx::query("DELETE FROM member_sessions WHERE member_id = $1 AND project_id = $2")
            .bind(&m.member_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM magic_link_tokens WHERE member_id = $1 AND project_id = $2 AND used_at IS NULL",
        )
        .bind(&m.member_id)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn replace_member_password_impl(
        &self,
        m: &Member,
        p: &MemberPassword,
    ) -> Result<bool> {
        let mut member = m.clone();
        member.member_password_id = p.member_password_id.clone();
        let mut tx = self.begin_write().await?;
        if !crate::members::update_member_row(&mut tx, &member).await? {
            return Ok(false);
        }
        upsert_password(&mut tx, p).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn exchange_access_token_impl(
        &self,
        jti: &str,
        session: &SessionRecord,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let spent = sqlx::query(
            "UPDATE access_tokens SET exchanged_at = $1 \
             WHERE jti = $2 AND exchanged_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(jti)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        let updated = sqlx::query(
            "UPDATE member_sessions SET expires_at = $1, data = $2 \
             WHERE member_session_id = $3 AND project_id = $4 AND expires_at > $5",
        )
        .bind(session.expires_at)
        .bind(to_json(session)?)
        .bind(&session.member_session_id)
        .bind(&session.project_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            // Revoked or expired meanwhile: the token stays unspent (the transaction rolls back).
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO member_session_tokens (token_hash, member_session_id, project_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.as_str())
        .bind(&session.member_session_id)
        .bind(&session.project_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
