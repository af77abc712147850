//! `AppState`: everything a handler needs, built once at start-up. No globals.

use std::sync::Arc;

use latchkey_core::clock::{Clock, TokenGenerator};
use latchkey_core::oauth::RbacPolicy;
use latchkey_core::rbac::effective_policy;
use latchkey_store::Store;

use crate::config::Config;

/// Shared by every request (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// What nearly every request reads and rarely changes (`cache.rs` states the rule).
    pub cache: Arc<crate::cache::ReadCache>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<dyn TokenGenerator>,
    pub config: Arc<Config>,
    pub keys: Arc<crate::keys::KeyService>,
    pub mailer: Arc<crate::mail::Mailer>,
    /// Issue 13 item 3: the outbox or the operator's SMS webhook.
    pub sms: Arc<crate::sms::SmsSender>,
    /// One magic link email per second per address (Stytch).
    pub email_sends: Arc<crate::limits::SendLimiter>,
    /// Wrong user codes per client address on the device page (RFC 8628 §5.1).
    pub device_code_failures: Arc<crate::limits::FailureLimiter>,
    /// The hosted pages' templates, parsed once.
    pub templates: Arc<crate::ui::page::Templates>,
    /// Dynamic client registrations per address per hour (branch mcp).
    pub registrations: Arc<crate::oauth::register::RegistrationLimiter>,
    /// Client ID metadata documents and `jwks_uri` key sets: the guarded fetch and its cache.
    pub documents: crate::oauth::cimd::DocumentCache,
}

impl AppState {
    /// The project's effective RBAC policy: Stytch's defaults merged with the operator's policy
    /// (`latchkey rbac set`), spec §15.7. Cached for `cache_ttl_seconds`: a policy set by the
    /// CLI or another replica applies within that time.
    pub async fn effective_policy(
        &self,
        project_id: &str,
    ) -> Result<Arc<RbacPolicy>, latchkey_store::StoreError> {
        self.cache
            .policy(project_id, async {
                let custom = self.store.get_rbac_policy(project_id).await?;
                Ok(effective_policy(custom.as_ref()))
            })
            .await
    }

    /// The project's secret hashes (none: no such project), cached while it has some.
    pub async fn project_secrets(
        &self,
        project_id: &str,
    ) -> Result<Arc<Vec<latchkey_core::secret::SecretHash>>, latchkey_store::StoreError> {
        self.cache
            .project_secrets(project_id, self.store.project_secret_hashes(project_id))
            .await
    }
}

/// The role ids of a policy, as the member and organization rules take them.
pub fn role_ids(policy: &RbacPolicy) -> Vec<&str> {
    policy.roles.iter().map(|r| r.role_id.as_str()).collect()
}

/// The project served at project-less paths: `default_project_id` when configured, else the only
/// project in the database.
pub async fn default_project(state: &AppState) -> Result<String, crate::envelope::ApiFailure> {
    if let Some(p) = &state.config.default_project_id {
        return Ok(p.clone());
    }
    let only = state.cache.default_project(only_project(state)).await?;
    Ok(only.as_ref().clone())
}

async fn only_project(state: &AppState) -> Result<String, crate::envelope::ApiFailure> {
    let projects = state.store.list_projects().await?;
    match projects.as_slice() {
        [only] => Ok(only.project_id.clone()),
        [] => Err(latchkey_core::ApiError::new(
            404,
            "project_not_found",
            "This server holds no project yet: run `latchkey project create --name NAME` (or `latchkey demo` for a demo to sign in with).",
        )
        .into()),
        _ => Err(latchkey_core::ApiError::new(
            404,
            "project_not_found",
            "This server holds several projects: set LATCHKEY_DEFAULT_PROJECT_ID (or default_project_id) to choose the one served here.",
        )
        .into()),
    }
}
