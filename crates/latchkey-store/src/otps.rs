//! One-time passcodes (issue 13 item 3, migration 0021): the project's OTP key (sealed by the
//! server, stored here), one live code per member and channel with its resend interval, the
//! attempt claimed atomically before each comparison, and single use. A sub-trait of
//! [`crate::Store`] in its own file (review 2026-12: per-resource store sub-traits).

use async_trait::async_trait;
use latchkey_core::otp::{Channel, Refusal, StoredCode, MAX_ATTEMPTS};
use latchkey_types::Member;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, SqlStore};

/// What claiming an attempt on a member's code found.
#[derive(Debug, Clone, PartialEq)]
pub enum OtpClaim {
    /// An attempt was counted (`attempts` includes it); compare the code now.
    Claimed(Box<StoredCode>),
    /// No attempt is left to claim, and why.
    Refused(Refusal),
}

/// The passcode operations of the store.
#[async_trait]
pub trait OtpStore: Send + Sync {
    /// The project's OTP key (sealed form); `candidate` is stored if none exists yet.
    async fn otp_key(&self, project_id: &str, candidate: &str) -> Result<String>;
    /// Stores `code` as the member's only code on its channel, replacing the last one unless
    /// that was created after `resend_before` (then nothing is written: false). `member`, when
    /// given, is written in the same transaction (an SMS number linked to the member).
    async fn issue_otp(
        &self,
        code: &StoredCode,
        resend_before: i64,
        member: Option<&Member>,
    ) -> Result<bool>;
    /// Counts one attempt on the member's live code, atomically: of any number of concurrent
    /// callers at most [`MAX_ATTEMPTS`] ever get [`OtpClaim::Claimed`].
    async fn claim_otp_attempt(
        &self,
        project_id: &str,
        member_id: &str,
        channel: Channel,
        now: i64,
    ) -> Result<OtpClaim>;
    /// Marks the code used and writes `member` (verified phone or email, status) in the same
    /// transaction; false when another request used it first (nothing written).
    async fn consume_otp(&self, code_id: &str, now: i64, member: Option<&Member>) -> Result<bool>;
}

const COLUMNS: &str = "code_id, project_id, organization_id, member_id, channel, destination, \
                       code_hash, attempts, expires_at, used_at, created_at";

fn row_to_code(r: &AnyRow) -> Result<StoredCode> {
    Ok(StoredCode {
        code_id: r.try_get("code_id")?,
        project_id: r.try_get("project_id")?,
        organization_id: r.try_get("organization_id")?,
        member_id: r.try_get("member_id")?,
        channel: r.try_get("channel")?,
        destination: r.try_get("destination")?,
        code_hash: r.try_get("code_hash")?,
        attempts: r.try_get("attempts")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        created_at: r.try_get("created_at")?,
    })
}

#[async_trait]
impl OtpStore for SqlStore {
    async fn otp_key(&self, project_id: &str, candidate: &str) -> Result<String> {
        const SELECT: &str = "SELECT otp_key FROM otp_keys WHERE project_id = $1";
        if let Some(row) = sqlx::query(SELECT)
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok(row.try_get("otp_key")?);
        }
        // Concurrent first uses: one candidate wins, everyone reads the winner.
        sqlx::query(
            "INSERT INTO otp_keys (project_id, otp_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(project_id)
        .bind(candidate)
        .execute(&self.writer)
        .await?;
        let row = sqlx::query(SELECT)
            .bind(project_id)
            .fetch_one(&self.writer)
            .await?;
        Ok(row.try_get("otp_key")?)
    }

    async fn issue_otp(
        &self,
        c: &StoredCode,
        resend_before: i64,
        member: Option<&Member>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // One statement decides the resend interval, so two concurrent sends cannot both pass.
        let done = sqlx::query(
            "INSERT INTO otp_codes (code_id, project_id, organization_id, member_id, channel, \
             destination, code_hash, attempts, expires_at, used_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, NULL, $9) \
             ON CONFLICT (member_id, channel) DO UPDATE SET code_id = excluded.code_id, \
             project_id = excluded.project_id, organization_id = excluded.organization_id, \
             destination = excluded.destination, code_hash = excluded.code_hash, attempts = 0, \
             expires_at = excluded.expires_at, used_at = NULL, created_at = excluded.created_at \
             WHERE otp_codes.created_at <= $10",
        )
        .bind(&c.code_id)
        .bind(&c.project_id)
        .bind(&c.organization_id)
        .bind(&c.member_id)
        .bind(&c.channel)
        .bind(&c.destination)
        .bind(&c.code_hash)
        .bind(c.expires_at)
        .bind(c.created_at)
        .bind(resend_before)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(m) = member {
            if !crate::members::update_member_row(&mut tx, m).await? {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_otp_attempt(
        &self,
        project_id: &str,
        member_id: &str,
        channel: Channel,
        now: i64,
    ) -> Result<OtpClaim> {
        let claimed = sqlx::query(&format!(
            "UPDATE otp_codes SET attempts = attempts + 1 WHERE project_id = $1 AND \
             member_id = $2 AND channel = $3 AND used_at IS NULL AND expires_at > $4 AND \
             attempts < $5 RETURNING {COLUMNS}"
        ))
        .bind(project_id)
        .bind(member_id)
        .bind(channel.as_str())
        .bind(now)
        .bind(MAX_ATTEMPTS)
        .fetch_optional(&self.writer)
        .await?;
        if let Some(r) = claimed {
            return Ok(OtpClaim::Claimed(Box::new(row_to_code(&r)?)));
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM otp_codes WHERE project_id = $1 AND member_id = $2 AND channel = $3"
        ))
        .bind(project_id)
        .bind(member_id)
        .bind(channel.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let refusal = match row.as_ref().map(row_to_code).transpose()? {
            None => Refusal::NotFound,
            Some(c) if c.used_at.is_some() => Refusal::AlreadyUsed,
            Some(c) if c.expires_at <= now => Refusal::Expired,
            Some(_) => Refusal::TooManyAttempts,
        };
        Ok(OtpClaim::Refused(refusal))
    }

    async fn consume_otp(&self, code_id: &str, now: i64, member: Option<&Member>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE otp_codes SET used_at = $2 WHERE code_id = $1 AND used_at IS NULL")
                .bind(code_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(m) = member {
            crate::members::update_member_row(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
