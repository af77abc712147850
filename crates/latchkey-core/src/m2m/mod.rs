//! Stytch M2M clients (https://stytch.com/docs/b2b/api/m2m-client): the create and update rules
//! of `/v1/m2m/clients`, search filters, secret checks, and the `client_credentials` grant
//! (RFC 6749 §4.4) they use: which scopes a token gets, and the access token's claims
//! (https://stytch.com/docs/b2b/api/m2m-token: `sub` = the client id, `scope`, `aud` = [project
//! id], one hour by default).
//!
//! Secrets follow the Connected Apps rules ([`crate::connected_app::secrets`]): shown once,
//! stored as SHA-256 hashes, and during a rotation both the current and the next secret work.

use latchkey_types::{M2MClient, M2MClientCreateRequest, M2MClientUpdateRequest};
use serde_json::{json, Map, Value};

use crate::clock::TokenGenerator;
use crate::connected_app::{generate_secret, RotationError};
use crate::ids::{make_id, Environment};
use crate::oauth::{OAuthError, OAuthErrorCode};
use crate::secret::{Secret, SecretHash};
use crate::ApiError;

pub use crate::search::M2MFilter;
use crate::search::{Operator, Search};

/// Lifetime of an M2M access token (Stytch: "valid for one hour after issuance").
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_INACTIVE: &str = "inactive";
/// Longest `client_name` / `client_description`, in characters.
pub const MAX_NAME_LEN: usize = 256;
pub const MAX_DESCRIPTION_LEN: usize = 4096;
/// Most scopes per client, and the longest scope.
pub const MAX_SCOPES: usize = 100;
pub const MAX_SCOPE_LEN: usize = 256;
/// Longest imported `client_id`; shortest imported `client_secret` (the secret is hashed with
/// a fast hash, so it must carry enough entropy on its own).
pub const MAX_CLIENT_ID_LEN: usize = 128;
pub const MIN_IMPORTED_SECRET_LEN: usize = 32;
/// Largest `trusted_metadata`, serialized.
pub const MAX_METADATA_BYTES: usize = 4096;
/// Claims `trusted_metadata` may not set in a token: RFC 7519 §4.1, `scope`, and those other
/// verifiers read (`client_id`, `azp`, RFC 8693 `act`, RFC 7800 `cnf`).
const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "scope",
    "client_id",
    "azp",
    "act",
    "cnf",
];

/// A new client and its secret in the clear, to be shown once.
#[derive(Debug)]
pub struct NewM2MClient {
    pub client: M2MClient,
    pub secret: Secret,
}

/// The 404 for an unknown `client_id`.
pub fn not_found() -> ApiError {
    ApiError::new(
        404,
        "m2m_client_not_found",
        "The M2M client requested could not be found.",
    )
}

/// The 400 for a `client_id` already taken by another client.
pub fn duplicate_client_id() -> ApiError {
    ApiError::bad_request(
        "duplicate_m2m_client_id",
        "A client with this client_id already exists.",
    )
}

/// A rotation refused in the client's state, in M2M wording.
pub fn rotation_error(e: RotationError) -> ApiError {
    match e {
        RotationError::AlreadyRotating => ApiError::bad_request(
            "m2m_client_already_rotating_secret",
            "This M2M client is already rotating its secret; complete or cancel that rotation first.",
        ),
        _ => ApiError::bad_request(
            "m2m_client_not_rotating_secret",
            "This M2M client is not rotating its secret; start a rotation first.",
        ),
    }
}

/// `m2m-client-{env}-{uuid}` (Stytch's ids, spec §1.3).
pub fn new_client_id(project_id: &str, tokens: &dyn TokenGenerator) -> String {
    make_id(
        "m2m-client",
        Environment::of_project(project_id),
        tokens.uuid(),
    )
}

/// Create M2M Client: `scopes` is required; a `client_id` and `client_secret` may be imported,
/// else they are generated.
pub fn create(
    project_id: &str,
    req: &M2MClientCreateRequest,
    tokens: &dyn TokenGenerator,
) -> Result<NewM2MClient, ApiError> {
    let scopes = req
        .scopes
        .as_deref()
        .ok_or_else(|| ApiError::missing_field("scopes"))?;
    let client_id = match req.client_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => imported_client_id(id)?,
        None => new_client_id(project_id, tokens),
    };
    let secret = match req.client_secret.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => imported_secret(s)?,
        None => generate_secret(tokens),
    };
    let mut client = M2MClient {
        client_id,
        client_name: String::new(),
        client_description: String::new(),
        status: STATUS_ACTIVE.into(),
        scopes: validate_scopes(scopes)?,
        client_secret_last_four: secret.last_four(),
        trusted_metadata: Map::new(),
        next_client_secret_last_four: None,
    };
    apply_text(
        &mut client,
        req.client_name.as_deref(),
        req.client_description.as_deref(),
    )?;
    if let Some(m) = &req.trusted_metadata {
        client.trusted_metadata = metadata(m)?;
    }
    Ok(NewM2MClient { client, secret })
}

/// Update M2M Client: absent fields are left unchanged; id and secrets never change here.
pub fn update(client: &mut M2MClient, req: &M2MClientUpdateRequest) -> Result<(), ApiError> {
    apply_text(
        client,
        req.client_name.as_deref(),
        req.client_description.as_deref(),
    )?;
    if let Some(s) = &req.status {
        client.status = crate::validate::one_of("status", s, &[STATUS_ACTIVE, STATUS_INACTIVE])?;
    }
    if let Some(s) = &req.scopes {
        client.scopes = validate_scopes(s)?;
    }
    if let Some(m) = &req.trusted_metadata {
        client.trusted_metadata = metadata(m)?;
    }
    Ok(())
}

fn apply_text(
    client: &mut M2MClient,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(v) = name {
        client.client_name = text("client_name", v, MAX_NAME_LEN)?;
    }
    if let Some(v) = description {
        client.client_description = text("client_description", v, MAX_DESCRIPTION_LEN)?;
    }
    Ok(())
}

fn text(field: &str, v: &str, max: usize) -> Result<String, ApiError> {
    if v.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            &format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// RFC 6749 §3.3 scope tokens: printable ASCII without space, `"` or `\`. Duplicates are dropped,
/// order kept.
pub fn validate_scopes(scopes: &[String]) -> Result<Vec<String>, ApiError> {
    if scopes.len() > MAX_SCOPES {
        return Err(ApiError::invalid_field(
            "scopes",
            &format!("may hold at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for s in scopes {
        let ok = !s.is_empty()
            && s.len() <= MAX_SCOPE_LEN
            && s.bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if !ok {
            return Err(ApiError::bad_request(
                "invalid_scope",
                format!("scope {s:?} is not a valid scope token (RFC 6749 §3.3)."),
            ));
        }
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    Ok(out)
}

/// An imported `client_id`: letters, digits, `-`, `_`, `.`; not shaped like another kind of id.
fn imported_client_id(id: &str) -> Result<String, ApiError> {
    let ok = id.len() <= MAX_CLIENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !id.starts_with("connected-app-")
        && !id.starts_with("project-");
    if ok {
        Ok(id.to_string())
    } else {
        Err(ApiError::invalid_field(
            "client_id",
            &format!("must be at most {MAX_CLIENT_ID_LEN} letters, digits, '-', '_' or '.', and not start with connected-app- or project-"),
        ))
    }
}

fn imported_secret(s: &str) -> Result<Secret, ApiError> {
    if s.chars().count() < MIN_IMPORTED_SECRET_LEN || s.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "client_secret",
            &format!(
                "must be at least {MIN_IMPORTED_SECRET_LEN} characters without control characters"
            ),
        ));
    }
    Ok(Secret::from_presented(s))
}

/// `trusted_metadata`: a JSON object (null clears it), at most [`MAX_METADATA_BYTES`].
fn metadata(v: &Value) -> Result<Map<String, Value>, ApiError> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(m) if v.to_string().len() <= MAX_METADATA_BYTES => Ok(m.clone()),
        Value::Object(_) => Err(ApiError::invalid_field(
            "trusted_metadata",
            &format!("must be at most {MAX_METADATA_BYTES} bytes"),
        )),
        _ => Err(ApiError::invalid_field(
            "trusted_metadata",
            "must be a JSON object",
        )),
    }
}

/// What the token endpoint knows about an M2M client.
#[derive(Debug, Clone)]
pub struct M2MCredentials {
    pub project_id: String,
    pub client: M2MClient,
    pub secret_hash: SecretHash,
    pub next_secret_hash: Option<SecretHash>,
}

/// Authenticates an M2M client (RFC 6749 §2.3.1): the secret must match the current one or,
/// during a rotation, the next one. Both hashes are compared in constant time, always.
pub fn authenticate(creds: &M2MCredentials, presented: Option<&str>) -> Result<(), OAuthError> {
    let secret = presented.filter(|s| !s.is_empty()).ok_or_else(|| {
        OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "client authentication is required for this client",
        )
    })?;
    let current = creds.secret_hash.matches(secret);
    let next = creds
        .next_secret_hash
        .as_ref()
        .is_some_and(|h| h.matches(secret));
    // `|`, not `||`: both comparisons always run.
    if current | next {
        Ok(())
    } else {
        Err(OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "the client secret is not valid",
        ))
    }
}

/// The scopes of a `client_credentials` token (RFC 6749 §4.4.2, §3.3): none requested means every
/// scope of the client; otherwise each requested scope must be one the client was created with.
/// An inactive client gets nothing (Stytch: "A deactivated M2M Client will not be allowed to
/// perform future token exchange flows").
pub fn token_scopes(
    client: &M2MClient,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    if client.status != STATUS_ACTIVE {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "This M2M client is inactive.",
        ));
    }
    let Some(req) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(client.scopes.clone());
    };
    let mut out: Vec<String> = Vec::new();
    for s in req.split(' ').filter(|s| !s.is_empty()) {
        if !client.scopes.iter().any(|c| c == s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {s:?} is not assigned to this client."
            )));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// The per-token facts of an M2M access token.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    pub issuer: &'a str,
    pub project_id: &'a str,
    pub jti: &'a str,
    pub now: i64,
}

/// The access token's claims (Stytch's M2M token: `iss`, `sub` = client id, `aud` = [project
/// id], `scope`, `iat`, `nbf`, `exp`, `jti`). Custom claims: each top-level key of the client's
/// `trusted_metadata`, except registered claims and `https://stytch.com/` ones (latchkey's
/// stand-in for Stytch's project-level M2M custom claims template; docs/m2m.md).
pub fn access_token_claims(client: &M2MClient, scopes: &[String], f: &TokenFacts<'_>) -> Value {
    let mut claims: Map<String, Value> = client
        .trusted_metadata
        .iter()
        .filter(|(k, _)| {
            !RESERVED_CLAIMS.contains(&k.as_str()) && !k.starts_with("https://stytch.com/")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let fixed = json!({
        "iss": f.issuer,
        "sub": client.client_id,
        "aud": [f.project_id],
        "scope": scopes.join(" "),
        "iat": f.now,
        "nbf": f.now,
        "exp": f.now + TOKEN_LIFETIME_SECS,
        "jti": f.jti,
    });
    if let Value::Object(m) = fixed {
        claims.extend(m);
    }
    Value::Object(claims)
}

/// Whether a client matches a search (Stytch Search M2M Clients: `client_id`, `client_name`
/// exact, `scopes`: a client assigned any of the listed scopes). No filters match everything.
pub fn matches(client: &M2MClient, q: &Search<M2MFilter>) -> bool {
    let one = |f: &M2MFilter| match f {
        M2MFilter::ClientIds(v) => v.contains(&client.client_id),
        M2MFilter::ClientNames(v) => v.contains(&client.client_name),
        M2MFilter::Scopes(v) => v.iter().any(|s| client.scopes.contains(s)),
    };
    match q.operator {
        Operator::And => q.filters.iter().all(one),
        Operator::Or => q.filters.is_empty() || q.filters.iter().any(one),
    }
}

#[cfg(test)]
mod tests;
