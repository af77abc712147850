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
///
/// Reads go to `pool`, writes to `writer`. On PostgreSQL both are the same pool. On a SQLite
/// file, `writer` is a pool of one connection: SQLite admits one writer at a time anyway, and
/// queueing writers in the pool (first come, first served, woken when the connection frees)
/// replaces its busy handler, which sleeps and retries with back-off and made the write tail
/// latency of concurrent requests tens of milliseconds (docs/benchmarks.md).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) writer: AnyPool,
    pub(crate) dialect: Dialect,
}

impl SqlStore {
    pub(crate) fn new(pool: AnyPool, writer: AnyPool, dialect: Dialect) -> Self {
        Self {
            pool,
            writer,
            dialect,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so the busy timeout applies instead of a mid-transaction
    /// `SQLITE_BUSY` when a read lock cannot be upgraded.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.writer.begin().await?,
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
        self.writer.close().await;
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
    async fn member_with_organization(
        &self,
        project_id: &str,
        org_key: &str,
        member_key: &str,
    ) -> crate::Result<Option<(latchkey_types::Organization, Option<latchkey_types::Member>)>> {
        self.member_with_organization_impl(project_id, org_key, member_key)
            .await
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
    async fn add_session_token(
        &self,
        project_id: &str,
        member_session_id: &str,
        token_hash: &latchkey_core::secret::SecretHash,
        now: i64,
    ) -> crate::Result<bool> {
        self.add_session_token_impl(project_id, member_session_id, token_hash, now)
            .await
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

    async fn refresh_key(&self, project_id: &str, candidate: &str) -> crate::Result<String> {
        self.refresh_key_impl(project_id, candidate).await
    }
    async fn insert_code(
        &self,
        code_hash: &str,
        record: &latchkey_core::oauth::code::CodeRecord,
        consent: Option<&crate::ConsentRow>,
        event: Option<&latchkey_types::AuditEvent>,
    ) -> crate::Result<()> {
        self.insert_code_impl(code_hash, record, consent, event)
            .await
    }
    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
    ) -> crate::Result<crate::CodeRedemption> {
        self.redeem_code_impl(code_hash, client_id, now).await
    }
    async fn issue_tokens(
        &self,
        access: &crate::AccessRow,
        refresh: Option<&crate::NewRefresh>,
    ) -> crate::Result<bool> {
        self.issue_tokens_impl(access, refresh).await
    }
    async fn get_refresh(&self, token_hash: &str) -> crate::Result<Option<crate::StoredRefresh>> {
        self.get_refresh_impl(token_hash).await
    }
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        now: i64,
        successor: &crate::NewRefresh,
        access: &crate::AccessRow,
    ) -> crate::Result<bool> {
        self.rotate_refresh_impl(old_hash, now, successor, access)
            .await
    }
    async fn slide_refresh(
        &self,
        token_hash: &str,
        expires_at: i64,
        access: &crate::AccessRow,
    ) -> crate::Result<bool> {
        self.slide_refresh_impl(token_hash, expires_at, access)
            .await
    }
    async fn record_access(&self, access: &crate::AccessRow) -> crate::Result<bool> {
        self.record_access_impl(access).await
    }
    async fn revoke_grant(&self, grant_id: &str, now: i64) -> crate::Result<()> {
        self.revoke_grant_impl(grant_id, now).await
    }
    async fn access_status(&self, jti: &str) -> crate::Result<Option<crate::AccessStatus>> {
        self.access_status_impl(jti).await
    }
    async fn exchange_access(&self, jti: &str, now: i64) -> crate::Result<bool> {
        self.exchange_access_impl(jti, now).await
    }
    async fn upsert_consent(&self, c: &crate::ConsentRow) -> crate::Result<()> {
        self.upsert_consent_impl(c).await
    }
    async fn member_consents(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<Vec<crate::ConsentRow>> {
        self.consents_impl(project_id, "member_id", member_id).await
    }
    async fn organization_consents(
        &self,
        project_id: &str,
        organization_id: &str,
    ) -> crate::Result<Vec<crate::ConsentRow>> {
        self.consents_impl(project_id, "organization_id", organization_id)
            .await
    }
    async fn revoke_consent(
        &self,
        member_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&latchkey_types::AuditEvent>,
    ) -> crate::Result<bool> {
        self.revoke_consent_impl(member_id, client_id, now, event)
            .await
    }
    async fn insert_connected_app(
        &self,
        project_id: &str,
        new: &crate::NewConnectedApp,
    ) -> crate::Result<()> {
        self.insert_connected_app_impl(project_id, new).await
    }
    async fn get_connected_app(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> crate::Result<Option<latchkey_types::ConnectedApp>> {
        self.get_connected_app_impl(project_id, client_id).await
    }
    async fn update_connected_app(
        &self,
        project_id: &str,
        app: &latchkey_types::ConnectedApp,
    ) -> crate::Result<bool> {
        self.update_connected_app_impl(project_id, app).await
    }
    async fn delete_connected_app(&self, project_id: &str, client_id: &str) -> crate::Result<bool> {
        self.delete_connected_app_impl(project_id, client_id).await
    }
    async fn search_connected_apps(
        &self,
        project_id: &str,
        q: &latchkey_core::search::Search<()>,
    ) -> crate::Result<crate::Page<latchkey_types::ConnectedApp>> {
        self.search_connected_apps_impl(project_id, q).await
    }
    async fn rotate_connected_app_secret(
        &self,
        project_id: &str,
        client_id: &str,
        step: crate::SecretRotation<'_>,
    ) -> crate::Result<crate::RotationOutcome> {
        self.rotate_connected_app_secret_impl(project_id, client_id, step)
            .await
    }
    async fn connected_app_credentials(
        &self,
        client_id: &str,
    ) -> crate::Result<
        Option<(
            latchkey_core::connected_app::ClientCredentials,
            latchkey_types::ConnectedApp,
        )>,
    > {
        self.connected_app_credentials_impl(None, client_id).await
    }
    async fn connected_app_credentials_in(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> crate::Result<
        Option<(
            latchkey_core::connected_app::ClientCredentials,
            latchkey_types::ConnectedApp,
        )>,
    > {
        self.connected_app_credentials_impl(Some(project_id), client_id)
            .await
    }
    async fn client_metadata_document(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> crate::Result<Option<crate::ClientMetadataDocument>> {
        self.client_metadata_document_impl(project_id, client_id)
            .await
    }
    async fn save_client_metadata_document(
        &self,
        app: &latchkey_types::ConnectedApp,
        doc: &crate::ClientMetadataDocument,
    ) -> crate::Result<(
        latchkey_core::connected_app::ClientCredentials,
        latchkey_types::ConnectedApp,
    )> {
        self.save_client_metadata_document_impl(app, doc).await
    }
    async fn get_rbac_policy(
        &self,
        project_id: &str,
    ) -> crate::Result<Option<latchkey_core::oauth::RbacPolicy>> {
        self.get_rbac_policy_impl(project_id).await
    }
    async fn set_rbac_policy(
        &self,
        project_id: &str,
        policy: &latchkey_core::oauth::RbacPolicy,
        updated_at: i64,
    ) -> crate::Result<()> {
        self.set_rbac_policy_impl(project_id, policy, updated_at)
            .await
    }
    async fn set_member_password(&self, p: &crate::MemberPassword) -> crate::Result<bool> {
        self.set_member_password_impl(p).await
    }
    async fn insert_member_with_password(
        &self,
        project_id: &str,
        m: &latchkey_types::Member,
        p: &crate::MemberPassword,
    ) -> crate::Result<()> {
        self.insert_member_with_password_impl(project_id, m, p)
            .await
    }
    async fn member_password(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<Option<crate::MemberPassword>> {
        self.member_password_impl(project_id, member_id).await
    }
    async fn upgrade_password_hash(
        &self,
        member_id: &str,
        expected_hash: &str,
        new_hash: &str,
        new_kind: &str,
    ) -> crate::Result<bool> {
        self.upgrade_password_hash_impl(member_id, expected_hash, new_hash, new_kind)
            .await
    }
    async fn record_password_failure(
        &self,
        project_id: &str,
        subject: crate::FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> crate::Result<i64> {
        self.record_password_failure_impl(project_id, subject, now, window_secs)
            .await
    }
    async fn password_failures(
        &self,
        project_id: &str,
        subject: crate::FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> crate::Result<i64> {
        self.password_failures_impl(project_id, subject, now, window_secs)
            .await
    }
    async fn clear_password_failures(
        &self,
        project_id: &str,
        subject: crate::FailureSubject<'_>,
    ) -> crate::Result<()> {
        self.clear_password_failures_impl(project_id, subject).await
    }
    async fn purge_password_failures(&self, before: i64) -> crate::Result<u64> {
        self.purge_password_failures_impl(before).await
    }
    async fn set_member_lock(
        &self,
        organization_id: &str,
        member_id: &str,
        lock: Option<&crate::MemberLock>,
    ) -> crate::Result<bool> {
        self.set_member_lock_impl(organization_id, member_id, lock)
            .await
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
    async fn members_by_email(
        &self,
        project_id: &str,
        email: &str,
    ) -> crate::Result<Vec<latchkey_types::Member>> {
        self.members_by_email_impl(project_id, email).await
    }
    async fn insert_pending_authorization(
        &self,
        p: &crate::PendingAuthorization,
    ) -> crate::Result<()> {
        self.insert_pending_authorization_impl(p).await
    }
    async fn pending_authorization(
        &self,
        id_hash: &str,
        now: i64,
    ) -> crate::Result<Option<crate::PendingAuthorization>> {
        self.pending_authorization_impl(id_hash, now).await
    }
    async fn update_pending_authorization(&self, id_hash: &str, data: &str) -> crate::Result<bool> {
        self.update_pending_authorization_impl(id_hash, data).await
    }
    async fn delete_pending_authorization(&self, id_hash: &str) -> crate::Result<bool> {
        self.delete_pending_authorization_impl(id_hash).await
    }

    // sec-oauth: purging.
    async fn purge_expired(&self, policy: crate::PurgePolicy) -> crate::Result<crate::PurgeReport> {
        self.purge_expired_impl(policy).await
    }

    // --- branch sec-auth ---
    async fn update_member_ending_sessions(
        &self,
        project_id: &str,
        m: &latchkey_types::Member,
    ) -> crate::Result<bool> {
        self.update_member_ending_sessions_impl(project_id, m).await
    }
    async fn replace_member_password(
        &self,
        m: &latchkey_types::Member,
        p: &crate::MemberPassword,
    ) -> crate::Result<bool> {
        self.replace_member_password_impl(m, p).await
    }
    async fn exchange_access_token(
        &self,
        jti: &str,
        session: &latchkey_core::session::SessionRecord,
        token_hash: &latchkey_core::secret::SecretHash,
        now: i64,
    ) -> crate::Result<bool> {
        self.exchange_access_token_impl(jti, session, token_hash, now)
            .await
    }
    async fn redirect_urls(&self, project_id: &str) -> crate::Result<Vec<String>> {
        self.redirect_urls_impl(project_id).await
    }
    async fn add_redirect_url(&self, project_id: &str, url: &str, now: i64) -> crate::Result<bool> {
        self.add_redirect_url_impl(project_id, url, now).await
    }
    async fn remove_redirect_url(&self, project_id: &str, url: &str) -> crate::Result<bool> {
        self.remove_redirect_url_impl(project_id, url).await
    }

    // --- branch `resources`: resource servers.
    async fn insert_resource_server(
        &self,
        project_id: &str,
        r: &latchkey_types::ResourceServer,
    ) -> crate::Result<()> {
        self.insert_resource_server_impl(project_id, r).await
    }
    async fn get_resource_server(
        &self,
        project_id: &str,
        resource_id: &str,
    ) -> crate::Result<Option<latchkey_types::ResourceServer>> {
        self.get_resource_server_impl(project_id, resource_id).await
    }
    async fn update_resource_server(
        &self,
        project_id: &str,
        r: &latchkey_types::ResourceServer,
    ) -> crate::Result<bool> {
        self.update_resource_server_impl(project_id, r).await
    }
    async fn delete_resource_server(
        &self,
        project_id: &str,
        resource_id: &str,
    ) -> crate::Result<bool> {
        self.delete_resource_server_impl(project_id, resource_id)
            .await
    }
    async fn search_resource_servers(
        &self,
        project_id: &str,
        url: Option<&str>,
        q: &latchkey_core::search::Search<()>,
    ) -> crate::Result<crate::Page<latchkey_types::ResourceServer>> {
        self.search_resource_servers_impl(project_id, url, q).await
    }
    async fn find_resource_server(
        &self,
        resource_id: &str,
    ) -> crate::Result<Option<latchkey_types::ResourceServer>> {
        self.find_resource_server_impl(resource_id).await
    }
    async fn project_resource_servers(
        &self,
        project_id: &str,
    ) -> crate::Result<Vec<latchkey_types::ResourceServer>> {
        self.project_resource_servers_impl(project_id).await
    }

    // --- branch sdk: the frontend SDK surface (/sdk/v1), migration 0014 ---
    async fn project_by_public_token(
        &self,
        public_token: &str,
    ) -> crate::Result<Option<crate::ProjectRecord>> {
        self.project_by_public_token_impl(public_token).await
    }
    async fn sdk_origins(&self, project_id: &str) -> crate::Result<Vec<String>> {
        self.sdk_origins_impl(project_id).await
    }
    async fn add_sdk_origin(
        &self,
        project_id: &str,
        origin: &str,
        now: i64,
    ) -> crate::Result<bool> {
        self.add_sdk_origin_impl(project_id, origin, now).await
    }
    async fn remove_sdk_origin(&self, project_id: &str, origin: &str) -> crate::Result<bool> {
        self.remove_sdk_origin_impl(project_id, origin).await
    }
    async fn sdk_origin_known(&self, origin: &str) -> crate::Result<bool> {
        self.sdk_origin_known_impl(origin).await
    }

    // Branch mcp (issue 10): self-registered clients.
    async fn client_registration_settings(
        &self,
        project_id: &str,
    ) -> crate::Result<Option<serde_json::Value>> {
        self.client_registration_settings_impl(project_id).await
    }
    async fn set_client_registration_settings(
        &self,
        project_id: &str,
        data: &serde_json::Value,
    ) -> crate::Result<()> {
        self.set_client_registration_settings_impl(project_id, data)
            .await
    }
    async fn register_dynamic_client(
        &self,
        project_id: &str,
        new: &crate::NewDynamicClient<'_>,
    ) -> crate::Result<crate::RegistrationOutcome> {
        self.register_dynamic_client_impl(project_id, new).await
    }
    async fn dynamic_client_by_token(
        &self,
        token_hash: &str,
    ) -> crate::Result<Option<(latchkey_types::ConnectedApp, crate::DynamicClient)>> {
        self.dynamic_client_by_token_impl(token_hash).await
    }
    async fn dynamic_client(&self, client_id: &str) -> crate::Result<Option<crate::DynamicClient>> {
        self.dynamic_client_impl(client_id).await
    }
    async fn update_dynamic_client(
        &self,
        app: &latchkey_types::ConnectedApp,
        metadata: &str,
        dedup_key: Option<&str>,
    ) -> crate::Result<bool> {
        self.update_dynamic_client_impl(app, metadata, dedup_key)
            .await
    }
    async fn touch_dynamic_client(&self, client_id: &str, now: i64) -> crate::Result<()> {
        self.touch_dynamic_client_impl(client_id, now).await
    }
    async fn purge_unused_dynamic_clients(
        &self,
        project_id: &str,
        before: i64,
    ) -> crate::Result<u64> {
        self.purge_unused_dynamic_clients_impl(project_id, before)
            .await
    }
    async fn use_client_assertion_jti(
        &self,
        jti_hash: &str,
        expires_at: i64,
    ) -> crate::Result<bool> {
        self.use_client_assertion_jti_impl(jti_hash, expires_at)
            .await
    }
    async fn purge_client_assertion_jtis(&self, now: i64) -> crate::Result<u64> {
        self.purge_client_assertion_jtis_impl(now).await
    }
    async fn revoke_organization_client(
        &self,
        organization_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&latchkey_types::AuditEvent>,
    ) -> crate::Result<u64> {
        self.revoke_organization_client_impl(organization_id, client_id, now, event)
            .await
    }
    async fn organization_client_activity(
        &self,
        organization_id: &str,
    ) -> crate::Result<Vec<(String, i64)>> {
        self.organization_client_activity_impl(organization_id)
            .await
    }

    // ops (issue 15): readiness and pool metrics.
    async fn migration_status(&self) -> crate::Result<crate::MigrationStatus> {
        self.migration_status_impl().await
    }
    fn pool_stats(&self) -> crate::PoolStats {
        self.pool_stats_impl()
    }

    // branch h11: approvals and the audit event store.
    async fn record_events(&self, events: &[latchkey_types::AuditEvent]) -> crate::Result<()> {
        self.record_events_impl(events).await
    }
    async fn audit_events(
        &self,
        filter: &crate::AuditFilter<'_>,
    ) -> crate::Result<crate::AuditPage> {
        self.audit_events_impl(filter).await
    }
    async fn client_approval(
        &self,
        organization_id: &str,
        client_id: &str,
    ) -> crate::Result<Option<crate::ClientApproval>> {
        self.client_approval_impl(organization_id, client_id).await
    }
    async fn organization_client_approvals(
        &self,
        organization_id: &str,
    ) -> crate::Result<Vec<crate::ClientApproval>> {
        self.organization_client_approvals_impl(organization_id)
            .await
    }
    async fn request_client_approval(
        &self,
        request: &crate::ClientApproval,
        event: &latchkey_types::AuditEvent,
    ) -> crate::Result<crate::ClientApproval> {
        self.request_client_approval_impl(request, event).await
    }
    async fn decide_client_approval(
        &self,
        decision: &crate::ClientApproval,
        event: &latchkey_types::AuditEvent,
    ) -> crate::Result<u64> {
        self.decide_client_approval_impl(decision, event).await
    }
    async fn purge_audit_events(&self, before: i64, batch: i64) -> crate::Result<u64> {
        self.purge_audit_events_impl(before, batch).await
    }
    // First run (issue 15 item 7).
    async fn has_projects(&self) -> crate::Result<bool> {
        self.has_projects_impl().await
    }
    // M2M clients (issue 14).
    async fn insert_m2m_client(
        &self,
        project_id: &str,
        new: &crate::NewM2MClient,
    ) -> crate::Result<()> {
        self.insert_m2m_client_impl(project_id, new).await
    }
    async fn get_m2m_client(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> crate::Result<Option<latchkey_types::M2MClient>> {
        self.get_m2m_client_impl(project_id, client_id).await
    }
    async fn update_m2m_client(
        &self,
        project_id: &str,
        client: &latchkey_types::M2MClient,
    ) -> crate::Result<bool> {
        self.update_m2m_client_impl(project_id, client).await
    }
    async fn delete_m2m_client(&self, project_id: &str, client_id: &str) -> crate::Result<bool> {
        self.delete_m2m_client_impl(project_id, client_id).await
    }
    async fn list_m2m_clients(
        &self,
        project_id: &str,
    ) -> crate::Result<Vec<(i64, latchkey_types::M2MClient)>> {
        self.list_m2m_clients_impl(project_id).await
    }
    async fn rotate_m2m_client_secret(
        &self,
        project_id: &str,
        client_id: &str,
        step: crate::SecretRotation<'_>,
    ) -> crate::Result<crate::M2MRotationOutcome> {
        self.rotate_m2m_client_secret_impl(project_id, client_id, step)
            .await
    }
    async fn m2m_client_credentials(
        &self,
        client_id: &str,
    ) -> crate::Result<Option<latchkey_core::m2m::M2MCredentials>> {
        self.m2m_client_credentials_impl(client_id).await
    }
    // Password reset (issue 13 item 6).
    async fn reset_member_password(
        &self,
        m: &latchkey_types::Member,
        p: &crate::MemberPassword,
        keep_session: Option<&str>,
    ) -> crate::Result<bool> {
        self.reset_member_password_impl(m, p, keep_session).await
    }
    async fn require_password_reset(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<bool> {
        self.require_password_reset_impl(project_id, member_id)
            .await
    }
    // Branch grants (issue 14 items 3 and 7).
    async fn insert_assertion_issuer(
        &self,
        project_id: &str,
        issuer: &latchkey_types::IdentityAssertionIssuer,
    ) -> crate::Result<()> {
        self.insert_assertion_issuer_impl(project_id, issuer).await
    }
    async fn assertion_issuers(
        &self,
        organization_id: &str,
    ) -> crate::Result<Vec<latchkey_types::IdentityAssertionIssuer>> {
        self.assertion_issuers_impl(organization_id).await
    }
    async fn get_assertion_issuer(
        &self,
        organization_id: &str,
        issuer_id: &str,
    ) -> crate::Result<Option<latchkey_types::IdentityAssertionIssuer>> {
        self.get_assertion_issuer_impl(organization_id, issuer_id)
            .await
    }
    async fn trusted_assertion_issuer(
        &self,
        project_id: &str,
        issuer: &str,
    ) -> crate::Result<Option<latchkey_types::IdentityAssertionIssuer>> {
        self.trusted_assertion_issuer_impl(project_id, issuer).await
    }
    async fn update_assertion_issuer(
        &self,
        issuer: &latchkey_types::IdentityAssertionIssuer,
    ) -> crate::Result<bool> {
        self.update_assertion_issuer_impl(issuer).await
    }
    async fn delete_assertion_issuer(
        &self,
        organization_id: &str,
        issuer_id: &str,
    ) -> crate::Result<bool> {
        self.delete_assertion_issuer_impl(organization_id, issuer_id)
            .await
    }
    async fn issue_assertion_grant(
        &self,
        spent: &crate::SpentAssertion<'_>,
        grant: &latchkey_core::oauth::grant::Grant,
        access: &crate::AccessRow,
        event: Option<&latchkey_types::AuditEvent>,
        now: i64,
    ) -> crate::Result<bool> {
        self.issue_assertion_grant_impl(spent, grant, access, event, now)
            .await
    }
    async fn purge_assertion_jtis(&self, now: i64) -> crate::Result<u64> {
        self.purge_assertion_jtis_impl(now).await
    }
    async fn revoke_access_token(&self, jti: &str, now: i64) -> crate::Result<()> {
        self.revoke_access_token_impl(jti, now).await
    }
    async fn insert_device_authorization(
        &self,
        device_code_hash: &str,
        user_code_hash: &str,
        record: &latchkey_core::oauth::device::DeviceRecord,
    ) -> crate::Result<()> {
        self.insert_device_authorization_impl(device_code_hash, user_code_hash, record)
            .await
    }
    async fn device_by_code(
        &self,
        device_code_hash: &str,
    ) -> crate::Result<Option<latchkey_core::oauth::device::DeviceRecord>> {
        self.device_by_code_impl(device_code_hash).await
    }
    async fn pending_device(
        &self,
        user_code_hash: &str,
        now: i64,
    ) -> crate::Result<Option<latchkey_core::oauth::device::DeviceRecord>> {
        self.pending_device_impl(user_code_hash, now).await
    }
    async fn approve_device(
        &self,
        user_code_hash: &str,
        grant: &latchkey_core::oauth::grant::Grant,
        consent: &crate::ConsentRow,
        event: Option<&latchkey_types::AuditEvent>,
        now: i64,
    ) -> crate::Result<bool> {
        self.approve_device_impl(user_code_hash, grant, consent, event, now)
            .await
    }
    async fn deny_device(&self, user_code_hash: &str) -> crate::Result<bool> {
        self.deny_device_impl(user_code_hash).await
    }
    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        now: i64,
        interval: i64,
    ) -> crate::Result<()> {
        self.record_device_poll_impl(device_code_hash, now, interval)
            .await
    }
    async fn consume_device(&self, device_code_hash: &str, now: i64) -> crate::Result<bool> {
        self.consume_device_impl(device_code_hash, now).await
    }
    async fn purge_device_authorizations(&self, before: i64) -> crate::Result<u64> {
        self.purge_device_authorizations_impl(before).await
    }
    async fn use_dpop_jti(&self, jti_hash: &str, expires_at: i64) -> crate::Result<bool> {
        self.use_dpop_jti_impl(jti_hash, expires_at).await
    }
    async fn purge_dpop_jtis(&self, now: i64) -> crate::Result<u64> {
        self.purge_dpop_jtis_impl(now).await
    }
    // MFA (issue 13 items 1, 2).
    async fn insert_intermediate_session(
        &self,
        s: &latchkey_core::mfa::IntermediateSession,
        token_hash: &latchkey_core::secret::SecretHash,
    ) -> crate::Result<()> {
        self.insert_intermediate_session_impl(s, token_hash).await
    }
    async fn intermediate_session(
        &self,
        project_id: &str,
        token_hash: &latchkey_core::secret::SecretHash,
    ) -> crate::Result<Option<latchkey_core::mfa::IntermediateSession>> {
        self.intermediate_session_impl(project_id, token_hash).await
    }
    async fn replace_intermediate_session(
        &self,
        old: &latchkey_core::secret::SecretHash,
        s: &latchkey_core::mfa::IntermediateSession,
        new_hash: &latchkey_core::secret::SecretHash,
        now: i64,
    ) -> crate::Result<bool> {
        self.replace_intermediate_session_impl(old, s, new_hash, now)
            .await
    }
    async fn complete_mfa(&self, c: &crate::MfaCompletion<'_>) -> crate::Result<crate::MfaOutcome> {
        self.complete_mfa_impl(c).await
    }
    async fn insert_totp_registration(
        &self,
        reg: &crate::TotpRegistration,
        codes: &[crate::NewRecoveryCode],
    ) -> crate::Result<()> {
        self.insert_totp_registration_impl(reg, codes).await
    }
    async fn member_totp(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> crate::Result<Option<crate::TotpRegistration>> {
        self.member_totp_impl(project_id, member_id, now).await
    }
    async fn migrate_totp(
        &self,
        reg: &crate::TotpRegistration,
        codes: &[crate::NewRecoveryCode],
        member: &latchkey_types::Member,
    ) -> crate::Result<bool> {
        self.migrate_totp_impl(reg, codes, member).await
    }
    async fn recovery_codes(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> crate::Result<Vec<crate::StoredRecoveryCode>> {
        self.recovery_codes_impl(project_id, member_id).await
    }
    async fn rotate_recovery_codes(
        &self,
        reg: &crate::TotpRegistration,
        codes: &[crate::NewRecoveryCode],
    ) -> crate::Result<bool> {
        self.rotate_recovery_codes_impl(reg, codes).await
    }
}
