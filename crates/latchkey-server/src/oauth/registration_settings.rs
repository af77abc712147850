//! Per-project settings of self-registering clients (branch mcp, issue 10), one JSON document
//! per project (`client_registration_settings`): whether RFC 7591 dynamic client registration
//! is on (Stytch's `idp_dynamic_client_registration_enabled`: on by default in test projects so
//! development works out of the box, off by default in live projects, as Stytch requires), the
//! scopes a request without `scope` gets (RFC 6749 §3.3), and the abuse limits.
//!
//! `GET` / `PUT /v1/connected_apps/registration_settings` (project Basic auth) read and change
//! it; `latchkey registration` does the same from the command line.

use axum::extract::State;
use latchkey_core::ids::Environment;
use latchkey_core::oauth::client_metadata::CREATED_BY_CIMD;
use latchkey_core::oauth::registration::{default_scopes, CREATED_BY_DCR};
use latchkey_core::oauth::ScopeSet;
use latchkey_core::ApiError;
use latchkey_store::{Store, StoreError};
use latchkey_types::ConnectedApp;
use serde::{Deserialize, Serialize};

use crate::api::auth::Project;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::state::AppState;

pub const PATH: &str = "/v1/connected_apps/registration_settings";

/// The stored document: absent members take their defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_dynamic_client_registration_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_client_registration_max_clients: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_client_registration_unused_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_client_registration_per_address_per_hour: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_allowed_hosts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_denied_hosts: Option<Vec<String>>,
}

/// The effective settings (defaults applied), as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationSettings {
    pub idp_dynamic_client_registration_enabled: bool,
    pub default_scopes: Vec<String>,
    pub dynamic_client_registration_max_clients: i64,
    pub dynamic_client_registration_unused_days: i64,
    pub dynamic_client_registration_per_address_per_hour: i64,
    /// Clients identified by a metadata document URL (draft-ietf-oauth-client-id-metadata-
    /// document): on by default in every project, as MCP clients expect.
    pub client_id_metadata_document_enabled: bool,
    /// When not empty, only documents from these hosts (and their subdomains).
    pub client_id_metadata_document_allowed_hosts: Vec<String>,
    /// Never documents from these hosts (and their subdomains).
    pub client_id_metadata_document_denied_hosts: Vec<String>,
}

pub const DEFAULT_MAX_CLIENTS: i64 = 1000;
pub const DEFAULT_UNUSED_DAYS: i64 = 30;
pub const DEFAULT_PER_ADDRESS_PER_HOUR: i64 = 20;

impl RegistrationSettings {
    fn effective(project_id: &str, s: &StoredSettings) -> Self {
        let test = Environment::of_project(project_id) == Environment::Test;
        RegistrationSettings {
            idp_dynamic_client_registration_enabled: s
                .idp_dynamic_client_registration_enabled
                .unwrap_or(test),
            default_scopes: s
                .default_scopes
                .clone()
                .unwrap_or_else(|| vec!["openid".into()]),
            dynamic_client_registration_max_clients: s
                .dynamic_client_registration_max_clients
                .unwrap_or(DEFAULT_MAX_CLIENTS),
            dynamic_client_registration_unused_days: s
                .dynamic_client_registration_unused_days
                .unwrap_or(DEFAULT_UNUSED_DAYS),
            dynamic_client_registration_per_address_per_hour: s
                .dynamic_client_registration_per_address_per_hour
                .unwrap_or(DEFAULT_PER_ADDRESS_PER_HOUR),
            client_id_metadata_document_enabled: s
                .client_id_metadata_document_enabled
                .unwrap_or(true),
            client_id_metadata_document_allowed_hosts: s
                .client_id_metadata_document_allowed_hosts
                .clone()
                .unwrap_or_default(),
            client_id_metadata_document_denied_hosts: s
                .client_id_metadata_document_denied_hosts
                .clone()
                .unwrap_or_default(),
        }
    }
}

async fn stored(store: &dyn Store, project_id: &str) -> Result<StoredSettings, StoreError> {
    Ok(
        match store.client_registration_settings(project_id).await? {
            // An unreadable document falls back to the defaults, which keep live projects closed.
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => StoredSettings::default(),
        },
    )
}

/// The project's effective settings.
pub async fn load(store: &dyn Store, project_id: &str) -> Result<RegistrationSettings, StoreError> {
    Ok(RegistrationSettings::effective(
        project_id,
        &stored(store, project_id).await?,
    ))
}

/// The effective settings through the read cache (`cache.rs`): what discovery and the metadata
/// document lookup read on every request.
pub async fn cached(
    state: &AppState,
    project_id: &str,
) -> Result<std::sync::Arc<RegistrationSettings>, StoreError> {
    state
        .cache
        .registration(project_id, load(state.store.as_ref(), project_id))
        .await
}

/// Applies a change (absent members unchanged) after checking it; returns the new settings.
pub async fn update(
    store: &dyn Store,
    project_id: &str,
    change: &StoredSettings,
) -> Result<RegistrationSettings, ApiFailure> {
    let range = |field: &str, v: Option<i64>, max: i64| match v {
        Some(n) if !(1..=max).contains(&n) => Err(ApiError::invalid_field(
            field,
            &format!("must be between 1 and {max}"),
        )),
        _ => Ok(()),
    };
    range(
        "dynamic_client_registration_max_clients",
        change.dynamic_client_registration_max_clients,
        1_000_000,
    )?;
    range(
        "dynamic_client_registration_unused_days",
        change.dynamic_client_registration_unused_days,
        3650,
    )?;
    range(
        "dynamic_client_registration_per_address_per_hour",
        change.dynamic_client_registration_per_address_per_hour,
        100_000,
    )?;
    if let Some(scopes) = &change.default_scopes {
        let set = ScopeSet::from_list(scopes)
            .map_err(|e| ApiError::invalid_field("default_scopes", &e.to_string()))?;
        if set.is_empty() {
            return Err(ApiError::invalid_field("default_scopes", "must not be empty").into());
        }
    }
    let change = &StoredSettings {
        client_id_metadata_document_allowed_hosts: hosts(
            "client_id_metadata_document_allowed_hosts",
            &change.client_id_metadata_document_allowed_hosts,
        )?,
        client_id_metadata_document_denied_hosts: hosts(
            "client_id_metadata_document_denied_hosts",
            &change.client_id_metadata_document_denied_hosts,
        )?,
        ..change.clone()
    };
    let mut s = stored(store, project_id).await?;
    macro_rules! take {
        ($($f:ident),*) => { $( if change.$f.is_some() { s.$f = change.$f.clone(); } )* };
    }
    take!(
        idp_dynamic_client_registration_enabled,
        default_scopes,
        dynamic_client_registration_max_clients,
        dynamic_client_registration_unused_days,
        dynamic_client_registration_per_address_per_hour,
        client_id_metadata_document_enabled,
        client_id_metadata_document_allowed_hosts,
        client_id_metadata_document_denied_hosts
    );
    let doc = serde_json::to_value(&s).map_err(|_| ApiError::internal())?;
    store
        .set_client_registration_settings(project_id, &doc)
        .await?;
    Ok(RegistrationSettings::effective(project_id, &s))
}

/// Host list entries: host names (a leading `*.` allowed), lowercased, at most 100.
fn hosts(field: &str, list: &Option<Vec<String>>) -> Result<Option<Vec<String>>, ApiFailure> {
    let Some(list) = list else { return Ok(None) };
    if list.len() > 100 {
        return Err(ApiError::invalid_field(field, "may hold at most 100 hosts").into());
    }
    let mut out = Vec::with_capacity(list.len());
    for h in list {
        let h = h.trim().to_ascii_lowercase();
        let bare = h.strip_prefix("*.").unwrap_or(&h);
        if url::Host::parse(bare).is_err() || bare.is_empty() || bare.contains(['/', ':', '@']) {
            return Err(
                ApiError::invalid_field(field, &format!("{h:?} is not a host name")).into(),
            );
        }
        out.push(h);
    }
    Ok(Some(out))
}

#[derive(Serialize)]
pub struct SettingsResponse {
    pub settings: RegistrationSettings,
}

/// `GET /v1/connected_apps/registration_settings`.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
) -> Result<Stytch<SettingsResponse>, ApiFailure> {
    let settings = load(state.store.as_ref(), &project.project_id).await?;
    Ok(ok(SettingsResponse { settings }))
}

/// `PUT /v1/connected_apps/registration_settings`.
pub async fn put(
    State(state): State<AppState>,
    project: Project,
    ApiJson(change): ApiJson<StoredSettings>,
) -> Result<Stytch<SettingsResponse>, ApiFailure> {
    let settings = update(state.store.as_ref(), &project.project_id, &change).await?;
    state.cache.forget_project_settings(&project.project_id);
    Ok(ok(SettingsResponse { settings }))
}

/// The scopes of a request that names none (RFC 6749 §3.3: the server's documented default):
/// the client's registered `scope`, else the project's `default_scopes`. A registered scope this
/// project does not know (neither built in, in its RBAC policy, nor accepted by one of its
/// resources) is left out rather than failing the request: a client's metadata may name scopes
/// of other servers; when none is left, the project's default applies.
pub async fn default_scopes_for(
    state: &AppState,
    project_id: &str,
    app: &ConnectedApp,
) -> Result<Vec<String>, StoreError> {
    let registered = if app.creation_method == CREATED_BY_CIMD {
        super::cimd::metadata(state, project_id, &app.client_id)
            .await?
            .as_ref()
            .and_then(default_scopes)
    } else if is_self_registered(app) {
        state
            .store
            .dynamic_client(&app.client_id)
            .await?
            .and_then(|reg| serde_json::from_str(&reg.metadata).ok())
            .and_then(|m: serde_json::Value| default_scopes(&m))
    } else {
        None
    };
    if let Some(scopes) = registered {
        let known = known_scopes(state, project_id).await?;
        let kept: Vec<String> = scopes.into_iter().filter(|s| known.contains(s)).collect();
        if !kept.is_empty() {
            return Ok(kept);
        }
    }
    Ok(load(state.store.as_ref(), project_id).await?.default_scopes)
}

/// Every scope the project can grant: built in, its RBAC policy's, its resources'.
async fn known_scopes(
    state: &AppState,
    project_id: &str,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let policy = state.effective_policy(project_id).await?;
    let mut known: std::collections::HashSet<String> =
        policy.scopes_supported().into_iter().collect();
    for r in crate::api::resources::registered(state, project_id)
        .await?
        .iter()
    {
        known.extend(r.scopes.iter().map(|s| s.scope.clone()));
    }
    Ok(known)
}

/// Clients that registered themselves follow RFC 7591 / RFC 8252 rules (native loopback
/// redirects on any port, default scopes); management-API clients keep Stytch's.
pub fn is_self_registered(app: &ConnectedApp) -> bool {
    app.creation_method == CREATED_BY_DCR || app.creation_method == CREATED_BY_CIMD
}

/// The maintenance loop's part: removes the project's self-registered clients unused for
/// longer than its `dynamic_client_registration_unused_days`.
pub async fn purge_unused(
    store: &dyn Store,
    project_id: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let days = load(store, project_id)
        .await?
        .dynamic_client_registration_unused_days;
    store
        .purge_unused_dynamic_clients(project_id, now - days * 86_400)
        .await
}

/// Request-time `redirect_uri` matching: RFC 8252 §7.3 any-port loopback for self-registered
/// clients, Stytch's exact rules for the rest.
pub fn match_redirect(
    app: &ConnectedApp,
    requested: &str,
) -> Option<latchkey_core::oauth::MatchedRedirect> {
    if is_self_registered(app) {
        latchkey_core::oauth::redirect_uri_matches_native(&app.redirect_urls, requested)
    } else {
        latchkey_core::oauth::redirect_uri_matches(&app.redirect_urls, requested)
    }
}
