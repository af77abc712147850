//! Clients known by a client ID metadata document (draft-ietf-oauth-client-id-metadata-
//! document-02; the MCP 2026-07-28 authorization spec's preferred registration). A `client_id`
//! that is an `https` URL is resolved here, wherever a client id is accepted: the project must
//! accept such clients (its registration settings: on/off, host allow and deny lists), the
//! document is fetched through the SSRF guard ([`crate::fetch`]), cached (bounded, concurrent
//! loads of one URL coalesced, lifetime from `Cache-Control` / `Expires` between a floor and a
//! ceiling), validated by the core rules, and kept as a `third_party_public` Connected App (or
//! `third_party` when it authenticates with `private_key_jwt`) whose `client_id_metadata_url`
//! is the URL. An unchanged document writes nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_core::connected_app::{self, ClientCredentials};
use latchkey_core::oauth::client_metadata::{
    cache_lifetime, host_allowed, is_client_id_url, parse_client_id_url, parse_document,
    CREATED_BY_CIMD, MAX_DOCUMENT_BYTES,
};
use latchkey_core::oauth::registration::Registration;
use latchkey_core::secret::SecretHash;
use latchkey_store::{ClientMetadataDocument, StoreError};
use latchkey_types::{ConnectedApp, ConnectedAppSettings};
use url::Url;

use crate::fetch::GuardedFetcher;
use crate::state::AppState;

/// Most documents (and key sets) kept in memory.
const CACHE_CAPACITY: u64 = 10_000;
/// A failed fetch is remembered this long, so that a client cannot turn the server into a
/// stream of requests at someone else's host.
const FAILURE_TTL_SECS: u64 = 10;
/// Largest `jwks_uri` document accepted.
pub const MAX_JWKS_BYTES: usize = 16 * 1024;

/// Why a metadata-document client cannot be used.
#[derive(Debug)]
pub enum CimdError {
    /// A sentence naming the reason (shown on the error page, sent as `error_description`).
    Refused(String),
    Store(StoreError),
}

impl From<StoreError> for CimdError {
    fn from(e: StoreError) -> Self {
        CimdError::Store(e)
    }
}

/// A fetched body, as cached.
#[derive(Debug)]
pub struct Cached {
    pub body: Vec<u8>,
    /// SHA-256 of the body: an unchanged document is not saved again.
    pub hash: String,
    ttl_secs: u64,
}

/// A fetch's outcome, as cached.
type Outcome = Result<Arc<Cached>, Arc<str>>;

struct ByLifetime;

impl moka::Expiry<String, Outcome> for ByLifetime {
    fn expire_after_create(&self, _: &String, v: &Outcome, _: Instant) -> Option<Duration> {
        Some(Duration::from_secs(match v {
            Ok(c) => c.ttl_secs,
            Err(_) => FAILURE_TTL_SECS,
        }))
    }
}

/// The guarded fetcher with its cache (one per server, cheap to clone).
#[derive(Clone)]
pub struct DocumentCache {
    fetcher: GuardedFetcher,
    cache: moka::future::Cache<String, Outcome>,
}

impl DocumentCache {
    pub fn new(allow_http_loopback: bool) -> anyhow::Result<Self> {
        Ok(DocumentCache {
            fetcher: GuardedFetcher::new(allow_http_loopback)?,
            cache: moka::future::Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .expire_after(ByLifetime)
                .build(),
        })
    }

    /// The body at `url`, from the cache or fetched once however many ask at the same time.
    /// Failures are cached briefly too.
    pub async fn get(&self, url: &Url, max_bytes: usize, now: i64) -> Result<Arc<Cached>, String> {
        let key = format!("{max_bytes} {url}");
        let outcome = self
            .cache
            .get_with(key, async {
                let fetched = self.fetcher.get(url, max_bytes).await.map(|f| {
                    let ttl = cache_lifetime(f.cache_control.as_deref(), f.expires, now);
                    Cached {
                        hash: SecretHash::of(&String::from_utf8_lossy(&f.body))
                            .as_str()
                            .to_string(),
                        body: f.body,
                        ttl_secs: ttl.max(1) as u64,
                    }
                });
                fetched.map(Arc::new).map_err(Arc::from)
            })
            .await;
        outcome.map_err(|why| why.to_string())
    }

    /// Drops a cached body (a key set that lacks the `kid` an assertion names).
    pub async fn forget(&self, url: &Url, max_bytes: usize) {
        self.cache.invalidate(&format!("{max_bytes} {url}")).await;
    }
}

/// The client `client_id` (a metadata document URL) names in `project_id`.
pub async fn client(
    state: &AppState,
    project_id: &str,
    client_id: &str,
) -> Result<(ClientCredentials, ConnectedApp), CimdError> {
    let settings = super::registration_settings::cached(state, project_id).await?;
    if !settings.client_id_metadata_document_enabled {
        return Err(CimdError::Refused(
            "This project does not accept clients identified by a metadata document URL.".into(),
        ));
    }
    let url = parse_client_id_url(client_id, state.config.client_metadata_allow_http_loopback)
        .map_err(|e| CimdError::Refused(e.0))?;
    host_allowed(
        url.host_str().unwrap_or_default(),
        &settings.client_id_metadata_document_allowed_hosts,
        &settings.client_id_metadata_document_denied_hosts,
    )
    .map_err(|e| CimdError::Refused(e.0))?;
    let now = state.clock.now().unix_timestamp();
    let doc = state
        .documents
        .get(&url, MAX_DOCUMENT_BYTES, now)
        .await
        .map_err(|why| CimdError::Refused(format!("The client metadata document: {why}")))?;
    let stored = state
        .store
        .client_metadata_document(project_id, client_id)
        .await?;
    if stored.is_some_and(|s| s.document_hash == doc.hash) {
        if let Some(found) = state
            .store
            .connected_app_credentials_in(project_id, client_id)
            .await?
        {
            return Ok(found);
        }
    }
    let reg = parse_document(client_id, &doc.body).map_err(|e| CimdError::Refused(e.0))?;
    if let Some(j) = &reg.jwks {
        super::client_assertion::check_keys(j)
            .map_err(|why| CimdError::Refused(format!("The client metadata document: {why}")))?;
    }
    let app = app_for(state, client_id, &reg)?;
    let saved = ClientMetadataDocument {
        project_id: project_id.to_string(),
        client_id: client_id.to_string(),
        metadata: reg.metadata().to_string(),
        document_hash: doc.hash.clone(),
        fetched_at: now,
    };
    Ok(state
        .store
        .save_client_metadata_document(&app, &saved)
        .await?)
}

/// The Connected App a document describes.
fn app_for(
    state: &AppState,
    client_id: &str,
    reg: &Registration,
) -> Result<ConnectedApp, CimdError> {
    let client_type = reg.client_type();
    let mut app = connected_app::create(
        client_id.to_string(),
        &ConnectedAppSettings {
            client_type: Some(client_type.as_str().into()),
            ..Default::default()
        },
        state.tokens.as_ref(),
    )
    .map_err(|e| CimdError::Refused(e.message))?
    .app;
    let host = Url::parse(client_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    app.client_name = reg.client_name.clone();
    app.client_description = format!(
        "Identified by its client metadata document at {host}; not verified by this project."
    );
    app.redirect_urls = reg.redirect_uris.clone();
    app.logo_url = reg.logo_uri.clone();
    app.creation_method = CREATED_BY_CIMD.into();
    app.client_id_metadata_url = Some(client_id.to_string());
    // These clients have no shared secret (the core refuses one; private_key_jwt ones
    // authenticate with keys).
    app.client_secret_last_four = None;
    Ok(app)
}

/// The metadata last validated for a metadata-document client (its keys, default scopes).
pub async fn metadata(
    state: &AppState,
    project_id: &str,
    client_id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    Ok(state
        .store
        .client_metadata_document(project_id, client_id)
        .await?
        .and_then(|d| serde_json::from_str(&d.metadata).ok()))
}

/// A client by id at the OAuth endpoints: a metadata document URL is resolved in `project`
/// (the legacy path's project, else the one served at project-less paths); any other id is
/// found in whichever project holds it (generated ids are globally unique).
pub async fn find(
    state: &AppState,
    client_id: &str,
    project: Option<&str>,
) -> Result<Option<(ClientCredentials, ConnectedApp)>, CimdError> {
    if !is_client_id_url(client_id) {
        return Ok(credentials(state, client_id).await?);
    }
    let project = match project {
        Some(p) => p.to_string(),
        None => crate::state::default_project(state)
            .await
            .map_err(|f| CimdError::Refused(f.0.message.to_string()))?,
    };
    client(state, &project, client_id).await.map(Some)
}

/// A registered (not metadata-document) client and its credentials, by id, through the read
/// cache (`cache.rs`): client authentication reads it on every token request.
pub async fn credentials(
    state: &AppState,
    client_id: &str,
) -> Result<Option<(ClientCredentials, ConnectedApp)>, latchkey_store::StoreError> {
    let found = state
        .cache
        .client(client_id, state.store.connected_app_credentials(client_id))
        .await?;
    Ok(found.map(|c| c.as_ref().clone()))
}

/// A client by id within one project (Stytch's authorize Start / Submit, the SDK surface).
pub async fn find_in(
    state: &AppState,
    project_id: &str,
    client_id: &str,
) -> Result<Option<ConnectedApp>, CimdError> {
    if !is_client_id_url(client_id) {
        let app = state
            .cache
            .app(
                project_id,
                client_id,
                state.store.get_connected_app(project_id, client_id),
            )
            .await?;
        return Ok(app.map(|a| a.as_ref().clone()));
    }
    client(state, project_id, client_id)
        .await
        .map(|(_, app)| Some(app))
}

impl CimdError {
    /// At the token, introspection and revocation endpoints: `invalid_client` naming why.
    pub fn oauth(self) -> super::envelope::OAuthFailure {
        match self {
            CimdError::Refused(why) => latchkey_core::oauth::OAuthError::new(
                latchkey_core::oauth::OAuthErrorCode::InvalidClient,
                why,
            )
            .into(),
            CimdError::Store(e) => e.into(),
        }
    }

    /// On the Stytch API: 400 `invalid_client_id_metadata_document` naming why.
    pub fn api(self) -> crate::envelope::ApiFailure {
        match self {
            CimdError::Refused(why) => {
                latchkey_core::ApiError::new(400, "invalid_client_id_metadata_document", why).into()
            }
            CimdError::Store(e) => e.into(),
        }
    }
}
