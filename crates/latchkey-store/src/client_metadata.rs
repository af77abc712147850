//! Clients known by a client ID metadata document (issue 10, draft-ietf-oauth-client-id-metadata-
//! document): a `connected_apps` row whose client id is the document's URL, plus a
//! `client_metadata_documents` row with the metadata the server last validated. Both are written
//! together, and only when the document changed, so a cached document costs no write.

use latchkey_core::connected_app::ClientCredentials;
use latchkey_types::ConnectedApp;
use sqlx::Row;

use crate::connected_apps::settings_only;
use crate::sql::to_json;
use crate::{Result, SqlStore};

/// What the server last validated for a metadata-document client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMetadataDocument {
    pub project_id: String,
    pub client_id: String,
    /// The normalised registration metadata (JSON object; `jwks` / `jwks_uri` among it).
    pub metadata: String,
    /// SHA-256 of the document as fetched.
    pub document_hash: String,
    pub fetched_at: i64,
}

impl SqlStore {
    pub(crate) async fn client_metadata_document_impl(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<ClientMetadataDocument>> {
        let row = sqlx::query(
            "SELECT metadata, document_hash, fetched_at FROM client_metadata_documents \
             WHERE project_id = $1 AND client_id = $2",
        )
        .bind(project_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ClientMetadataDocument {
            project_id: project_id.to_string(),
            client_id: client_id.to_string(),
            metadata: r.try_get("metadata")?,
            document_hash: r.try_get("document_hash")?,
            fetched_at: r.try_get("fetched_at")?,
        }))
    }

    /// Inserts or replaces the client's settings and document in one transaction (two replicas
    /// saving the same document at once both succeed: the upserts converge).
    pub(crate) async fn save_client_metadata_document_impl(
        &self,
        app: &ConnectedApp,
        doc: &ClientMetadataDocument,
    ) -> Result<(ClientCredentials, ConnectedApp)> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO connected_apps (client_id, project_id, client_type, data) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, client_id) \
             DO UPDATE SET client_type = excluded.client_type, data = excluded.data",
        )
        .bind(&app.client_id)
        .bind(&doc.project_id)
        .bind(&app.client_type)
        .bind(to_json(&settings_only(app))?)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO client_metadata_documents \
             (project_id, client_id, metadata, document_hash, fetched_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, client_id) \
             DO UPDATE SET metadata = excluded.metadata, \
             document_hash = excluded.document_hash, fetched_at = excluded.fetched_at",
        )
        .bind(&doc.project_id)
        .bind(&doc.client_id)
        .bind(&doc.metadata)
        .bind(&doc.document_hash)
        .bind(doc.fetched_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.connected_app_credentials_impl(Some(&doc.project_id), &doc.client_id)
            .await?
            .ok_or_else(|| crate::StoreError::Corrupt("metadata-document client vanished".into()))
    }
}
