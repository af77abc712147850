//! Password reset writes (issue 13 item 6; Stytch `passwords/email/reset`, `session/reset`,
//! `existing_password/reset`, `email/require_reset`): a new password, the member's updated
//! profile and the end of their other sessions and unused reset links commit together, and a
//! password can be marked as needing a reset (`member_passwords.reset_required`, 0019).

use latchkey_types::Member;

use crate::passwords::{upsert_password, MemberPassword};
use crate::{Result, SqlStore};

impl SqlStore {
    pub(crate) async fn reset_member_password_impl(
        &self,
        m: &Member,
        p: &MemberPassword,
        keep_session: Option<&str>,
    ) -> Result<bool> {
        let mut member = m.clone();
        member.member_password_id = p.member_password_id.clone();
        let mut tx = self.begin_write().await?;
        if !crate::members::update_member_row(&mut tx, &member).await? {
            return Ok(false);
        }
        upsert_password(&mut tx, p).await?;
        // Further tokens go with their session (ON DELETE CASCADE).
        sqlx::query(
            "DELETE FROM member_sessions WHERE member_id = $1 AND project_id = $2 \
             AND ($3 IS NULL OR member_session_id <> $3)",
        )
        .bind(&p.member_id)
        .bind(&p.project_id)
        .bind(keep_session)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM magic_link_tokens WHERE member_id = $1 AND project_id = $2 \
             AND kind = 'reset_password' AND used_at IS NULL",
        )
        .bind(&p.member_id)
        .bind(&p.project_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn require_password_reset_impl(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE member_passwords SET reset_required = 1 WHERE project_id = $1 AND member_id = $2",
        )
        .bind(project_id)
        .bind(member_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
