//! The authorization server's records: codes (single use, atomically), refresh tokens
//! (rotation and sliding expiry, reuse revokes the family), access-token ids (for revocation
//! and introspection), consent grants, and each project's refresh-successor key.

use latchkey_core::oauth::code::CodeRecord;
use latchkey_core::oauth::refresh::RefreshRecord;
use sqlx::{Any, Row, Transaction};

use crate::sql::{from_json, to_json, Dialect};
use crate::{Result, SqlStore};

/// The outcome of presenting a code.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeRedemption {
    /// First use: the code is now spent.
    Fresh(CodeRecord),
    /// Spent before: a replay (the caller revokes what the first redemption issued).
    AlreadyUsed(CodeRecord),
    NotFound,
}

/// A refresh token as stored, with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRefresh {
    pub record: RefreshRecord,
    pub revoked: bool,
}

/// A new refresh token (by hash).
#[derive(Debug, Clone)]
pub struct NewRefresh {
    pub token_hash: String,
    pub record: RefreshRecord,
}

/// An issued access token, recorded by jti.
#[derive(Debug, Clone)]
pub struct AccessRow {
    pub jti: String,
    pub project_id: String,
    pub grant_id: String,
    pub client_id: String,
    pub member_id: String,
    /// The session the authorization was made from (for access-token exchange).
    pub member_session_id: Option<String>,
    pub expires_at: i64,
}

/// What the store knows of an access token.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessStatus {
    pub grant_id: String,
    pub client_id: String,
    pub member_id: String,
    pub member_session_id: Option<String>,
    pub revoked: bool,
    pub exchanged: bool,
}

/// A member's consent to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentRow {
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SqlStore {
    pub(crate) async fn refresh_key_impl(
        &self,
        project_id: &str,
        candidate: &str,
    ) -> Result<String> {
        const SELECT: &str = "SELECT refresh_key FROM oauth_project_keys WHERE project_id = $1";
        // After the project's first rotating refresh the key exists: read it without a write.
        if let Some(row) = sqlx::query(SELECT)
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok(row.try_get("refresh_key")?);
        }
        let insert = match self.dialect {
            crate::sql::Dialect::Sqlite => "INSERT OR IGNORE INTO oauth_project_keys (project_id, refresh_key) VALUES ($1, $2)",
            crate::sql::Dialect::Postgres => "INSERT INTO oauth_project_keys (project_id, refresh_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        };
        sqlx::query(insert)
            .bind(project_id)
            .bind(candidate)
            .execute(&self.writer)
            .await?;
        let row = sqlx::query(SELECT)
            .bind(project_id)
            .fetch_one(&self.writer)
            .await?;
        Ok(row.try_get("refresh_key")?)
    }

    pub(crate) async fn insert_code_impl(
        &self,
        code_hash: &str,
        r: &CodeRecord,
        consent: Option<&ConsentRow>,
        event: Option<&latchkey_types::AuditEvent>,
    ) -> Result<()> {
        let issued_at = r.expires_at - latchkey_core::oauth::code::CODE_LIFETIME_SECS;
        // The code and its grant in one statement (PostgreSQL: a CTE, one round trip) or one
        // batch (SQLite: one hand-off to the writer's thread); see `token_writes`.
        const CODE: &str = "INSERT INTO authorization_codes (code_hash, project_id, grant_id, client_id, member_id, expires_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)";
        const GRANT: &str =
            "INSERT INTO oauth_grants (grant_id, project_id, client_id, member_id, created_at) \
             VALUES ($3, $2, $4, $5, $8) ON CONFLICT (grant_id) DO NOTHING";
        let sql = match self.dialect {
            Dialect::Sqlite => format!("{CODE}; {GRANT}"),
            Dialect::Postgres => format!("WITH code AS ({CODE}) {GRANT}"),
        };
        let q = sqlx::query(&sql)
            .bind(code_hash)
            .bind(&r.grant.project_id)
            .bind(&r.grant.grant_id)
            .bind(&r.grant.client_id)
            .bind(&r.grant.member_id)
            .bind(r.expires_at)
            .bind(to_json(r)?)
            .bind(issued_at);
        if self.dialect == Dialect::Postgres && consent.is_none() && event.is_none() {
            // Nothing else to write with it: the statement is its own transaction.
            q.execute(&self.writer).await?;
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        q.execute(&mut *tx).await?;
        if let Some(c) = consent {
            upsert_consent(&mut tx, c).await?;
        }
        crate::audit::insert_events(&mut tx, &event.into_iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spends a code presented by `client_id`: exactly one caller sees `Fresh`, however many
    /// race. The code is looked up by hash *and* client, so a client it was not issued to can
    /// neither spend it nor, replaying it once spent, revoke its family (security review #10;
    /// RFC 6749 §4.1.3: the code must have been issued to the authenticated client).
    pub(crate) async fn redeem_code_impl(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
    ) -> Result<CodeRedemption> {
        // One statement on the usual path: the conditional UPDATE is the single-use check (only
        // one concurrent caller gets its row back), RETURNING hands over the record.
        let spent = sqlx::query("UPDATE authorization_codes SET consumed_at = $1 WHERE code_hash = $2 AND client_id = $3 AND consumed_at IS NULL RETURNING data")
            .bind(now)
            .bind(code_hash)
            .bind(client_id)
            .fetch_optional(&self.writer)
            .await?;
        if let Some(row) = spent {
            let record: CodeRecord = from_json(&row.try_get::<String, _>("data")?)?;
            return Ok(CodeRedemption::Fresh(record));
        }
        let row = sqlx::query(
            "SELECT data FROM authorization_codes WHERE code_hash = $1 AND client_id = $2",
        )
        .bind(code_hash)
        .bind(client_id)
        .fetch_optional(&self.writer)
        .await?;
        let Some(row) = row else {
            return Ok(CodeRedemption::NotFound);
        };
        Ok(CodeRedemption::AlreadyUsed(from_json(
            &row.try_get::<String, _>("data")?,
        )?))
    }

    /// Records the tokens of a code redemption in one transaction. If a replay of the code has
    /// revoked the family meanwhile, the tokens are recorded already revoked (RFC 6749 §4.1.2:
    /// a replayed code revokes what it issued, whichever request finishes first) and false is
    /// returned.
    pub(crate) async fn issue_tokens_impl(
        &self,
        access: &AccessRow,
        refresh: Option<&NewRefresh>,
    ) -> Result<bool> {
        let revoked = crate::token_writes::issue(self, access, refresh).await?;
        Ok(!revoked)
    }

    pub(crate) async fn get_refresh_impl(&self, token_hash: &str) -> Result<Option<StoredRefresh>> {
        let row = sqlx::query("SELECT data, rotated_at, revoked_at, expires_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut record: RefreshRecord = from_json(&row.try_get::<String, _>("data")?)?;
        record.rotated_at = row.try_get("rotated_at")?;
        record.expires_at = row.try_get("expires_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        Ok(Some(StoredRefresh {
            record,
            revoked: revoked.is_some(),
        }))
    }

    /// Spends a rotating token and records its successor and the new access token, atomically;
    /// false when another request rotated it first.
    pub(crate) async fn rotate_refresh_impl(
        &self,
        old_hash: &str,
        now: i64,
        successor: &NewRefresh,
        access: &AccessRow,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !self.lock_family(&mut tx, &access.grant_id).await? {
            return Ok(false);
        }
        let spent = sqlx::query("UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        insert_refresh(&mut tx, successor).await?;
        insert_access(&mut tx, access).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Extends a confidential client's token and records the new access token.
    pub(crate) async fn slide_refresh_impl(
        &self,
        hash: &str,
        expires_at: i64,
        access: &AccessRow,
    ) -> Result<bool> {
        crate::token_writes::slide(self, hash, expires_at, access).await
    }

    pub(crate) async fn record_access_impl(&self, access: &AccessRow) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !self.lock_family(&mut tx, &access.grant_id).await? {
            return Ok(false);
        }
        insert_access(&mut tx, access).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes every token of a grant (code reuse, refresh reuse, revocation).
    pub(crate) async fn revoke_grant_impl(&self, grant_id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.lock_family(&mut tx, grant_id).await?;
        sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(grant_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE authorization_codes SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        for table in ["refresh_tokens", "access_tokens"] {
            sqlx::query(&format!(
                "UPDATE {table} SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL"
            ))
            .bind(now)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE authorization_codes SET consumed_at = $1 WHERE grant_id = $2 AND consumed_at IS NULL")
            .bind(now)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn access_status_impl(&self, jti: &str) -> Result<Option<AccessStatus>> {
        let row = sqlx::query("SELECT grant_id, client_id, member_id, member_session_id, revoked_at, exchanged_at FROM access_tokens WHERE jti = $1")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let revoked: Option<i64> = r.try_get("revoked_at")?;
        let exchanged: Option<i64> = r.try_get("exchanged_at")?;
        Ok(Some(AccessStatus {
            grant_id: r.try_get("grant_id")?,
            client_id: r.try_get("client_id")?,
            member_id: r.try_get("member_id")?,
            member_session_id: r.try_get("member_session_id")?,
            revoked: revoked.is_some(),
            exchanged: exchanged.is_some(),
        }))
    }

    /// Marks an access token exchanged for a session; true only for the first caller.
    pub(crate) async fn exchange_access_impl(&self, jti: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE access_tokens SET exchanged_at = $1 WHERE jti = $2 AND exchanged_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(jti)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn upsert_consent_impl(&self, c: &ConsentRow) -> Result<()> {
        let mut tx = self.begin_write().await?;
        upsert_consent(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn consents_impl(
        &self,
        project_id: &str,
        column: &str,
        value: &str,
    ) -> Result<Vec<ConsentRow>> {
        let sql = format!(
            "SELECT project_id, organization_id, member_id, client_id, scopes, created_at, updated_at FROM consent_grants \
             WHERE project_id = $1 AND {column} = $2 ORDER BY created_at, client_id"
        );
        let rows = sqlx::query(&sql)
            .bind(project_id)
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let scopes: String = r.try_get("scopes")?;
                Ok(ConsentRow {
                    project_id: r.try_get("project_id")?,
                    organization_id: r.try_get("organization_id")?,
                    member_id: r.try_get("member_id")?,
                    client_id: r.try_get("client_id")?,
                    scopes: scopes
                        .split_ascii_whitespace()
                        .map(str::to_string)
                        .collect(),
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Ends a member's consent to a client and, in the same transaction, revokes everything
    /// issued under it: every family of (member, client) is locked as `revoke_grant` locks one,
    /// so a racing rotation cannot leave a live successor (security review #17), and unredeemed
    /// codes are spent so none redeems after the withdrawal (#8).
    pub(crate) async fn revoke_consent_impl(
        &self,
        member_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&latchkey_types::AuditEvent>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let which = crate::grants::Families::Consent {
            member_id,
            client_id,
        };
        self.revoke_families(&mut tx, which, Some(now)).await?;
        let gone =
            sqlx::query("DELETE FROM consent_grants WHERE member_id = $1 AND client_id = $2")
                .bind(member_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        // The event only when a consent ended (revoking nothing is no decision to log).
        if gone.rows_affected() > 0 {
            crate::audit::insert_events(&mut tx, &event.into_iter().collect::<Vec<_>>()).await?;
        }
        tx.commit().await?;
        Ok(gone.rows_affected() > 0)
    }
}

pub(crate) async fn insert_access(tx: &mut Transaction<'static, Any>, a: &AccessRow) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO access_tokens (jti, project_id, grant_id, client_id, member_id, member_session_id, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    bind_access(q, a).execute(&mut **tx).await?;
    Ok(())
}

/// An access token's columns bound as `$1`…`$7`: jti, project, grant, client, member, member
/// session, expiry (every statement that records one numbers them so).
pub(crate) fn bind_access<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    a: &'q AccessRow,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&a.jti)
        .bind(&a.project_id)
        .bind(&a.grant_id)
        .bind(&a.client_id)
        .bind(&a.member_id)
        .bind(a.member_session_id.as_deref())
        .bind(a.expires_at)
}

async fn insert_refresh(tx: &mut Transaction<'static, Any>, r: &NewRefresh) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, project_id, grant_id, client_id, member_id, expires_at, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    bind_refresh(q, r)?.execute(&mut **tx).await?;
    Ok(())
}

/// A refresh token's columns bound next, in this order: hash, project, grant, client, member,
/// expiry, record (as JSON).
pub(crate) fn bind_refresh<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    r: &'q NewRefresh,
) -> Result<sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>> {
    let g = &r.record.grant;
    Ok(q.bind(&r.token_hash)
        .bind(&g.project_id)
        .bind(&g.grant_id)
        .bind(&g.client_id)
        .bind(&g.member_id)
        .bind(r.record.expires_at)
        .bind(to_json(&r.record)?))
}

/// Records what a member granted a client, replacing an earlier grant (one row per pair, the
/// primary key). One statement, so two first consents in parallel cannot both insert: the
/// second updates (on PostgreSQL an UPDATE-then-INSERT raced into a key violation, a 500).
pub(crate) async fn upsert_consent(
    tx: &mut Transaction<'static, Any>,
    c: &ConsentRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_grants (project_id, organization_id, member_id, client_id, scopes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (member_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(&c.project_id)
    .bind(&c.organization_id)
    .bind(&c.member_id)
    .bind(&c.client_id)
    .bind(c.scopes.join(" "))
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
