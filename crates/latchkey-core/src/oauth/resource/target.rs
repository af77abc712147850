//! Binding an authorization and its tokens to resource servers (RFC 8707 §2.1, §2.2).
//!
//! - At authorization ([`resolve_targets`]): every `resource` must be a registered resource
//!   of the project, once the project has any (a project without resources keeps Stytch's
//!   behaviour: the indicator binds nothing). Several may be authorized together.
//! - Scopes ([`scope_results_for`]): a custom scope goes to the requested resources that
//!   accept it; one that none of them accepts (whether or not the RBAC policy or another
//!   resource defines it) is narrowed away: not grantable, never an error. A scope a
//!   resource lists but the RBAC policy does not define is the resource's own: any member may
//!   grant it. Built-in scopes belong to the authorization server and go to no resource.
//! - At the token endpoint ([`token_target`]): the request names some of the granted
//!   resources (down-scoping) or none (then all of them); the access token's `aud` is their
//!   URLs (plus the project id when one opts in), its scopes those the named resources accept
//!   plus the built-ins, its lifetime the shortest one they set.

use latchkey_types::ResourceServer;

use super::{accepts, indicator_form, ResourceUrlError};
use crate::oauth::grant::Grant;
use crate::oauth::rbac::{GrantingClient, MemberPermissions, RbacPolicy, ScopeResult};
use crate::oauth::scope::{BuiltinScope, ScopeError, ScopeSet};
use crate::oauth::OAuthError;
use crate::ApiError;

/// Why a `resource` cannot be served (all `invalid_target`, RFC 8707 §2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("resource {0:?} is malformed: {1}")]
    Malformed(String, ResourceUrlError),
    #[error("resource {0:?} is not a resource server registered in this project")]
    Unknown(String),
    #[error("resource {0:?} was not part of this authorization")]
    NotGranted(String),
}

impl TargetError {
    pub fn to_oauth(&self) -> OAuthError {
        OAuthError::invalid_target(self.to_string())
    }
}

impl From<TargetError> for OAuthError {
    fn from(e: TargetError) -> Self {
        e.to_oauth()
    }
}

impl From<TargetError> for ApiError {
    fn from(e: TargetError) -> Self {
        ApiError::bad_request("invalid_target", e.to_string())
    }
}

/// The registered resources an authorization request names, in request order without
/// duplicates. Empty when nothing is requested or the project has no resources at all.
/// `registered` is every resource of the project (it is only loaded when `requested` is not
/// empty, so projects that never send `resource` pay nothing).
pub fn resolve_targets(
    requested: &[String],
    registered: &[ResourceServer],
) -> Result<Vec<ResourceServer>, TargetError> {
    let mut out: Vec<ResourceServer> = Vec::new();
    for raw in requested {
        let url = indicator_form(raw).map_err(|e| TargetError::Malformed(raw.clone(), e))?;
        if registered.is_empty() {
            continue;
        }
        let r = registered
            .iter()
            .find(|r| r.url == url)
            .ok_or_else(|| TargetError::Unknown(raw.clone()))?;
        if !out.iter().any(|o| o.url == r.url) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// `scope_results` of a request for `targets` (see the module header). Without targets this
/// is exactly [`RbacPolicy::resolve_scopes`].
pub fn scope_results_for(
    policy: &RbacPolicy,
    requested: &ScopeSet,
    client: GrantingClient,
    member: &MemberPermissions,
    targets: &[ResourceServer],
) -> Result<Vec<ScopeResult>, ScopeError> {
    if targets.is_empty() {
        return policy.resolve_scopes(requested, client, member);
    }
    if requested.is_empty() {
        return Err(ScopeError::Empty);
    }
    let mut out = Vec::with_capacity(requested.len());
    for scope in requested.iter() {
        if scope.builtin().is_some() {
            out.push(policy.describe(scope, client, member)?);
            continue;
        }
        let to: Vec<&ResourceServer> = targets
            .iter()
            .filter(|r| accepts(r, scope.as_str()))
            .collect();
        let own_description = to
            .iter()
            .flat_map(|r| r.scopes.iter())
            .find(|s| s.scope == scope.as_str() && !s.description.is_empty())
            .map(|s| s.description.clone());
        let result = match (policy.scope(scope.as_str()), to.is_empty()) {
            // An RBAC scope: the member must hold its permissions, and a resource must take it.
            (Some(_), _) => {
                let mut r = policy.describe(scope, client, member)?;
                r.is_grantable &= !to.is_empty();
                if let Some(d) = own_description {
                    r.description = d;
                }
                r
            }
            // The resource's own scope.
            (None, false) => ScopeResult {
                scope: scope.clone(),
                description: own_description.unwrap_or_else(|| scope.as_str().to_string()),
                is_grantable: true,
                resources: Vec::new(),
            },
            // Not for any requested resource: narrowed away, shown as not grantable.
            (None, true) => ScopeResult {
                scope: scope.clone(),
                description: scope.as_str().to_string(),
                is_grantable: false,
                resources: Vec::new(),
            },
        };
        out.push(ScopeResult {
            resources: to.iter().map(|r| r.url.clone()).collect(),
            ..result
        });
    }
    Ok(out)
}

/// What one access token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTarget {
    /// Resource URLs, for `aud`.
    pub resources: Vec<String>,
    /// Whether the project id joins them in `aud`.
    pub include_project: bool,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// The shortest lifetime the resources set, if any did.
    pub expiry_minutes: Option<i64>,
}

impl TokenTarget {
    /// `aud`: the resources, then the project id when a resource asked for it.
    pub fn audience(&self, project_id: &str) -> Vec<String> {
        let mut aud = self.resources.clone();
        if self.include_project {
            aud.push(project_id.to_string());
        }
        aud
    }
}

/// The binding of an access token minted from `grant` (code redemption or refresh).
/// `requested` is the token request's `resource` values; `registered` the project's resources
/// (needed only when the grant has resources or the request names one); `scopes` the grant's
/// scopes after any `scope` narrowing. `None`: not bound, `aud` stays the project id.
pub fn token_target(
    grant: &Grant,
    requested: &[String],
    registered: &[ResourceServer],
    scopes: &[String],
) -> Result<Option<TokenTarget>, TargetError> {
    let mut named = Vec::with_capacity(requested.len());
    for raw in requested {
        let url = indicator_form(raw).map_err(|e| TargetError::Malformed(raw.clone(), e))?;
        if !grant.resources.contains(&url) {
            // A project without resources ignores indicators, as at authorization.
            if grant.resources.is_empty() && registered.is_empty() {
                continue;
            }
            return Err(TargetError::NotGranted(raw.clone()));
        }
        if !named.contains(&url) {
            named.push(url);
        }
    }
    if grant.resources.is_empty() {
        return Ok(None);
    }
    if named.is_empty() {
        named = grant.resources.clone();
    }
    let mut targets = Vec::with_capacity(named.len());
    for url in &named {
        // Deleted since the authorization: nothing may be minted for it any more.
        let r = registered
            .iter()
            .find(|r| &r.url == url)
            .ok_or_else(|| TargetError::Unknown(url.clone()))?;
        targets.push(r);
    }
    let scopes = scopes
        .iter()
        .filter(|s| BuiltinScope::parse(s).is_some() || targets.iter().any(|r| accepts(r, s)))
        .cloned()
        .collect();
    Ok(Some(TokenTarget {
        resources: named,
        include_project: targets.iter().any(|r| r.audience_includes_project_id),
        scopes,
        expiry_minutes: targets
            .iter()
            .filter_map(|r| r.access_token_expiry_minutes)
            .min(),
    }))
}
