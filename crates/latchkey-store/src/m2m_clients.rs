//! Stytch M2M clients (issue 14): the client document in `data`, the secret state (hashes and
//! last fours) in columns of their own, rotated with the same conditional writes as Connected
//! App secrets ([`crate::connected_apps::apply_rotation`]).

use latchkey_core::m2m::M2MCredentials;
use latchkey_types::M2MClient;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::connected_apps::{apply_rotation, hash_column, refusal};
use crate::sql::{conflict, from_json, to_json};
use crate::{M2MRotationOutcome, NewM2MClient, Result, SecretRotation, SqlStore, StoreError};

const COLUMNS: &str = "project_id, data, client_secret_hash, client_secret_last_four, \
                       next_client_secret_hash, next_client_secret_last_four";

impl SqlStore {
    pub(crate) async fn insert_m2m_client_impl(
        &self,
        project_id: &str,
        new: &NewM2MClient,
    ) -> Result<()> {
        let c = &new.client;
        sqlx::query(
            "INSERT INTO m2m_clients (client_id, project_id, client_secret_hash, \
             client_secret_last_four, data) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&c.client_id)
        .bind(project_id)
        .bind(new.secret_hash.as_str().to_string())
        .bind(&c.client_secret_last_four)
        .bind(to_json(&document(c))?)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict(e, "m2m_clients"))?;
        Ok(())
    }

    pub(crate) async fn get_m2m_client_impl(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<M2MClient>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM m2m_clients WHERE project_id = $1 AND client_id = $2"
        ))
        .bind(project_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    pub(crate) async fn update_m2m_client_impl(
        &self,
        project_id: &str,
        client: &M2MClient,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE m2m_clients SET data = $1 WHERE project_id = $2 AND client_id = $3",
        )
        .bind(to_json(&document(client))?)
        .bind(project_id)
        .bind(&client.client_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_m2m_client_impl(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query("DELETE FROM m2m_clients WHERE project_id = $1 AND client_id = $2")
            .bind(project_id)
            .bind(client_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn list_m2m_clients_impl(
        &self,
        project_id: &str,
    ) -> Result<Vec<(i64, M2MClient)>> {
        let rows = sqlx::query(&format!(
            "SELECT seq, {COLUMNS} FROM m2m_clients WHERE project_id = $1 ORDER BY seq"
        ))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, client_from_row(r)?)))
            .collect()
    }

    pub(crate) async fn rotate_m2m_client_secret_impl(
        &self,
        project_id: &str,
        client_id: &str,
        step: SecretRotation<'_>,
    ) -> Result<M2MRotationOutcome> {
        let mut tx = self.begin_write().await?;
        let applied = apply_rotation(&mut tx, "m2m_clients", project_id, client_id, step).await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM m2m_clients WHERE project_id = $1 AND client_id = $2"
        ))
        .bind(project_id)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(M2MRotationOutcome::NotFound);
        };
        if !applied {
            return Ok(M2MRotationOutcome::Refused(refusal(&row, step)?));
        }
        let client = client_from_row(&row)?;
        tx.commit().await?;
        Ok(M2MRotationOutcome::Done(Box::new(client)))
    }

    pub(crate) async fn m2m_client_credentials_impl(
        &self,
        client_id: &str,
    ) -> Result<Option<M2MCredentials>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM m2m_clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(M2MCredentials {
            project_id: r.try_get("project_id")?,
            client: client_from_row(&r)?,
            secret_hash: hash_column(&r, "client_secret_hash")?
                .ok_or_else(|| StoreError::Corrupt("m2m client without a secret".into()))?,
            next_secret_hash: hash_column(&r, "next_client_secret_hash")?,
        }))
    }
}

/// The document with the secret state taken from its columns.
fn client_from_row(row: &AnyRow) -> Result<M2MClient> {
    let mut c: M2MClient = from_json(&row.try_get::<String, _>("data")?)?;
    c.client_secret_last_four = row.try_get("client_secret_last_four")?;
    c.next_client_secret_last_four = row.try_get("next_client_secret_last_four")?;
    Ok(c)
}

/// The document as stored: the secret state is in columns.
fn document(c: &M2MClient) -> M2MClient {
    M2MClient {
        client_secret_last_four: String::new(),
        next_client_secret_last_four: None,
        ..c.clone()
    }
}
