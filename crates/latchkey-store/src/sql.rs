//! `SqlStore`: the SQL shared by both engines, over sqlx's `Any` driver. Placeholders are
//! `$N`, which PostgreSQL and sqlx's SQLite driver both read positionally; the few places
//! where the engines differ ask [`Dialect`].

use sqlx::AnyPool;
use sqlx::{Any, Transaction};

use crate::{Conflict, StoreError};

/// The engine behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A store over a SQLite or PostgreSQL pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) dialect: Dialect,
}

impl SqlStore {
    pub(crate) fn new(pool: AnyPool, dialect: Dialect) -> Self {
        Self { pool, dialect }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so the busy timeout applies instead of a mid-transaction
    /// `SQLITE_BUSY` when a read lock cannot be upgraded.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }
}

/// Maps a unique-constraint violation to the rule it broke, by constraint name (PostgreSQL) or
/// by the columns named in the message (SQLite: "UNIQUE constraint failed: t.a, t.b").
pub(crate) fn conflict(err: sqlx::Error, table: &str) -> StoreError {
    let sqlx::Error::Database(db) = &err else {
        return err.into();
    };
    if !db.is_unique_violation() {
        return err.into();
    }
    let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
    let kind = match (
        table,
        text.contains("slug"),
        text.contains("external_id"),
        text.contains("email"),
    ) {
        ("organizations", true, _, _) => Conflict::OrganizationSlug,
        ("organizations", _, true, _) => Conflict::OrganizationExternalId,
        ("members", _, true, _) => Conflict::MemberExternalId,
        ("members", _, _, true) => Conflict::MemberEmail,
        _ => Conflict::Other,
    };
    StoreError::Conflict(kind)
}

/// Decodes a JSON document column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait::async_trait]
impl crate::Store for SqlStore {
    fn engine(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn create_project(&self, p: &crate::NewProject) -> crate::Result<()> {
        self.create_project_impl(p).await
    }
    async fn list_projects(&self) -> crate::Result<Vec<crate::ProjectRecord>> {
        self.list_projects_impl().await
    }
    async fn project_secret_hashes(
        &self,
        project_id: &str,
    ) -> crate::Result<Vec<latchkey_core::secret::SecretHash>> {
        self.secret_hashes_impl(project_id).await
    }
    async fn insert_organization(
        &self,
        project_id: &str,
        org: &latchkey_types::Organization,
    ) -> crate::Result<()> {
        self.insert_organization_impl(project_id, org).await
    }
    async fn get_organization(
        &self,
        project_id: &str,
        key: &str,
    ) -> crate::Result<Option<latchkey_types::Organization>> {
        self.get_organization_impl(project_id, key).await
    }
    async fn get_organizations(
        &self,
        project_id: &str,
        ids: &[String],
    ) -> crate::Result<Vec<latchkey_types::Organization>> {
        self.get_organizations_impl(project_id, ids).await
    }
    async fn update_organization(
        &self,
        project_id: &str,
        org: &latchkey_types::Organization,
    ) -> crate::Result<bool> {
        self.update_organization_impl(project_id, org).await
    }
    async fn delete_organization(
        &self,
        project_id: &str,
        organization_id: &str,
    ) -> crate::Result<bool> {
        self.delete_organization_impl(project_id, organization_id)
            .await
    }
    async fn search_organizations(
        &self,
        project_id: &str,
        q: &latchkey_core::search::Search<latchkey_core::search::OrgFilter>,
    ) -> crate::Result<crate::Page<latchkey_types::Organization>> {
        self.search_organizations_impl(project_id, q).await
    }
    async fn count_members(&self, organization_id: &str) -> crate::Result<i64> {
        self.count_members_impl(organization_id).await
    }
    async fn insert_member(
        &self,
        project_id: &str,
        m: &latchkey_types::Member,
    ) -> crate::Result<()> {
        self.insert_member_impl(project_id, m).await
    }
    async fn get_member(
        &self,
        organization_id: &str,
        key: crate::MemberLookup<'_>,
    ) -> crate::Result<Option<latchkey_types::Member>> {
        self.get_member_impl(organization_id, key).await
    }
    async fn get_member_in_project(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<Option<latchkey_types::Member>> {
        self.get_member_in_project_impl(project_id, member_id).await
    }
    async fn update_member(&self, m: &latchkey_types::Member) -> crate::Result<bool> {
        self.update_member_impl(m).await
    }
    async fn delete_member(&self, organization_id: &str, member_id: &str) -> crate::Result<bool> {
        self.delete_member_impl(organization_id, member_id).await
    }
    async fn search_members(
        &self,
        project_id: &str,
        organization_ids: &[String],
        q: &latchkey_core::search::Search<latchkey_core::search::MemberFilter>,
    ) -> crate::Result<crate::Page<latchkey_types::Member>> {
        self.search_members_impl(project_id, organization_ids, q)
            .await
    }

    async fn signing_keys(&self, project_id: &str) -> crate::Result<Vec<crate::StoredSigningKey>> {
        self.signing_keys_impl(project_id).await
    }
    async fn change_signing_keys(
        &self,
        project_id: &str,
        change: &crate::KeyChange,
    ) -> crate::Result<bool> {
        self.change_signing_keys_impl(project_id, change).await
    }
    async fn insert_session(
        &self,
        s: &latchkey_core::session::SessionRecord,
        token_hash: &latchkey_core::secret::SecretHash,
    ) -> crate::Result<()> {
        self.insert_session_impl(s, token_hash).await
    }
    async fn session_by_token(
        &self,
        project_id: &str,
        token_hash: &latchkey_core::secret::SecretHash,
    ) -> crate::Result<Option<latchkey_core::session::SessionRecord>> {
        self.session_by_token_impl(project_id, token_hash).await
    }
    async fn session_by_id(
        &self,
        project_id: &str,
        member_session_id: &str,
    ) -> crate::Result<Option<latchkey_core::session::SessionRecord>> {
        self.session_by_id_impl(project_id, member_session_id).await
    }
    async fn update_session(
        &self,
        s: &latchkey_core::session::SessionRecord,
    ) -> crate::Result<bool> {
        self.update_session_impl(s).await
    }
    async fn delete_session(
        &self,
        project_id: &str,
        member_session_id: &str,
    ) -> crate::Result<bool> {
        self.delete_session_impl(project_id, member_session_id)
            .await
    }
    async fn delete_member_sessions(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<u64> {
        self.delete_member_sessions_impl(project_id, member_id)
            .await
    }
    async fn list_sessions(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> crate::Result<Vec<latchkey_core::session::SessionRecord>> {
        self.list_sessions_impl(project_id, member_id, now).await
    }
    async fn purge_expired_sessions(&self, now: i64) -> crate::Result<u64> {
        self.purge_expired_sessions_impl(now).await
    }

    async fn insert_magic_link(
        &self,
        token_hash: &latchkey_core::secret::SecretHash,
        t: &crate::MagicLinkRecord,
    ) -> crate::Result<()> {
        self.insert_magic_link_impl(token_hash, t).await
    }
    async fn magic_link(
        &self,
        project_id: &str,
        token_hash: &latchkey_core::secret::SecretHash,
    ) -> crate::Result<Option<crate::MagicLinkRecord>> {
        self.magic_link_impl(project_id, token_hash).await
    }
    async fn consume_magic_link(
        &self,
        project_id: &str,
        token_hash: &latchkey_core::secret::SecretHash,
        now: i64,
    ) -> crate::Result<crate::Consumed> {
        self.consume_magic_link_impl(project_id, token_hash, now)
            .await
    }
    async fn purge_magic_links(&self, before: i64) -> crate::Result<u64> {
        self.purge_magic_links_impl(before).await
    }
    async fn add_to_outbox(&self, m: &crate::OutboxMessage) -> crate::Result<i64> {
        self.add_to_outbox_impl(m).await
    }
    async fn list_outbox(
        &self,
        project_id: Option<&str>,
        limit: i64,
    ) -> crate::Result<Vec<crate::OutboxMessage>> {
        self.list_outbox_impl(project_id, limit).await
    }
}
