//! The device authorization grant (RFC 8628, migration 0023) and DPoP replay (RFC 9449 §11.1):
//! device requests by the hashes of their two codes, the member's decision (approval writes
//! the grant, the consent and its event in one transaction, and only from pending), polls,
//! the single spend of an approved device code, and seen DPoP proof `jti`s.

use latchkey_core::oauth::device::{DeviceRecord, DeviceStatus};
use latchkey_core::oauth::grant::Grant;
use latchkey_types::AuditEvent;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::oauth::ConsentRow;
use crate::sql::{conflict, from_json, to_json};
use crate::{Result, SqlStore};

/// The request part of a device record (the `data` column).
#[derive(Serialize, Deserialize)]
struct Requested {
    scopes: Vec<String>,
    resources: Vec<String>,
}

const COLUMNS: &str =
    "project_id, client_id, data, status, grant_data, interval_secs, last_poll_at, expires_at, consumed_at";

fn from_row(r: &AnyRow) -> Result<DeviceRecord> {
    let req: Requested = from_json(&r.try_get::<String, _>("data")?)?;
    let status = match r.try_get::<String, _>("status")?.as_str() {
        "approved" => {
            let grant: Grant = from_json(&r.try_get::<String, _>("grant_data")?)?;
            DeviceStatus::Approved {
                grant: Box::new(grant),
            }
        }
        "denied" => DeviceStatus::Denied,
        _ => DeviceStatus::Pending,
    };
    Ok(DeviceRecord {
        project_id: r.try_get("project_id")?,
        client_id: r.try_get("client_id")?,
        scopes: req.scopes,
        resources: req.resources,
        expires_at: r.try_get("expires_at")?,
        interval: r.try_get("interval_secs")?,
        last_poll_at: r.try_get("last_poll_at")?,
        status,
        consumed: r.try_get::<Option<i64>, _>("consumed_at")?.is_some(),
    })
}

impl SqlStore {
    pub(crate) async fn insert_device_authorization_impl(
        &self,
        device_code_hash: &str,
        user_code_hash: &str,
        d: &DeviceRecord,
    ) -> Result<()> {
        let data = to_json(&Requested {
            scopes: d.scopes.clone(),
            resources: d.resources.clone(),
        })?;
        sqlx::query(
            "INSERT INTO device_authorizations (device_code_hash, user_code_hash, project_id, client_id, data, status, interval_secs, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
        )
        .bind(device_code_hash)
        .bind(user_code_hash)
        .bind(&d.project_id)
        .bind(&d.client_id)
        .bind(data)
        .bind(d.interval)
        .bind(d.expires_at)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "device_authorizations"))?;
        Ok(())
    }

    pub(crate) async fn device_by_code_impl(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<DeviceRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM device_authorizations WHERE device_code_hash = $1");
        let row = sqlx::query(&sql)
            .bind(device_code_hash)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn pending_device_impl(
        &self,
        user_code_hash: &str,
        now: i64,
    ) -> Result<Option<DeviceRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM device_authorizations WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2"
        );
        let row = sqlx::query(&sql)
            .bind(user_code_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn approve_device_impl(
        &self,
        user_code_hash: &str,
        grant: &Grant,
        consent: &ConsentRow,
        event: Option<&AuditEvent>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE device_authorizations SET status = 'approved', grant_data = $1 \
             WHERE user_code_hash = $2 AND status = 'pending' AND expires_at > $3",
        )
        .bind(to_json(grant)?)
        .bind(user_code_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        crate::grants::insert_grant(&mut tx, grant, now).await?;
        crate::oauth::upsert_consent(&mut tx, consent).await?;
        crate::audit::insert_events(&mut tx, &event.into_iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn deny_device_impl(&self, user_code_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE device_authorizations SET status = 'denied' WHERE user_code_hash = $1 AND status = 'pending'",
        )
        .bind(user_code_hash)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn record_device_poll_impl(
        &self,
        device_code_hash: &str,
        now: i64,
        interval: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE device_authorizations SET last_poll_at = $1, interval_secs = $2 WHERE device_code_hash = $3",
        )
        .bind(now)
        .bind(interval)
        .bind(device_code_hash)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn consume_device_impl(
        &self,
        device_code_hash: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE device_authorizations SET consumed_at = $1 \
             WHERE device_code_hash = $2 AND status = 'approved' AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(device_code_hash)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets device requests expired before `before` (kept a while so a late poll still
    /// reads `expired_token`).
    pub(crate) async fn purge_device_authorizations_impl(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM device_authorizations WHERE expires_at < $1")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn use_dpop_jti_impl(&self, jti_hash: &str, expires_at: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT (jti_hash) DO NOTHING",
        )
        .bind(jti_hash)
        .bind(expires_at)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn purge_dpop_jtis_impl(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM dpop_jtis WHERE expires_at < $1")
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
