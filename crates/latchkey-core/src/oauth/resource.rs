//! Resource servers: the APIs and MCP servers a project's access tokens can be bound to with
//! RFC 8707 resource indicators. This module owns the canonical resource URL (RFC 8707 §2,
//! RFC 9728 §3), the validation of a resource's settings, and (in [`target`]) the rules that
//! bind an authorization and its tokens to resources.
//!
//! Canonical form: an absolute `https` URI (or `http` on a loopback host, for development)
//! without fragment or user info; scheme and host lowercase, default port dropped (RFC 3986
//! §6.2.2 / §6.2.3, done by the `url` crate). An empty path and `/` are the same resource
//! (RFC 3986 §6.2.3) and are written without the slash, as the MCP authorization spec asks;
//! any other path is kept exactly, trailing slash included.

use latchkey_types::{ResourceScope, ResourceServer, ResourceServerSettings};

use super::scope::{BuiltinScope, Scope};
use crate::error::ApiError;

pub mod consent;
pub mod target;

pub use target::{resolve_targets, scope_results_for, token_target, TargetError, TokenTarget};

/// Longest resource URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// Most scopes a resource may list.
pub const MAX_SCOPES: usize = 100;
/// Longest name and scope description.
pub const MAX_TEXT_LEN: usize = 512;
/// Longest access-token lifetime a resource may set (one day, as for clients).
pub const MAX_EXPIRY_MINUTES: i64 = 24 * 60;

/// Why a resource URL is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceUrlError {
    #[error("the resource must be an absolute URI (RFC 8707 section 2)")]
    NotAbsolute,
    #[error("the resource must not contain a fragment (RFC 8707 section 2)")]
    Fragment,
    #[error("the resource must not contain user information")]
    UserInfo,
    #[error("the resource must use https (http only on a loopback host)")]
    Scheme,
    #[error("the resource URL is too long")]
    TooLong,
}

/// The canonical form of a resource URL (see the module header), or why it has none: what a
/// resource may be registered under.
pub fn canonical_url(raw: &str) -> Result<String, ResourceUrlError> {
    let (s, url) = normalize(raw)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ResourceUrlError::UserInfo);
    }
    match url.scheme() {
        "https" => Ok(s),
        "http" if is_loopback(&url) => Ok(s),
        _ => Err(ResourceUrlError::Scheme),
    }
}

/// A `resource` parameter in the same canonical form, checked only as RFC 8707 §2 asks
/// (absolute, no fragment): a project without resources accepts any such indicator, and one
/// that could never be registered simply matches no resource.
pub fn indicator_form(raw: &str) -> Result<String, ResourceUrlError> {
    normalize(raw).map(|(s, _)| s)
}

fn normalize(raw: &str) -> Result<(String, url::Url), ResourceUrlError> {
    if raw.len() > MAX_URL_LEN {
        return Err(ResourceUrlError::TooLong);
    }
    let url = url::Url::parse(raw).map_err(|_| ResourceUrlError::NotAbsolute)?;
    if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
        return Err(ResourceUrlError::NotAbsolute);
    }
    // `url` drops an empty fragment; RFC 8707 forbids the `#` itself.
    if url.fragment().is_some() || raw.contains('#') {
        return Err(ResourceUrlError::Fragment);
    }
    let mut s = url.to_string();
    if url.path() == "/" && url.query().is_none() {
        s.pop();
    }
    Ok((s, url))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl From<ResourceUrlError> for ApiError {
    fn from(e: ResourceUrlError) -> Self {
        ApiError::bad_request("invalid_resource_url", format!("url: {e}."))
    }
}

/// The 404 for an unknown resource id.
pub fn not_found() -> ApiError {
    ApiError::new(
        404,
        "resource_not_found",
        "The resource server requested could not be found.",
    )
}

/// A URL another resource of the project already has (400, like Stytch's `duplicate_*`).
pub fn duplicate_url() -> ApiError {
    ApiError::new(
        400,
        "duplicate_resource_url",
        "A resource server with this url already exists in the project.",
    )
}

/// Create: `url` and `name` are required; the id and timestamps come from the caller.
pub fn create(
    resource_id: String,
    req: &ResourceServerSettings,
    now: &str,
) -> Result<ResourceServer, ApiError> {
    let url = req
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::missing_field("url"))?;
    let name = req
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::missing_field("name"))?;
    let mut r = ResourceServer {
        resource_id,
        url: canonical_url(url)?,
        name: String::new(),
        scopes: Vec::new(),
        access_token_expiry_minutes: None,
        audience_includes_project_id: false,
        created_at: now.to_string(),
        updated_at: now.to_string(),
    };
    r.name = check_name(name)?;
    apply_optional(&mut r, req)?;
    Ok(r)
}

/// Update: absent fields are left unchanged; `access_token_expiry_minutes: 0` clears it.
pub fn update(
    r: &mut ResourceServer,
    req: &ResourceServerSettings,
    now: &str,
) -> Result<(), ApiError> {
    if let Some(u) = &req.url {
        r.url = canonical_url(u)?;
    }
    if let Some(n) = &req.name {
        r.name = check_name(n)?;
    }
    apply_optional(r, req)?;
    r.updated_at = now.to_string();
    Ok(())
}

fn apply_optional(r: &mut ResourceServer, req: &ResourceServerSettings) -> Result<(), ApiError> {
    if let Some(scopes) = &req.scopes {
        r.scopes = check_scopes(scopes)?;
    }
    if let Some(m) = req.access_token_expiry_minutes {
        if !(0..=MAX_EXPIRY_MINUTES).contains(&m) {
            return Err(ApiError::bad_request(
                "invalid_resource_access_token_expiry_minutes",
                format!("access_token_expiry_minutes must be between 1 and {MAX_EXPIRY_MINUTES} (0 clears it)."),
            ));
        }
        r.access_token_expiry_minutes = (m > 0).then_some(m);
    }
    if let Some(b) = req.audience_includes_project_id {
        r.audience_includes_project_id = b;
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_TEXT_LEN || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "name",
            "must be 1 to 512 characters without control characters.",
        ));
    }
    Ok(name.to_string())
}

/// Scopes: RFC 6749 §3.3 tokens, no duplicates, never a built-in (those are the
/// authorization server's own: ID token, userinfo, refresh tokens).
fn check_scopes(scopes: &[ResourceScope]) -> Result<Vec<ResourceScope>, ApiError> {
    if scopes.len() > MAX_SCOPES {
        return Err(ApiError::bad_request(
            "invalid_resource_scope",
            format!("A resource server may list at most {MAX_SCOPES} scopes."),
        ));
    }
    let mut out: Vec<ResourceScope> = Vec::with_capacity(scopes.len());
    for s in scopes {
        let bad = |why: &str| {
            ApiError::bad_request(
                "invalid_resource_scope",
                format!("scope {:?} {why}", s.scope),
            )
        };
        let scope = Scope::parse(&s.scope)
            .map_err(|_| bad("is not a valid scope token (RFC 6749 section 3.3)."))?;
        if BuiltinScope::parse(scope.as_str()).is_some() {
            return Err(bad(
                "is a built-in scope of the authorization server and cannot belong to a resource.",
            ));
        }
        if out.iter().any(|o| o.scope == s.scope) {
            return Err(bad("is listed twice."));
        }
        let description = s.description.trim();
        if description.len() > MAX_TEXT_LEN || description.chars().any(char::is_control) {
            return Err(bad(
                "has a description that is too long or contains control characters.",
            ));
        }
        out.push(ResourceScope {
            scope: s.scope.clone(),
            description: description.to_string(),
        });
    }
    Ok(out)
}

/// Whether the resource accepts `scope`.
pub fn accepts(r: &ResourceServer, scope: &str) -> bool {
    r.scopes.iter().any(|s| s.scope == scope)
}

#[cfg(test)]
mod tests;
