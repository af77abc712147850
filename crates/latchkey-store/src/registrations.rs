//! Self-registered clients (branch mcp, issue 10): RFC 7591 dynamic client registration and the
//! per-project settings that govern it. A registration is a `connected_apps` row plus a
//! `dynamic_clients` row (RFC 7592 token hash, deduplication key, metadata, last use), written
//! in one transaction with the per-project cap checked inside it.

use latchkey_core::secret::SecretHash;
use latchkey_types::ConnectedApp;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::sql::{from_json, to_json};
use crate::{NewConnectedApp, Result, SqlStore, StoreError};

/// The registration side of a dynamically registered client.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicClient {
    pub client_id: String,
    pub project_id: String,
    /// The client metadata as registered (JSON object, server-normalised).
    pub metadata: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A registration to write.
#[derive(Debug)]
pub struct NewDynamicClient<'a> {
    pub client: &'a NewConnectedApp,
    pub registration_token_hash: SecretHash,
    /// Public registrations only: identical metadata returns the existing client.
    pub dedup_key: Option<String>,
    pub metadata: String,
    pub created_at: i64,
    /// Most dynamically registered clients the project may hold.
    pub max_clients: i64,
}

/// What [`crate::Store::register_dynamic_client`] did.
#[derive(Debug)]
pub enum RegistrationOutcome {
    Created,
    /// An identical public registration exists: that client is the answer.
    Existing(Box<(ConnectedApp, DynamicClient)>),
    /// The project holds `max_clients` registrations already.
    CapReached,
}

const APP_COLUMNS: &str = "a.data, a.client_secret_last_four, a.next_client_secret_last_four";
const REG_COLUMNS: &str = "d.client_id, d.project_id, d.metadata, d.created_at, d.last_used_at";

impl SqlStore {
    pub(crate) async fn client_registration_settings_impl(
        &self,
        project_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        let row =
            sqlx::query("SELECT data FROM client_registration_settings WHERE project_id = $1")
                .bind(project_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    pub(crate) async fn set_client_registration_settings_impl(
        &self,
        project_id: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO client_registration_settings (project_id, data) VALUES ($1, $2) \
             ON CONFLICT (project_id) DO UPDATE SET data = excluded.data",
        )
        .bind(project_id)
        .bind(to_json(data)?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn register_dynamic_client_impl(
        &self,
        project_id: &str,
        new: &NewDynamicClient<'_>,
    ) -> Result<RegistrationOutcome> {
        match self.try_register(project_id, new).await {
            // A concurrent identical registration won the unique key: answer with its client.
            Err(StoreError::Database(sqlx::Error::Database(db)))
                if db.is_unique_violation() && new.dedup_key.is_some() =>
            {
                let mut tx = self.begin_write().await?;
                let found = existing(&mut tx, project_id, new.dedup_key.as_deref()).await?;
                tx.commit().await?;
                found
                    .map(|f| RegistrationOutcome::Existing(Box::new(f)))
                    .ok_or_else(|| StoreError::Corrupt("registration conflict vanished".into()))
            }
            other => other,
        }
    }

    async fn try_register(
        &self,
        project_id: &str,
        new: &NewDynamicClient<'_>,
    ) -> Result<RegistrationOutcome> {
        let mut tx = self.begin_write().await?;
        if let Some(found) = existing(&mut tx, project_id, new.dedup_key.as_deref()).await? {
            tx.commit().await?;
            return Ok(RegistrationOutcome::Existing(Box::new(found)));
        }
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM dynamic_clients WHERE project_id = $1")
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if count >= new.max_clients {
            return Ok(RegistrationOutcome::CapReached);
        }
        let app = &new.client.app;
        sqlx::query(
            "INSERT INTO connected_apps (client_id, project_id, client_type, client_secret_hash, \
             client_secret_last_four, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&app.client_id)
        .bind(project_id)
        .bind(&app.client_type)
        .bind(
            new.client
                .secret_hash
                .as_ref()
                .map(|h| h.as_str().to_string()),
        )
        .bind(app.client_secret_last_four.as_deref())
        .bind(to_json(&ConnectedApp {
            client_secret_last_four: None,
            next_client_secret_last_four: None,
            ..app.clone()
        })?)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dynamic_clients (client_id, project_id, registration_token_hash, \
             dedup_key, metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&app.client_id)
        .bind(project_id)
        .bind(new.registration_token_hash.as_str())
        .bind(new.dedup_key.as_deref())
        .bind(&new.metadata)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RegistrationOutcome::Created)
    }

    pub(crate) async fn dynamic_client_by_token_impl(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ConnectedApp, DynamicClient)>> {
        let row = sqlx::query(&format!(
            "SELECT {APP_COLUMNS}, {REG_COLUMNS} FROM dynamic_clients d \
             JOIN connected_apps a ON a.client_id = d.client_id \
             WHERE d.registration_token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(both_from_row).transpose()
    }

    pub(crate) async fn dynamic_client_impl(
        &self,
        client_id: &str,
    ) -> Result<Option<DynamicClient>> {
        let row = sqlx::query(&format!(
            "SELECT {REG_COLUMNS} FROM dynamic_clients d WHERE d.client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(reg_from_row).transpose()
    }

    pub(crate) async fn update_dynamic_client_impl(
        &self,
        app: &ConnectedApp,
        metadata: &str,
        dedup_key: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE connected_apps SET data = $1 WHERE client_id = $2")
            .bind(to_json(&ConnectedApp {
                client_secret_last_four: None,
                next_client_secret_last_four: None,
                ..app.clone()
            })?)
            .bind(&app.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE dynamic_clients SET metadata = $1, dedup_key = $2 WHERE client_id = $3",
        )
        .bind(metadata)
        .bind(dedup_key)
        .bind(&app.client_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn touch_dynamic_client_impl(&self, client_id: &str, now: i64) -> Result<()> {
        // At most one write a day per client: the removal rule counts days.
        sqlx::query(
            "UPDATE dynamic_clients SET last_used_at = $1 WHERE client_id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(client_id)
        .bind(now - 86_400)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn purge_unused_dynamic_clients_impl(
        &self,
        project_id: &str,
        before: i64,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM connected_apps WHERE client_id IN (SELECT client_id FROM dynamic_clients \
             WHERE project_id = $1 AND COALESCE(last_used_at, created_at) < $2)",
        )
        .bind(project_id)
        .bind(before)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

impl SqlStore {
    pub(crate) async fn use_client_assertion_jti_impl(
        &self,
        jti_hash: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO client_assertion_jtis (jti_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti_hash) DO NOTHING",
        )
        .bind(jti_hash)
        .bind(expires_at)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn purge_client_assertion_jtis_impl(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM client_assertion_jtis WHERE expires_at < $1")
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

async fn existing(
    tx: &mut Transaction<'static, Any>,
    project_id: &str,
    dedup_key: Option<&str>,
) -> Result<Option<(ConnectedApp, DynamicClient)>> {
    let Some(key) = dedup_key else {
        return Ok(None);
    };
    let row = sqlx::query(&format!(
        "SELECT {APP_COLUMNS}, {REG_COLUMNS} FROM dynamic_clients d \
         JOIN connected_apps a ON a.client_id = d.client_id \
         WHERE d.project_id = $1 AND d.dedup_key = $2"
    ))
    .bind(project_id)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(both_from_row).transpose()
}

fn both_from_row(row: &AnyRow) -> Result<(ConnectedApp, DynamicClient)> {
    let mut app: ConnectedApp = from_json(&row.try_get::<String, _>("data")?)?;
    app.client_secret_last_four = row.try_get("client_secret_last_four")?;
    app.next_client_secret_last_four = row.try_get("next_client_secret_last_four")?;
    Ok((app, reg_from_row(row)?))
}

fn reg_from_row(row: &AnyRow) -> Result<DynamicClient> {
    Ok(DynamicClient {
        client_id: row.try_get("client_id")?,
        project_id: row.try_get("project_id")?,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}
