//! The trusted identity assertion issuers of an organization (issue 14 items 3 and 7): the
//! rules shared by `/v1/b2b/organizations/{organization_id}/identity_assertion_issuers` and
//! `latchkey identity-assertion-issuer`. An issuer is an exact `iss` string and a JWK set URL
//! (https, or http on a loopback host for tests and local IdPs); at most one organization of a
//! project trusts a given issuer (the store's unique constraint), since an ID-JAG names no
//! organization.

use latchkey_types::{IdentityAssertionIssuer, IdentityAssertionIssuerSettings};

use crate::ApiError;

/// The one subject mapping until SSO connections exist.
pub const SUBJECT_EXTERNAL_ID: &str = "external_id";
/// Most `allowed_client_ids`.
pub const MAX_CLIENTS: usize = 100;
const MAX_URL_LEN: usize = 2048;
const MAX_CLIENT_ID_LEN: usize = 2048;

pub fn not_found() -> ApiError {
    ApiError::new(
        404,
        "identity_assertion_issuer_not_found",
        "No identity assertion issuer with this id exists in the organization.",
    )
}

pub fn duplicate_issuer() -> ApiError {
    ApiError::bad_request(
        "duplicate_identity_assertion_issuer",
        "An organization of this project already trusts this issuer.",
    )
}

/// An `iss` or `jwks_url`: an absolute https URL without fragment (OIDC Discovery §3), or
/// http on a loopback host.
fn url_field(field: &str, raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.is_empty() || v.len() > MAX_URL_LEN {
        return Err(ApiError::invalid_field(
            field,
            "must be a URL of at most 2048 characters",
        ));
    }
    let u = url::Url::parse(v).map_err(|_| ApiError::invalid_field(field, "must be a URL"))?;
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let ok_scheme = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    if !ok_scheme || u.fragment().is_some() || u.host_str().is_none() {
        return Err(ApiError::invalid_field(
            field,
            "must be an https URL (http only on a loopback host), without a fragment",
        ));
    }
    Ok(v.to_string())
}

fn client_ids(ids: &[String]) -> Result<Vec<String>, ApiError> {
    if ids.len() > MAX_CLIENTS {
        return Err(ApiError::invalid_field(
            "allowed_client_ids",
            &format!("may hold at most {MAX_CLIENTS} client ids"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.len() > MAX_CLIENT_ID_LEN {
            return Err(ApiError::invalid_field(
                "allowed_client_ids",
                "must hold non-empty client ids",
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    Ok(out)
}

fn subject_mapping(raw: &str) -> Result<String, ApiError> {
    if raw != SUBJECT_EXTERNAL_ID {
        return Err(ApiError::bad_request(
            "invalid_subject_mapping",
            "subject_mapping must be external_id (the member's external_id equals the assertion's sub); \
             an email address alone never identifies a member.",
        ));
    }
    Ok(raw.to_string())
}

/// A new issuer for `organization_id`; `issuer` and `jwks_url` are required.
pub fn create(
    issuer_id: String,
    organization_id: &str,
    req: &IdentityAssertionIssuerSettings,
    now: &str,
) -> Result<IdentityAssertionIssuer, ApiError> {
    let issuer = req
        .issuer
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("issuer"))?;
    let jwks_url = req
        .jwks_url
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("jwks_url"))?;
    let mut out = IdentityAssertionIssuer {
        issuer_id,
        organization_id: organization_id.to_string(),
        issuer: url_field("issuer", issuer)?,
        jwks_url: url_field("jwks_url", jwks_url)?,
        allowed_client_ids: vec![],
        subject_mapping: SUBJECT_EXTERNAL_ID.into(),
        created_at: now.to_string(),
        updated_at: now.to_string(),
    };
    apply_rest(&mut out, req)?;
    Ok(out)
}

/// Update: absent fields are left unchanged.
pub fn update(
    current: &mut IdentityAssertionIssuer,
    req: &IdentityAssertionIssuerSettings,
    now: &str,
) -> Result<(), ApiError> {
    if let Some(v) = &req.issuer {
        current.issuer = url_field("issuer", v)?;
    }
    if let Some(v) = &req.jwks_url {
        current.jwks_url = url_field("jwks_url", v)?;
    }
    apply_rest(current, req)?;
    current.updated_at = now.to_string();
    Ok(())
}

fn apply_rest(
    out: &mut IdentityAssertionIssuer,
    req: &IdentityAssertionIssuerSettings,
) -> Result<(), ApiError> {
    if let Some(v) = &req.allowed_client_ids {
        out.allowed_client_ids = client_ids(v)?;
    }
    if let Some(v) = &req.subject_mapping {
        out.subject_mapping = subject_mapping(v)?;
    }
    Ok(())
}
