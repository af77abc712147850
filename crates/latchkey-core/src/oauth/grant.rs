//! A grant: what a member authorized a client to do, carried by the authorization code and by
//! every token derived from it. `grant_id` names the family (code, refresh tokens, access
//! tokens) so that code reuse, refresh-token reuse and consent revocation can revoke it whole.

use serde::{Deserialize, Serialize};

use super::scope::{BuiltinScope, ScopeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub project_id: String,
    pub client_id: String,
    pub member_id: String,
    pub organization_id: String,
    /// The member session the authorization was made from (needed for access-token exchange).
    pub member_session_id: Option<String>,
    /// Granted scopes, space-joined order preserved.
    pub scopes: Vec<String>,
    /// OIDC `nonce` from the authorization request, echoed in the ID token.
    pub nonce: Option<String>,
    /// When the member authenticated (OIDC `auth_time`).
    pub auth_time: i64,
    /// RFC 8707 resource indicators from the authorization request.
    pub resources: Vec<String>,
}

impl Grant {
    pub fn scope_set(&self) -> ScopeSet {
        ScopeSet::from_list(self.scopes.iter()).unwrap_or_default()
    }

    pub fn has(&self, scope: BuiltinScope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }

    /// The `scope` string of token responses and claims.
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }
}
