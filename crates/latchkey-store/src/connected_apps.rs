//! Connected App clients: the settings document in `data`, the secret state (hashes and last
//! fours) in columns of their own. Settings updates write only `data`; secret operations write
//! only the secret columns, each with a conditional `UPDATE` so that concurrent rotations
//! cannot corrupt the state (spec §13.4).

use latchkey_core::connected_app::{
    check_rotation, ClientCredentials, RotationError, RotationStep, SecretState,
};
use latchkey_core::oauth::ClientType;
use latchkey_core::search::Search;
use latchkey_core::secret::SecretHash;
use latchkey_types::ConnectedApp;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::sql::{from_json, to_json};
use crate::{NewConnectedApp, Page, Result, RotationOutcome, SecretRotation, SqlStore, StoreError};

const COLUMNS: &str = "data, client_secret_hash, client_secret_last_four, \
                       next_client_secret_hash, next_client_secret_last_four";

impl SqlStore {
    pub(crate) async fn insert_connected_app_impl(
        &self,
        project_id: &str,
        new: &NewConnectedApp,
    ) -> Result<()> {
        let app = &new.app;
        sqlx::query(
            "INSERT INTO connected_apps (client_id, project_id, client_type, client_secret_hash, \
             client_secret_last_four, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&app.client_id)
        .bind(project_id)
        .bind(&app.client_type)
        .bind(new.secret_hash.as_ref().map(|h| h.as_str().to_string()))
        .bind(app.client_secret_last_four.as_deref())
        .bind(to_json(&settings_only(app))?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn get_connected_app_impl(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<ConnectedApp>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connected_apps WHERE project_id = $1 AND client_id = $2"
        ))
        .bind(project_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(app_from_row).transpose()
    }

    pub(crate) async fn update_connected_app_impl(
        &self,
        project_id: &str,
        app: &ConnectedApp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE connected_apps SET data = $1 WHERE project_id = $2 AND client_id = $3",
        )
        .bind(to_json(&settings_only(app))?)
        .bind(project_id)
        .bind(&app.client_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_connected_app_impl(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<bool> {
        // The client's tokens are revoked and its consents dropped in the same transaction
        // (security review #13: a deleted client's tokens stayed active).
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("DELETE FROM connected_apps WHERE project_id = $1 AND client_id = $2")
                .bind(project_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let families = crate::grants::Families::Client {
            project_id,
            client_id,
        };
        self.revoke_families(&mut tx, families, None).await?;
        sqlx::query("DELETE FROM consent_grants WHERE client_id = $1 AND project_id = $2")
            .bind(client_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn search_connected_apps_impl(
        &self,
        project_id: &str,
        q: &Search<()>,
    ) -> Result<Page<ConnectedApp>> {
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM connected_apps WHERE project_id = $1")
                .bind(project_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT seq, {COLUMNS} FROM connected_apps WHERE project_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ))
        .bind(project_id)
        .bind(q.after_seq)
        .bind(q.limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > q.limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = q.after_seq;
        for r in rows.iter().take(q.limit as usize) {
            last = r.try_get("seq")?;
            items.push(app_from_row(r)?);
        }
        Ok(Page {
            items,
            total,
            next_after: more.then_some(last),
        })
    }

    pub(crate) async fn rotate_connected_app_secret_impl(
        &self,
        project_id: &str,
        client_id: &str,
        step: SecretRotation<'_>,
    ) -> Result<RotationOutcome> {
        let mut tx = self.begin_write().await?;
        let applied =
            apply_rotation(&mut tx, "connected_apps", project_id, client_id, step).await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connected_apps WHERE project_id = $1 AND client_id = $2"
        ))
        .bind(project_id)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RotationOutcome::NotFound);
        };
        if !applied {
            return Ok(RotationOutcome::Refused(refusal(&row, step)?));
        }
        let app = app_from_row(&row)?;
        tx.commit().await?;
        Ok(RotationOutcome::Done(Box::new(app)))
    }

    pub(crate) async fn connected_app_credentials_impl(
        &self,
        project_id: Option<&str>,
        client_id: &str,
    ) -> Result<Option<(ClientCredentials, ConnectedApp)>> {
        // One read for both: client authentication needs the secrets, the grant the settings.
        let row = match project_id {
            Some(p) => {
                sqlx::query(&format!(
                    "SELECT project_id, client_type, {COLUMNS} FROM connected_apps \
                 WHERE project_id = $1 AND client_id = $2"
                ))
                .bind(p)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                "SELECT project_id, client_type, {COLUMNS} FROM connected_apps WHERE client_id = $1"
            ))
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        let Some(r) = row else { return Ok(None) };
        let client_type: String = r.try_get("client_type")?;
        let creds = ClientCredentials {
            project_id: r.try_get("project_id")?,
            client_id: client_id.to_string(),
            client_type: ClientType::parse(&client_type)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            secret_hash: hash_column(&r, "client_secret_hash")?,
            next_secret_hash: hash_column(&r, "next_client_secret_hash")?,
        };
        Ok(Some((creds, app_from_row(&r)?)))
    }
}

/// The conditional write of each step on `table` (`connected_apps` or `m2m_clients`, which
/// share the secret columns); true when it applied.
pub(crate) async fn apply_rotation(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    project_id: &str,
    client_id: &str,
    step: SecretRotation<'_>,
) -> Result<bool> {
    const WHERE: &str = "project_id = $1 AND client_id = $2";
    let (sql, next) = match step {
        SecretRotation::Start { hash, last_four } => (
            format!(
                "UPDATE {table} SET next_client_secret_hash = $3, \
                 next_client_secret_last_four = $4 WHERE {WHERE} \
                 AND client_secret_hash IS NOT NULL AND next_client_secret_hash IS NULL"
            ),
            Some((hash, last_four)),
        ),
        // Right-hand sides read the row's values from before the update (SQL standard).
        SecretRotation::Complete => (
            format!(
                "UPDATE {table} SET client_secret_hash = next_client_secret_hash, \
                 client_secret_last_four = next_client_secret_last_four, \
                 next_client_secret_hash = NULL, next_client_secret_last_four = NULL \
                 WHERE {WHERE} AND next_client_secret_hash IS NOT NULL"
            ),
            None,
        ),
        SecretRotation::Cancel => (
            format!(
                "UPDATE {table} SET next_client_secret_hash = NULL, \
                 next_client_secret_last_four = NULL \
                 WHERE {WHERE} AND next_client_secret_hash IS NOT NULL"
            ),
            None,
        ),
    };
    let mut q = sqlx::query(&sql).bind(project_id).bind(client_id);
    if let Some((hash, last_four)) = next {
        q = q
            .bind(hash.as_str().to_string())
            .bind(last_four.to_string());
    }
    Ok(q.execute(&mut **tx).await?.rows_affected() > 0)
}

/// Why a step did not apply, judged on the row as it is now by the core's state machine.
pub(crate) fn refusal(row: &AnyRow, step: SecretRotation<'_>) -> Result<RotationError> {
    let state = SecretState::of(
        hash_column(row, "client_secret_hash")?.is_some(),
        hash_column(row, "next_client_secret_hash")?.is_some(),
    );
    let step = match step {
        SecretRotation::Start { .. } => RotationStep::Start,
        SecretRotation::Complete => RotationStep::Complete,
        SecretRotation::Cancel => RotationStep::Cancel,
    };
    // If the state changed between the write and this read, report the step's usual refusal.
    Ok(check_rotation(state, step).err().unwrap_or(match step {
        RotationStep::Start => RotationError::AlreadyRotating,
        _ => RotationError::NotRotating,
    }))
}

pub(crate) fn hash_column(row: &AnyRow, column: &str) -> Result<Option<SecretHash>> {
    Ok(row
        .try_get::<Option<String>, _>(column)?
        .map(SecretHash::from_stored))
}

/// The document with the secret state taken from its columns.
fn app_from_row(row: &AnyRow) -> Result<ConnectedApp> {
    let mut app: ConnectedApp = from_json(&row.try_get::<String, _>("data")?)?;
    app.client_secret_last_four = row.try_get("client_secret_last_four")?;
    app.next_client_secret_last_four = row.try_get("next_client_secret_last_four")?;
    Ok(app)
}

/// The document as stored: settings only, the secret state is in columns.
pub(crate) fn settings_only(app: &ConnectedApp) -> ConnectedApp {
    ConnectedApp {
        client_secret_last_four: None,
        next_client_secret_last_four: None,
        ..app.clone()
    }
}
