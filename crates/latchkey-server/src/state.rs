//! `AppState`: everything a handler needs, built once at start-up. No globals.

use std::sync::Arc;

use latchkey_core::clock::{Clock, TokenGenerator};
use latchkey_store::Store;

use crate::config::Config;

/// Shared by every request (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<dyn TokenGenerator>,
    pub config: Arc<Config>,
    pub keys: Arc<crate::keys::KeyService>,
    pub mailer: Arc<crate::mail::Mailer>,
    /// One magic link email per second per address (Stytch).
    pub email_sends: Arc<crate::limits::SendLimiter>,
}

impl AppState {
    /// Role ids that may be assigned to members of the project: Stytch's default roles.
    /// (Project-defined roles arrive with the RBAC policy.)
    pub fn known_roles(&self, _project_id: &str) -> Vec<&'static str> {
        vec![
            latchkey_core::member::MEMBER_ROLE,
            latchkey_core::member::ADMIN_ROLE,
        ]
    }
}

impl AppState {
    /// The project's RBAC policy: Stytch's defaults plus what the operator configured.
    pub async fn effective_policy(
        &self,
        _project_id: &str,
    ) -> Result<latchkey_core::oauth::RbacPolicy, crate::envelope::ApiFailure> {
        Ok(latchkey_core::oauth::default_policy())
    }
}

/// The project served at project-less paths: `default_project_id` when configured, else the only
/// project in the database.
pub async fn default_project(state: &AppState) -> Result<String, crate::envelope::ApiFailure> {
    if let Some(p) = &state.config.default_project_id {
        return Ok(p.clone());
    }
    let projects = state.store.list_projects().await?;
    match projects.as_slice() {
        [only] => Ok(only.project_id.clone()),
        _ => Err(latchkey_core::ApiError::new(
            404,
            "project_not_found",
            "This server holds several projects: set LATCHKEY_DEFAULT_PROJECT_ID (or default_project_id) to choose the one served here.",
        )
        .into()),
    }
}
