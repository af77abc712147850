//! Signing keys at run time: each project's key set loaded from the store, the active key parsed
//! once and cached (a short TTL, so a rotation by another replica is picked up), created with the
//! project or on first signing need, rotated by `latchkey keys rotate` or on a schedule. Private
//! keys are sealed at rest with the master key when one is configured (`LATCHKEY_MASTER_KEY`).
//!
//! Verification never creates keys (security review #4: a forged, unverified `aud` made every
//! request generate two RSA keys): [`KeyService::verifying_set`] only reads, unknown projects
//! are remembered for a while, and [`KeyService::reload`] for an unknown `kid` reads the store at
//! most once per [`RELOAD_MIN_INTERVAL`] per project.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use latchkey_core::clock::TokenGenerator;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::jwt::{
    self, plan_rotation_with, KeyRecord, KeySet, KeyState, MasterKey, RotationPolicy, SigningKey,
};
use latchkey_store::{KeyChange, Store, StoreError, StoredSigningKey};

/// How long a loaded key set is trusted before it is read again.
const CACHE_TTL: Duration = Duration::from_secs(30);
/// How long a project id with no keys and no project row is answered from memory.
const MISS_TTL: Duration = Duration::from_secs(30);
/// The shortest time between two store reads of one project's keys for unknown `kid`s.
pub const RELOAD_MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Cache entries kept at most (misses for random project ids must not grow memory forever).
const CACHE_CAP: usize = 10_000;

/// A cached answer for one project.
enum Entry {
    Keys(Arc<KeySet>, Instant),
    /// No such project (as of the instant).
    Missing(Instant),
}

/// Whether a load may create the first keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Create {
    /// Verification paths: read only.
    Never,
    /// Signing paths: create the first keys, but only for a project that exists.
    IfProjectExists,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key store: {0}")]
    Store(#[from] StoreError),
    #[error("key material: {0}")]
    Jwt(#[from] jwt::JwtError),
    #[error("key generation task failed")]
    Join,
    #[error("project has no active signing key")]
    NoActiveKey,
    #[error("no such project")]
    UnknownProject,
}

/// The result of a forced rotation.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub active: String,
    pub next: String,
    pub retired: Option<String>,
}

pub struct KeyService {
    store: Arc<dyn Store>,
    master: Option<Arc<MasterKey>>,
    policy: RotationPolicy,
    cache: RwLock<HashMap<String, Entry>>,
}

impl KeyService {
    /// `retention_secs`: how long a retired key stays published (longer than any token lives).
    pub fn new(
        store: Arc<dyn Store>,
        master: Option<Arc<MasterKey>>,
        rotation_secs: i64,
        retention_secs: i64,
    ) -> Self {
        let mut policy = RotationPolicy::new(rotation_secs.max(1), retention_secs);
        if rotation_secs <= 0 {
            policy.rotation_period_secs = i64::MAX / 4;
        }
        KeyService {
            store,
            master,
            policy,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The project's key set for signing: from the cache, else from the store, creating the
    /// first keys if the project exists and has none.
    pub async fn key_set(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<Arc<KeySet>, KeyError> {
        if let Some(set) = self.cached(project_id) {
            return Ok(set);
        }
        self.load(project_id, now, tokens, Create::IfProjectExists)
            .await
    }

    /// The project's key set for verifying a token: from the cache, else from the store. Never
    /// creates keys; an unknown project is answered from memory for [`MISS_TTL`].
    pub async fn verifying_set(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<Arc<KeySet>, KeyError> {
        match self.entry(project_id, CACHE_TTL) {
            Some(Ok(set)) => Ok(set),
            Some(Err(e)) => Err(e),
            None => self.load(project_id, now, tokens, Create::Never).await,
        }
    }

    /// Reads the key set from the store again, because a token names a kid we have not seen
    /// (another replica may have rotated). Never creates keys, and reads at most once per
    /// [`RELOAD_MIN_INTERVAL`]: sooner, the cached set is returned as it is.
    pub async fn reload(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<Arc<KeySet>, KeyError> {
        match self.entry(project_id, RELOAD_MIN_INTERVAL) {
            Some(Ok(set)) => Ok(set),
            Some(Err(e)) => Err(e),
            None => self.load(project_id, now, tokens, Create::Never).await,
        }
    }

    async fn load(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
        create: Create,
    ) -> Result<Arc<KeySet>, KeyError> {
        let mut stored = self.store.signing_keys(project_id).await?;
        if !stored.iter().any(|k| k.record.state == KeyState::Active) {
            if self
                .store
                .project_secret_hashes(project_id)
                .await?
                .is_empty()
            {
                self.remember(project_id, Entry::Missing(Instant::now()));
                return Err(KeyError::UnknownProject);
            }
            if create == Create::Never {
                return Err(KeyError::NoActiveKey);
            }
            self.create_initial(project_id, now, tokens).await?;
            stored = self.store.signing_keys(project_id).await?;
        }
        let active = stored
            .iter()
            .find(|k| k.record.state == KeyState::Active)
            .ok_or(KeyError::NoActiveKey)?;
        let der = jwt::open_private_key(
            self.master.as_deref(),
            &active.record.kid,
            &active.sealed_private_key,
        )?;
        let signing = SigningKey::from_pkcs8_der_with_x5c(&active.record.kid, der.as_bytes())?;
        let records: Vec<KeyRecord> = stored.iter().map(|k| k.record.clone()).collect();
        let mut set = KeySet::from_records(signing, &records, self.policy.max_token_lifetime_secs)?;
        set.prune(now);
        let set = Arc::new(set);
        self.remember(project_id, Entry::Keys(set.clone(), Instant::now()));
        Ok(set)
    }

    /// Keys loaded less than [`CACHE_TTL`] ago.
    fn cached(&self, project_id: &str) -> Option<Arc<KeySet>> {
        self.entry(project_id, CACHE_TTL)?.ok()
    }

    /// The cached answer: keys loaded less than `fresh` ago, or a miss less than [`MISS_TTL`]
    /// old.
    fn entry(&self, project_id: &str, fresh: Duration) -> Option<Result<Arc<KeySet>, KeyError>> {
        let cache = self.cache.read().ok()?;
        match cache.get(project_id)? {
            Entry::Keys(set, at) => (at.elapsed() < fresh).then(|| Ok(set.clone())),
            Entry::Missing(at) => {
                (at.elapsed() < MISS_TTL).then_some(Err(KeyError::UnknownProject))
            }
        }
    }

    fn remember(&self, project_id: &str, entry: Entry) {
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_CAP && !cache.contains_key(project_id) {
                cache.retain(|_, e| match e {
                    Entry::Keys(_, at) => at.elapsed() < CACHE_TTL,
                    Entry::Missing(_) => false,
                });
                if cache.len() >= CACHE_CAP {
                    cache.clear();
                }
            }
            cache.insert(project_id.to_string(), entry);
        }
    }

    fn forget(&self, project_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(project_id);
        }
    }

    /// Creates an active key and the next one, unless another writer got there first.
    pub async fn create_initial(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<(), KeyError> {
        let active = self
            .generate(project_id, KeyState::Active, now, tokens)
            .await?;
        let next = self
            .generate(project_id, KeyState::Next, now, tokens)
            .await?;
        let change = KeyChange {
            insert: vec![active, next],
            now,
            ..Default::default()
        };
        match self.store.change_signing_keys(project_id, &change).await {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Rotates now: the next key starts signing, the active key retires (still published until
    /// its tokens have expired), a new next key is published.
    pub async fn rotate_now(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<Rotated, KeyError> {
        self.load(project_id, now, tokens, Create::IfProjectExists)
            .await?;
        let stored = self.store.signing_keys(project_id).await?;
        let active = stored
            .iter()
            .find(|k| k.record.state == KeyState::Active)
            .map(|k| k.record.kid.clone());
        let next = stored
            .iter()
            .find(|k| k.record.state == KeyState::Next)
            .map(|k| k.record.kid.clone());
        let mut change = KeyChange {
            expected_active: active.clone(),
            retire: active.iter().cloned().collect(),
            now,
            ..Default::default()
        };
        let new_active = match next {
            Some(kid) => {
                change.promote = Some(kid.clone());
                kid
            }
            None => {
                let k = self
                    .generate(project_id, KeyState::Active, now, tokens)
                    .await?;
                let kid = k.record.kid.clone();
                change.insert.push(k);
                kid
            }
        };
        let new_next = self
            .generate(project_id, KeyState::Next, now, tokens)
            .await?;
        let next_kid = new_next.record.kid.clone();
        change.insert.push(new_next);
        change.drop = self.expired_retired(&stored, now);
        self.store.change_signing_keys(project_id, &change).await?;
        self.forget(project_id);
        Ok(Rotated {
            active: new_active,
            next: next_kid,
            retired: active,
        })
    }

    /// Applies the scheduled rotation rules (core::jwt::rotation) once; true if anything changed.
    pub async fn rotate_if_due(
        &self,
        project_id: &str,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<bool, KeyError> {
        let stored = self.store.signing_keys(project_id).await?;
        let records: Vec<KeyRecord> = stored.iter().map(|k| k.record.clone()).collect();
        let plan = plan_rotation_with(&records, now, &self.policy);
        if plan.is_noop() {
            return Ok(false);
        }
        let mut change = KeyChange {
            expected_active: records
                .iter()
                .find(|r| r.state == KeyState::Active)
                .map(|r| r.kid.clone()),
            retire: plan.retire.clone(),
            promote: plan.promote.clone(),
            drop: plan.drop.clone(),
            now,
            ..Default::default()
        };
        if plan.create_active {
            change.insert.push(
                self.generate(project_id, KeyState::Active, now, tokens)
                    .await?,
            );
        }
        if plan.create_next {
            change.insert.push(
                self.generate(project_id, KeyState::Next, now, tokens)
                    .await?,
            );
        }
        let applied = self.store.change_signing_keys(project_id, &change).await?;
        self.forget(project_id);
        Ok(applied)
    }

    fn expired_retired(&self, stored: &[StoredSigningKey], now: i64) -> Vec<String> {
        stored
            .iter()
            .filter(|k| k.record.state == KeyState::Retired)
            .filter(|k| {
                k.record
                    .retired_at
                    .is_some_and(|t| t.saturating_add(self.policy.max_token_lifetime_secs) <= now)
            })
            .map(|k| k.record.kid.clone())
            .collect()
    }

    /// A fresh RSA-2048 key (generated off the async runtime), sealed for storage.
    async fn generate(
        &self,
        project_id: &str,
        state: KeyState,
        now: i64,
        tokens: &dyn TokenGenerator,
    ) -> Result<StoredSigningKey, KeyError> {
        let kid = make_id("jwk", Environment::of_project(project_id), tokens.uuid());
        let der = tokio::task::spawn_blocking(jwt::generate_rsa_2048_pkcs8)
            .await
            .map_err(|_| KeyError::Join)??;
        let signing = SigningKey::from_pkcs8_der_with_x5c(&kid, &der)?;
        let mut nonce = [0u8; 12];
        tokens.fill(&mut nonce);
        let sealed = jwt::seal_private_key_with_nonce(self.master.as_deref(), &kid, &der, nonce)?;
        Ok(StoredSigningKey {
            record: KeyRecord {
                kid,
                state,
                created_at: now,
                activated_at: (state == KeyState::Active).then_some(now),
                retired_at: None,
                public_jwk: signing.public_jwk().clone(),
            },
            sealed_private_key: sealed,
        })
    }
}

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("sealed_at_rest", &self.master.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::clock::{Clock, OsTokens, SystemClock};

    async fn service() -> (Arc<dyn Store>, KeyService) {
        let store: Arc<dyn Store> =
            Arc::new(latchkey_store::connect("sqlite::memory:").await.unwrap());
        let keys = KeyService::new(store.clone(), None, 86_400, 86_400);
        (store, keys)
    }

    #[tokio::test]
    async fn verification_never_creates_keys() {
        let (store, keys) = service().await;
        let now = SystemClock.now().unix_timestamp();
        let ghost = "project-test-00000000-0000-0000-0000-000000000000";
        for _ in 0..3 {
            let e = keys.verifying_set(ghost, now, &OsTokens).await.unwrap_err();
            assert!(matches!(e, KeyError::UnknownProject), "{e}");
            assert!(matches!(
                keys.reload(ghost, now, &OsTokens).await,
                Err(KeyError::UnknownProject)
            ));
        }
        // Signing for a project that does not exist creates nothing either.
        assert!(matches!(
            keys.key_set(ghost, now, &OsTokens).await,
            Err(KeyError::UnknownProject)
        ));
        assert!(store.signing_keys(ghost).await.unwrap().is_empty());
        // A real project without keys: verification reads only, signing creates them.
        let (p, _) = crate::cli::new_project(
            store.as_ref(),
            "t",
            Environment::Test,
            &SystemClock,
            &OsTokens,
        )
        .await
        .unwrap();
        let e = keys
            .verifying_set(&p.project_id, now, &OsTokens)
            .await
            .unwrap_err();
        assert!(matches!(e, KeyError::NoActiveKey), "{e}");
        assert!(store.signing_keys(&p.project_id).await.unwrap().is_empty());
        keys.key_set(&p.project_id, now, &OsTokens).await.unwrap();
        assert_eq!(store.signing_keys(&p.project_id).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn reloads_for_unknown_kids_are_throttled() {
        let (store, keys) = service().await;
        let now = SystemClock.now().unix_timestamp();
        let (p, _) = crate::cli::new_project(
            store.as_ref(),
            "t",
            Environment::Test,
            &SystemClock,
            &OsTokens,
        )
        .await
        .unwrap();
        let first = keys.key_set(&p.project_id, now, &OsTokens).await.unwrap();
        // Another replica rotates; within the interval a reload still answers from memory.
        let other = KeyService::new(store.clone(), None, 86_400, 86_400);
        other
            .rotate_now(&p.project_id, now, &OsTokens)
            .await
            .unwrap();
        let again = keys.reload(&p.project_id, now, &OsTokens).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
    }
}
