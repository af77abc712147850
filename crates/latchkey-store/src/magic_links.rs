//! Email magic link tokens (kept only as SHA-256 hashes, single use through `used_at`) and the
//! local outbox that holds mail when no SMTP server is configured.

use latchkey_core::secret::SecretHash;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Consumed, MagicLinkRecord, OutboxMessage, Result, SqlStore};

const TOKEN_COLUMNS: &str = "project_id, organization_id, member_id, kind, redirect_url, \
     pkce_code_challenge, expires_at, used_at, created_at";

fn token_from_row(r: &AnyRow) -> Result<MagicLinkRecord> {
    Ok(MagicLinkRecord {
        project_id: r.try_get("project_id")?,
        organization_id: r.try_get("organization_id")?,
        member_id: r.try_get("member_id")?,
        kind: r.try_get("kind")?,
        redirect_url: r.try_get("redirect_url")?,
        pkce_code_challenge: r.try_get("pkce_code_challenge")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        created_at: r.try_get("created_at")?,
    })
}

impl SqlStore {
    pub(crate) async fn insert_magic_link_impl(
        &self,
        token_hash: &SecretHash,
        t: &MagicLinkRecord,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO magic_link_tokens (token_hash, project_id, organization_id, member_id, kind, \
             redirect_url, pkce_code_challenge, expires_at, used_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
        )
        .bind(token_hash.as_str())
        .bind(&t.project_id)
        .bind(&t.organization_id)
        .bind(&t.member_id)
        .bind(&t.kind)
        .bind(&t.redirect_url)
        .bind(t.pkce_code_challenge.as_deref())
        .bind(t.expires_at)
        .bind(t.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn magic_link_impl(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<MagicLinkRecord>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM magic_link_tokens WHERE token_hash = $1 AND project_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash.as_str())
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// One conditional UPDATE marks the token used: of any number of concurrent callers, exactly
    /// one gets the row back. The others learn why from a read afterwards.
    pub(crate) async fn consume_magic_link_impl(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<Consumed> {
        let sql = format!(
            "UPDATE magic_link_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND project_id = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING {TOKEN_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(token_hash.as_str())
            .bind(project_id)
            .fetch_optional(&self.writer)
            .await?;
        if let Some(r) = row {
            return Ok(Consumed::Ok(token_from_row(&r)?));
        }
        Ok(match self.magic_link_impl(project_id, token_hash).await? {
            None => Consumed::NotFound,
            Some(t) if t.used_at.is_some() => Consumed::AlreadyUsed,
            Some(_) => Consumed::Expired,
        })
    }

    /// Removes tokens that expired before `before` (used or not).
    pub(crate) async fn purge_magic_links_impl(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM magic_link_tokens WHERE expires_at <= $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn add_to_outbox_impl(&self, m: &OutboxMessage) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO outbox (project_id, to_address, subject, text_body, html_body, link, created_at, channel) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&m.project_id)
        .bind(&m.to_address)
        .bind(&m.subject)
        .bind(&m.text_body)
        .bind(&m.html_body)
        .bind(&m.link)
        .bind(m.created_at)
        .bind(&m.channel)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get::<i64, _>("id")?)
    }

    pub(crate) async fn list_outbox_impl(
        &self,
        project_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT id, project_id, to_address, subject, text_body, html_body, link, created_at, channel \
             FROM outbox WHERE ($1 IS NULL OR project_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(project_id)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxMessage {
                    id: r.try_get("id")?,
                    project_id: r.try_get("project_id")?,
                    to_address: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    text_body: r.try_get("text_body")?,
                    html_body: r.try_get("html_body")?,
                    link: r.try_get("link")?,
                    created_at: r.try_get("created_at")?,
                    channel: r.try_get("channel")?,
                })
            })
            .collect()
    }
}
