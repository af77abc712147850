//! The per-replica read cache: what nearly every request reads and almost never changes (a
//! project's secret hashes, its effective RBAC policy, registration settings and resource
//! servers, the Connected App a request names, the served project), kept in memory for
//! `cache_ttl_seconds` (default 5 s; 0 turns it off).
//!
//! The rule across replicas (docs/operations.md, "Caches and replicas"): a change made through
//! this server is in force here at once, because the handler that writes also forgets what it
//! changed; a change made through another server sharing the database (or by the CLI) is in
//! force here within the TTL. What must hold at once everywhere is never cached: tokens, codes,
//! consents, sessions, members and organizations are read from the database on every request.
//! Signing keys have their own cache (`keys.rs`), reloaded at once for an unknown `kid`.
//!
//! Only answers that exist are kept: an unknown project or client is asked again next time, so
//! a project or client created elsewhere is usable at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use latchkey_core::connected_app::ClientCredentials;
use latchkey_core::oauth::RbacPolicy;
use latchkey_core::secret::SecretHash;
use latchkey_types::{ConnectedApp, ResourceServer};
use moka::sync::Cache;

use crate::oauth::registration_settings::RegistrationSettings;

/// Default time a cached answer is used before it is read again.
pub const DEFAULT_TTL_SECS: u64 = 5;
/// Entries per kind; a deployment with more hot projects or clients re-reads the coldest.
const CAPACITY: u64 = 100_000;
/// Discovery documents (about 2 KB each) are keyed by issuer too, which a loopback `Host`
/// header chooses when no `issuer` is configured: a few per project are all that is needed.
const DOCUMENT_CAPACITY: u64 = 1_024;

/// A discovery document, serialized (served as bytes: built once per TTL).
pub struct Document {
    pub json: Vec<u8>,
}

impl Document {
    pub fn new(value: &serde_json::Value) -> Self {
        Document {
            json: serde_json::to_vec(value).unwrap_or_default(),
        }
    }
}

/// A client found for authentication, and its document.
pub type Client = Arc<(ClientCredentials, ConnectedApp)>;

pub struct ReadCache {
    enabled: bool,
    secrets: Cache<String, Arc<Vec<SecretHash>>>,
    policies: Cache<String, Arc<RbacPolicy>>,
    registration: Cache<String, Arc<RegistrationSettings>>,
    resources: Cache<String, Arc<Vec<ResourceServer>>>,
    /// By client id (ids are unique across projects).
    clients: Cache<String, Client>,
    /// By (project, client id).
    apps: Cache<(String, String), Arc<ConnectedApp>>,
    default_project: Cache<(), Arc<String>>,
    /// Discovery documents, by (project, issuer, RFC 8414 variant).
    documents: Cache<(String, String, bool), Arc<Document>>,
}

impl ReadCache {
    pub fn new(ttl: Duration) -> Self {
        fn sized<K, V>(ttl: Duration, capacity: u64) -> Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build()
        }
        fn cache<K, V>(ttl: Duration) -> Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            sized(ttl, CAPACITY)
        }
        ReadCache {
            enabled: !ttl.is_zero(),
            secrets: cache(ttl),
            policies: cache(ttl),
            registration: cache(ttl),
            resources: cache(ttl),
            clients: cache(ttl),
            apps: cache(ttl),
            default_project: cache(ttl),
            documents: sized(ttl, DOCUMENT_CAPACITY),
        }
    }

    pub async fn project_secrets<E, F>(
        &self,
        project_id: &str,
        load: F,
    ) -> Result<Arc<Vec<SecretHash>>, E>
    where
        F: Future<Output = Result<Vec<SecretHash>, E>>,
    {
        through(
            self.enabled,
            &self.secrets,
            project_id.to_string(),
            load,
            |v| !v.is_empty(),
        )
        .await
    }

    pub async fn policy<E, F>(&self, project_id: &str, load: F) -> Result<Arc<RbacPolicy>, E>
    where
        F: Future<Output = Result<RbacPolicy, E>>,
    {
        through(
            self.enabled,
            &self.policies,
            project_id.to_string(),
            load,
            |_| true,
        )
        .await
    }

    pub async fn registration<E, F>(
        &self,
        project_id: &str,
        load: F,
    ) -> Result<Arc<RegistrationSettings>, E>
    where
        F: Future<Output = Result<RegistrationSettings, E>>,
    {
        through(
            self.enabled,
            &self.registration,
            project_id.to_string(),
            load,
            |_| true,
        )
        .await
    }

    pub async fn resources<E, F>(
        &self,
        project_id: &str,
        load: F,
    ) -> Result<Arc<Vec<ResourceServer>>, E>
    where
        F: Future<Output = Result<Vec<ResourceServer>, E>>,
    {
        through(
            self.enabled,
            &self.resources,
            project_id.to_string(),
            load,
            |_| true,
        )
        .await
    }

    pub async fn client<E, F>(&self, client_id: &str, load: F) -> Result<Option<Client>, E>
    where
        F: Future<Output = Result<Option<(ClientCredentials, ConnectedApp)>, E>>,
    {
        optional(self.enabled, &self.clients, client_id.to_string(), load).await
    }

    pub async fn app<E, F>(
        &self,
        project_id: &str,
        client_id: &str,
        load: F,
    ) -> Result<Option<Arc<ConnectedApp>>, E>
    where
        F: Future<Output = Result<Option<ConnectedApp>, E>>,
    {
        let key = (project_id.to_string(), client_id.to_string());
        optional(self.enabled, &self.apps, key, load).await
    }

    pub async fn default_project<E, F>(&self, load: F) -> Result<Arc<String>, E>
    where
        F: Future<Output = Result<String, E>>,
    {
        through(self.enabled, &self.default_project, (), load, |_| true).await
    }

    pub async fn document<E, F>(
        &self,
        key: (String, String, bool),
        load: F,
    ) -> Result<Arc<Document>, E>
    where
        F: Future<Output = Result<Document, E>>,
    {
        through(self.enabled, &self.documents, key, load, |_| true).await
    }

    /// After a Connected App was changed, deleted or had its secret rotated through this server.
    pub fn forget_client(&self, project_id: &str, client_id: &str) {
        self.clients.invalidate(client_id);
        self.apps
            .invalidate(&(project_id.to_string(), client_id.to_string()));
    }

    /// After the RBAC policy, registration settings or resource servers of a project changed
    /// through this server (they feed discovery, scopes and audiences).
    pub fn forget_project_settings(&self, project_id: &str) {
        self.policies.invalidate(project_id);
        self.registration.invalidate(project_id);
        self.resources.invalidate(project_id);
        // Few entries, keyed by issuer as well: drop them all.
        self.documents.invalidate_all();
    }
}

/// The cached value, else `load`'s, remembered when `keep` says so.
async fn through<K, V, E, F>(
    enabled: bool,
    cache: &Cache<K, Arc<V>>,
    key: K,
    load: F,
    keep: impl Fn(&V) -> bool,
) -> Result<Arc<V>, E>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    F: Future<Output = Result<V, E>>,
{
    if enabled {
        if let Some(v) = cache.get(&key) {
            return Ok(v);
        }
    }
    let v = Arc::new(load.await?);
    if enabled && keep(&v) {
        cache.insert(key, v.clone());
    }
    Ok(v)
}

/// As [`through`] for lookups that may find nothing; nothing found is not remembered.
async fn optional<K, V, E, F>(
    enabled: bool,
    cache: &Cache<K, Arc<V>>,
    key: K,
    load: F,
) -> Result<Option<Arc<V>>, E>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    F: Future<Output = Result<Option<V>, E>>,
{
    if enabled {
        if let Some(v) = cache.get(&key) {
            return Ok(Some(v));
        }
    }
    let Some(v) = load.await? else {
        return Ok(None);
    };
    let v = Arc::new(v);
    if enabled {
        cache.insert(key, v.clone());
    }
    Ok(Some(v))
}
