//! Member passwords and failed-attempt counters. A member has at most one password row; setting
//! one also writes its `member_password_id` into the stored Member document in the same
//! transaction. Imported hashes are replaced by argon2id only if they are still the hash that was
//! verified (a concurrent migrate wins). Failure counters are fixed windows, incremented
//! atomically with an upsert.

use latchkey_types::Member;
use sqlx::{AnyConnection, Row};

use crate::sql::{from_json, to_json};
use crate::{Result, SqlStore};

/// A stored password: `hash` is an argon2id PHC string (`kind` = `native`) or an imported hash
/// in its JSON storage form (`kind` = its Stytch `hash_type`).
#[derive(Clone, PartialEq)]
pub struct MemberPassword {
    pub member_password_id: String,
    pub project_id: String,
    pub member_id: String,
    pub hash: String,
    pub kind: String,
    pub created_at: i64,
    /// `passwords/email/require_reset` marked it: logins are refused until a reset (0019).
    pub reset_required: bool,
}

impl std::fmt::Debug for MemberPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberPassword")
            .field("member_password_id", &self.member_password_id)
            .field("member_id", &self.member_id)
            .field("kind", &self.kind)
            .field("reset_required", &self.reset_required)
            .field("hash", &"<redacted>")
            .finish()
    }
}

/// Whose failures a counter holds.
#[derive(Debug, Clone, Copy)]
pub enum FailureSubject<'a> {
    Member(&'a str),
    /// A client address bucket (see `core::password::lockout::address_bucket`).
    Address(&'a str),
    /// A member's second-factor attempts (TOTP codes, recovery codes: issue 13).
    Mfa(&'a str),
}

impl FailureSubject<'_> {
    fn key(&self) -> String {
        match self {
            FailureSubject::Member(m) => format!("member:{m}"),
            FailureSubject::Address(a) => format!("address:{a}"),
            FailureSubject::Mfa(m) => format!("mfa:{m}"),
        }
    }
}

/// A lock on a member's password logins, as shown on the Member object (RFC 3339 times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLock {
    pub created_at: String,
    pub expires_at: String,
}

impl SqlStore {
    pub(crate) async fn set_member_password_impl(&self, p: &MemberPassword) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !write_password_id(&mut tx, p).await? {
            return Ok(false);
        }
        upsert_password(&mut tx, p).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn insert_member_with_password_impl(
        &self,
        project_id: &str,
        m: &Member,
        p: &MemberPassword,
    ) -> Result<()> {
        let mut member = m.clone();
        member.member_password_id = p.member_password_id.clone();
        let mut tx = self.begin_write().await?;
        crate::members::insert_member_row(&mut tx, project_id, &member).await?;
        upsert_password(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn member_password_impl(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Option<MemberPassword>> {
        let row = sqlx::query(
            "SELECT member_password_id, project_id, member_id, hash, kind, created_at, \
             reset_required FROM member_passwords WHERE project_id = $1 AND member_id = $2",
        )
        .bind(project_id)
        .bind(member_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(MemberPassword {
                member_password_id: r.try_get("member_password_id")?,
                project_id: r.try_get("project_id")?,
                member_id: r.try_get("member_id")?,
                hash: r.try_get("hash")?,
                kind: r.try_get("kind")?,
                created_at: r.try_get("created_at")?,
                reset_required: r.try_get::<i64, _>("reset_required")? != 0,
            })
        })
        .transpose()
    }

    pub(crate) async fn upgrade_password_hash_impl(
        &self,
        member_id: &str,
        expected_hash: &str,
        new_hash: &str,
        new_kind: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE member_passwords SET hash = $1, kind = $2 WHERE member_id = $3 AND hash = $4",
        )
        .bind(new_hash)
        .bind(new_kind)
        .bind(member_id)
        .bind(expected_hash)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn record_password_failure_impl(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> Result<i64> {
        // One statement: a window that has ended restarts at 1, otherwise the count grows.
        let row = sqlx::query(
            "INSERT INTO password_failures (project_id, subject, window_start, failures) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (project_id, subject) DO UPDATE SET \
             failures = CASE WHEN password_failures.window_start <= $4 THEN 1 \
                        ELSE password_failures.failures + 1 END, \
             window_start = CASE WHEN password_failures.window_start <= $4 THEN $3 \
                        ELSE password_failures.window_start END \
             RETURNING failures",
        )
        .bind(project_id)
        .bind(subject.key())
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get("failures")?)
    }

    pub(crate) async fn password_failures_impl(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT failures FROM password_failures \
             WHERE project_id = $1 AND subject = $2 AND window_start > $3",
        )
        .bind(project_id)
        .bind(subject.key())
        .bind(now - window_secs)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("failures")).transpose()?.unwrap_or(0))
    }

    pub(crate) async fn clear_password_failures_impl(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM password_failures WHERE project_id = $1 AND subject = $2")
            .bind(project_id)
            .bind(subject.key())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(crate) async fn purge_password_failures_impl(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM password_failures WHERE window_start <= $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn set_member_lock_impl(
        &self,
        organization_id: &str,
        member_id: &str,
        lock: Option<&MemberLock>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(mut m) = member_doc(&mut tx, member_id).await? else {
            return Ok(false);
        };
        if m.organization_id != organization_id {
            return Ok(false);
        }
        m.is_locked = lock.is_some();
        m.lock_created_at = lock.map(|l| l.created_at.clone());
        m.lock_expires_at = lock.map(|l| l.expires_at.clone());
        write_member_doc(&mut tx, &m).await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn member_doc(conn: &mut AnyConnection, member_id: &str) -> Result<Option<Member>> {
    let row = sqlx::query("SELECT data FROM members WHERE member_id = $1")
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| from_json(&r.try_get::<String, _>("data")?))
        .transpose()
}

async fn write_member_doc(conn: &mut AnyConnection, m: &Member) -> Result<()> {
    sqlx::query("UPDATE members SET data = $1 WHERE member_id = $2")
        .bind(to_json(m)?)
        .bind(&m.member_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes `member_password_id` into the member's document; false when the member is gone.
async fn write_password_id(conn: &mut AnyConnection, p: &MemberPassword) -> Result<bool> {
    let Some(mut m) = member_doc(conn, &p.member_id).await? else {
        return Ok(false);
    };
    m.member_password_id = p.member_password_id.clone();
    write_member_doc(conn, &m).await?;
    Ok(true)
}

pub(crate) async fn upsert_password(conn: &mut AnyConnection, p: &MemberPassword) -> Result<()> {
    sqlx::query(
        "INSERT INTO member_passwords (member_password_id, member_id, project_id, hash, kind, created_at, reset_required) \
         VALUES ($1, $2, $3, $4, $5, $6, 0) \
         ON CONFLICT (member_id) DO UPDATE SET member_password_id = excluded.member_password_id, \
         hash = excluded.hash, kind = excluded.kind, created_at = excluded.created_at, \
         reset_required = 0",
    )
    .bind(&p.member_password_id)
    .bind(&p.member_id)
    .bind(&p.project_id)
    .bind(&p.hash)
    .bind(&p.kind)
    .bind(p.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
