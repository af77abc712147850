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
