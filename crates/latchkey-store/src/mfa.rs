//! Multi-factor authentication records (issue 13 items 1, 2; migration 0020): intermediate
//! sessions, TOTP registrations and recovery codes, and the one transaction that turns an
//! intermediate session and a second factor into a full session ([`MfaCompletion`]).
//!
//! Single use is the database's: an intermediate session is exchanged by `DELETE … WHERE
//! expires_at > now` (rows affected), a TOTP step by `UPDATE … WHERE last_used_step < $step`, a
//! recovery code by `UPDATE … WHERE used_at IS NULL`; each inside the completion's transaction,
//! so of concurrent callers exactly one gets a session and a refused proof leaves the
//! intermediate session unspent.

use latchkey_core::mfa::IntermediateSession;
use latchkey_core::secret::SecretHash;
use latchkey_core::session::SessionRecord;
use latchkey_types::Member;
use sqlx::Row;

use crate::sql::{from_json, to_json};
use crate::{Result, SqlStore};

/// A TOTP registration as stored (the secret sealed, see `core::jwt::seal_secret`).
#[derive(Debug, Clone, PartialEq)]
pub struct TotpRegistration {
    pub totp_registration_id: String,
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    pub sealed_secret: String,
    /// Authenticated once (or migrated): the member's TOTP. Unverified ones expire.
    pub verified: bool,
    /// The last step a code was accepted for; -1 when none was.
    pub last_used_step: i64,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// A recovery code to store: its hash (the lookup key) and its sealed text (for `get`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecoveryCode {
    pub code_hash: SecretHash,
    pub sealed_code: String,
}

/// A recovery code still unused, sealed, in the order issued.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecoveryCode {
    pub totp_registration_id: String,
    pub sealed_code: String,
}

/// The second factor a completion spends, checked and spent inside its transaction.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactorProof<'a> {
    /// A TOTP code matched `step`: recorded only if no code of this or a later step was used
    /// (and the registration becomes the member's verified one, replacing any other).
    Totp {
        totp_registration_id: &'a str,
        step: i64,
    },
    /// A recovery code of the member's verified TOTP registration, spent once.
    RecoveryCode {
        member_id: &'a str,
        code_hash: &'a SecretHash,
    },
    /// Already proven and spent by the caller's own single-use operation (e.g. an SMS or
    /// email passcode), or nothing to spend (a primary factor carrying an intermediate
    /// session forward).
    AlreadySpent,
}

/// Where the completed factors go.
#[derive(Debug, Clone, Copy)]
pub enum SessionWrite<'a> {
    /// A new session (from an intermediate session, or a first login).
    New {
        record: &'a SessionRecord,
        token_hash: &'a SecretHash,
    },
    /// The caller's existing session, its factor added (step-up).
    Existing(&'a SessionRecord),
}

/// One MFA completion: spend the intermediate session (if any) and the proof, apply the
/// member's enrollment changes, and write the session, all or nothing.
#[derive(Debug, Clone, Copy)]
pub struct MfaCompletion<'a> {
    pub project_id: &'a str,
    pub intermediate: Option<&'a SecretHash>,
    pub proof: SecondFactorProof<'a>,
    /// The member with `totp_registration_id`, `mfa_enrolled`, `default_mfa_method` changed.
    pub member: Option<&'a Member>,
    pub session: SessionWrite<'a>,
    pub now: i64,
}

/// What a completion did. Anything but `Done` rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaOutcome {
    Done,
    /// Unknown, expired or already exchanged.
    IntermediateGone,
    /// The TOTP step or the recovery code was already spent.
    ProofSpent,
    /// The existing session or the member is gone.
    SessionGone,
}

fn registration(r: &sqlx::any::AnyRow) -> Result<TotpRegistration> {
    Ok(TotpRegistration {
        totp_registration_id: r.try_get("totp_registration_id")?,
        project_id: r.try_get("project_id")?,
        organization_id: r.try_get("organization_id")?,
        member_id: r.try_get("member_id")?,
        sealed_secret: r.try_get("sealed_secret")?,
        verified: r.try_get::<i64, _>("verified")? != 0,
        last_used_step: r.try_get("last_used_step")?,
        expires_at: r.try_get("expires_at")?,
        created_at: r.try_get("created_at")?,
    })
}

const REGISTRATION_COLUMNS: &str = "totp_registration_id, project_id, organization_id, member_id, \
     sealed_secret, verified, last_used_step, expires_at, created_at";

async fn insert_registration(
    conn: &mut sqlx::AnyConnection,
    reg: &TotpRegistration,
    codes: &[NewRecoveryCode],
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO totp_registrations ({REGISTRATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&reg.totp_registration_id)
    .bind(&reg.project_id)
    .bind(&reg.organization_id)
    .bind(&reg.member_id)
    .bind(&reg.sealed_secret)
    .bind(i64::from(reg.verified))
    .bind(reg.last_used_step)
    .bind(reg.expires_at)
    .bind(reg.created_at)
    .execute(&mut *conn)
    .await?;
    insert_codes(conn, reg, codes).await
}

async fn insert_codes(
    conn: &mut sqlx::AnyConnection,
    reg: &TotpRegistration,
    codes: &[NewRecoveryCode],
) -> Result<()> {
    for (i, c) in codes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO recovery_codes (totp_registration_id, code_hash, project_id, member_id, sealed_code, position) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&reg.totp_registration_id)
        .bind(c.code_hash.as_str())
        .bind(&reg.project_id)
        .bind(&reg.member_id)
        .bind(&c.sealed_code)
        .bind(i64::try_from(i).unwrap_or(0))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn insert_intermediate_session_impl(
        &self,
        s: &IntermediateSession,
        token_hash: &SecretHash,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO intermediate_sessions (token_hash, project_id, organization_id, member_id, expires_at, created_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash.as_str())
        .bind(&s.project_id)
        .bind(&s.organization_id)
        .bind(&s.member_id)
        .bind(s.expires_at)
        .bind(s.created_at)
        .bind(to_json(s)?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn intermediate_session_impl(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<IntermediateSession>> {
        let row = sqlx::query(
            "SELECT data FROM intermediate_sessions WHERE token_hash = $1 AND project_id = $2",
        )
        .bind(token_hash.as_str())
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    /// Spends `old` (if live) and stores `s` under `new_hash` in one transaction: a primary
    /// factor that carried an intermediate session forward and still needs a second factor.
    pub(crate) async fn replace_intermediate_session_impl(
        &self,
        old: &SecretHash,
        s: &IntermediateSession,
        new_hash: &SecretHash,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !spend_intermediate(&mut tx, &s.project_id, old, now).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO intermediate_sessions (token_hash, project_id, organization_id, member_id, expires_at, created_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_hash.as_str())
        .bind(&s.project_id)
        .bind(&s.organization_id)
        .bind(&s.member_id)
        .bind(s.expires_at)
        .bind(s.created_at)
        .bind(to_json(s)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn complete_mfa_impl(&self, c: &MfaCompletion<'_>) -> Result<MfaOutcome> {
        let mut tx = self.begin_write().await?;
        if let Some(h) = c.intermediate {
            if !spend_intermediate(&mut tx, c.project_id, h, c.now).await? {
                return Ok(MfaOutcome::IntermediateGone);
            }
        }
        if !spend_proof(&mut tx, c.project_id, c.proof, c.now).await? {
            return Ok(MfaOutcome::ProofSpent);
        }
        if let Some(m) = c.member {
            if !crate::members::update_member_row(&mut tx, m).await? {
                return Ok(MfaOutcome::SessionGone);
            }
        }
        match c.session {
            SessionWrite::New { record, token_hash } => {
                crate::sessions::insert_session_row(&mut tx, record, token_hash).await?;
            }
            SessionWrite::Existing(record) => {
                if !crate::sessions::update_session_row(&mut tx, record).await? {
                    return Ok(MfaOutcome::SessionGone);
                }
            }
        }
        tx.commit().await?;
        Ok(MfaOutcome::Done)
    }

    pub(crate) async fn insert_totp_registration_impl(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // One pending registration per member: a new create replaces the unverified ones.
        sqlx::query(
            "DELETE FROM totp_registrations WHERE member_id = $1 AND project_id = $2 AND verified = 0",
        )
        .bind(&reg.member_id)
        .bind(&reg.project_id)
        .execute(&mut *tx)
        .await?;
        insert_registration(&mut tx, reg, codes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The member's verified registration, else the newest unverified one still open at `now`.
    pub(crate) async fn member_totp_impl(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> Result<Option<TotpRegistration>> {
        let row = sqlx::query(&format!(
            "SELECT {REGISTRATION_COLUMNS} FROM totp_registrations \
             WHERE member_id = $1 AND project_id = $2 AND (verified = 1 OR expires_at > $3) \
             ORDER BY verified DESC, created_at DESC LIMIT 1"
        ))
        .bind(member_id)
        .bind(project_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(registration).transpose()
    }

    /// `totp/migrate`: the member's registrations give way to `reg` (verified) and its codes,
    /// and the member row (with `totp_registration_id`) is written, together.
    pub(crate) async fn migrate_totp_impl(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
        member: &Member,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !crate::members::update_member_row(&mut tx, member).await? {
            return Ok(false);
        }
        sqlx::query("DELETE FROM totp_registrations WHERE member_id = $1 AND project_id = $2")
            .bind(&reg.member_id)
            .bind(&reg.project_id)
            .execute(&mut *tx)
            .await?;
        insert_registration(&mut tx, reg, codes).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The unused recovery codes of the member's verified registration, in issue order.
    pub(crate) async fn recovery_codes_impl(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Vec<StoredRecoveryCode>> {
        let rows = sqlx::query(
            "SELECT c.totp_registration_id, c.sealed_code FROM recovery_codes c \
             JOIN totp_registrations t ON t.totp_registration_id = c.totp_registration_id \
             WHERE c.member_id = $1 AND c.project_id = $2 AND t.verified = 1 AND c.used_at IS NULL \
             ORDER BY c.position",
        )
        .bind(member_id)
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredRecoveryCode {
                    totp_registration_id: r.try_get("totp_registration_id")?,
                    sealed_code: r.try_get("sealed_code")?,
                })
            })
            .collect()
    }

    /// Replaces every code of a verified registration (`recovery_codes/rotate`).
    pub(crate) async fn rotate_recovery_codes_impl(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let live = sqlx::query(
            "SELECT 1 AS one FROM totp_registrations WHERE totp_registration_id = $1 AND verified = 1",
        )
        .bind(&reg.totp_registration_id)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE totp_registration_id = $1")
            .bind(&reg.totp_registration_id)
            .execute(&mut *tx)
            .await?;
        insert_codes(&mut tx, reg, codes).await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn spend_intermediate(
    conn: &mut sqlx::AnyConnection,
    project_id: &str,
    hash: &SecretHash,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM intermediate_sessions WHERE token_hash = $1 AND project_id = $2 AND expires_at > $3",
    )
    .bind(hash.as_str())
    .bind(project_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn spend_proof(
    conn: &mut sqlx::AnyConnection,
    project_id: &str,
    proof: SecondFactorProof<'_>,
    now: i64,
) -> Result<bool> {
    match proof {
        SecondFactorProof::AlreadySpent => Ok(true),
        SecondFactorProof::Totp {
            totp_registration_id,
            step,
        } => {
            let done = sqlx::query(
                "UPDATE totp_registrations SET last_used_step = $1, verified = 1, expires_at = NULL \
                 WHERE totp_registration_id = $2 AND project_id = $3 AND last_used_step < $1 \
                 AND (verified = 1 OR expires_at > $4)",
            )
            .bind(step)
            .bind(totp_registration_id)
            .bind(project_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            // The member's one TOTP from now on: any other registration goes.
            sqlx::query(
                "DELETE FROM totp_registrations WHERE project_id = $1 AND totp_registration_id <> $2 \
                 AND member_id = (SELECT member_id FROM totp_registrations WHERE totp_registration_id = $2)",
            )
            .bind(project_id)
            .bind(totp_registration_id)
            .execute(&mut *conn)
            .await?;
            Ok(true)
        }
        SecondFactorProof::RecoveryCode {
            member_id,
            code_hash,
        } => {
            let done = sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE member_id = $2 AND project_id = $3 AND code_hash = $4 AND used_at IS NULL \
                 AND totp_registration_id IN (SELECT totp_registration_id FROM totp_registrations \
                 WHERE member_id = $2 AND verified = 1)",
            )
            .bind(now)
            .bind(member_id)
            .bind(project_id)
            .bind(code_hash.as_str())
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }
}
