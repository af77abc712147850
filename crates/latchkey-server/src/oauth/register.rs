//! Dynamic Client Registration (RFC 7591) at Stytch's `POST /v1/oauth2/register` and
//! `/v1/public/{project_id}/oauth2/register` (Stytch §11.1), and RFC 7592 management of a
//! registration (`GET` / `PUT` / `DELETE` on its `registration_client_uri`, authorized by its
//! `registration_access_token`, stored hashed).
//!
//! Unauthenticated by design, so: the project must have it enabled
//! ([`super::registration_settings`]), registrations are rate-limited per address and capped per
//! project, identical public registrations return the existing client (Stytch), and clients
//! never used are removed by the maintenance loop. Errors use RFC 7591 §3.2.2's JSON.
//!
//! A deduplicated answer carries no `registration_access_token`: the token is only ever held
//! by the first registrant, so nobody can take over a client by repeating its metadata. An
//! RFC 7592 update takes the client out of deduplication (its metadata is no longer what
//! others registered).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::connected_app::{self, new_client_id};
use latchkey_core::oauth::registration::{
    AuthMethod, Registration, RegistrationError, CREATED_BY_DCR,
};
use latchkey_core::secret::SecretHash;
use latchkey_store::{NewConnectedApp, NewDynamicClient, RegistrationOutcome};
use latchkey_types::{ClientRegistrationRequest, ConnectedApp, ConnectedAppSettings};
use serde_json::{json, Value};

use super::registration_settings::{self, RegistrationSettings};
use crate::client_address::ClientAddress;
use crate::envelope::request_id;
use crate::state::AppState;

pub const REGISTER: &str = "/v1/oauth2/register";
pub const REGISTRATION: &str = "/v1/oauth2/register/{client_id}";
pub const LEGACY_REGISTER: &str = "/v1/public/{project_id}/oauth2/register";
pub const LEGACY_REGISTRATION: &str = "/v1/public/{project_id}/oauth2/register/{client_id}";

/// An RFC 7591 §3.2.2 / RFC 7592 error, with Stytch's `status_code` and `request_id`.
pub struct RegisterFailure {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn fail(
    status: StatusCode,
    error: &'static str,
    description: impl Into<String>,
) -> RegisterFailure {
    RegisterFailure {
        status,
        error,
        description: description.into(),
    }
}

impl From<RegistrationError> for RegisterFailure {
    fn from(e: RegistrationError) -> Self {
        fail(StatusCode::BAD_REQUEST, e.code, e.description)
    }
}

impl From<latchkey_store::StoreError> for RegisterFailure {
    fn from(e: latchkey_store::StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The server could not complete the request.",
        )
    }
}

impl IntoResponse for RegisterFailure {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.error,
            "error_description": self.description,
            "status_code": self.status.as_u16(),
            "request_id": request_id(),
        });
        let mut resp = json_response(self.status, body);
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 7592 §2 / RFC 6750 §3: the registration access token is a bearer token.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        resp
    }
}

fn json_response(status: StatusCode, mut body: Value) -> Response {
    if let Value::Object(m) = &mut body {
        m.entry("status_code").or_insert(status.as_u16().into());
        m.entry("request_id").or_insert(request_id().into());
    }
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        serde_json::to_vec(&body).unwrap_or_default(),
    )
        .into_response()
}

/// Registrations per (project, address) in the current hour. In memory: each replica counts
/// on its own, which bounds abuse well enough for an hourly limit.
#[derive(Debug, Default)]
pub struct RegistrationLimiter {
    hits: Mutex<HashMap<String, (i64, i64)>>,
}

impl RegistrationLimiter {
    fn allow(&self, key: String, now: i64, per_hour: i64) -> bool {
        let hour = now.div_euclid(3600);
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 10_000 {
            hits.retain(|_, (h, _)| *h == hour);
        }
        let entry = hits.entry(key).or_insert((hour, 0));
        if entry.0 != hour {
            *entry = (hour, 0);
        }
        if entry.1 >= per_hour {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// `POST /v1/oauth2/register`.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddress,
    body: Bytes,
) -> Result<Response, RegisterFailure> {
    let project_id = crate::state::default_project(&state)
        .await
        .map_err(|f| fail(StatusCode::NOT_FOUND, "invalid_request", f.0.message))?;
    let uri = format!("{}{REGISTER}", issuer(&state, &headers)?);
    create(&state, &project_id, addr, &body, &uri).await
}

/// `POST /v1/public/{project_id}/oauth2/register`.
pub async fn legacy_register(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddress,
    Path(project_id): Path<String>,
    body: Bytes,
) -> Result<Response, RegisterFailure> {
    known_project(&state, &project_id).await?;
    let uri = format!(
        "{}/v1/public/{project_id}/oauth2/register",
        issuer(&state, &headers)?
    );
    create(&state, &project_id, addr, &body, &uri).await
}

async fn known_project(state: &AppState, project_id: &str) -> Result<(), RegisterFailure> {
    if state.project_secrets(project_id).await?.is_empty() {
        return Err(fail(
            StatusCode::NOT_FOUND,
            "invalid_request",
            "Unknown project.",
        ));
    }
    Ok(())
}

fn parse_body(body: &Bytes) -> Result<ClientRegistrationRequest, RegisterFailure> {
    serde_json::from_slice(body).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!("The body must be a JSON object of client metadata (RFC 7591 §2): {e}"),
        )
    })
}

/// Registration: settings, rate limit, rules, then one store operation.
async fn create(
    state: &AppState,
    project_id: &str,
    addr: ClientAddress,
    body: &Bytes,
    base_uri: &str,
) -> Result<Response, RegisterFailure> {
    let settings = registration_settings::load(state.store.as_ref(), project_id).await?;
    if !settings.idp_dynamic_client_registration_enabled {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "dynamic_client_registration_not_enabled",
            "Dynamic client registration is not enabled for this project.",
        ));
    }
    let now = state.clock.now().unix_timestamp();
    let who = addr.0.map(|a| a.to_string()).unwrap_or_default();
    let per_hour = settings.dynamic_client_registration_per_address_per_hour;
    if !state
        .registrations
        .allow(format!("{project_id}|{who}"), now, per_hour)
    {
        return Err(fail(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many client registrations from this address; try again later.",
        ));
    }
    let reg = Registration::parse(&parse_body(body)?)?;
    check_jwks(&reg)?;
    let (new, secret) = new_client(state, project_id, &reg)?;
    let token = crate::api::idp::random_token(state);
    let outcome = state
        .store
        .register_dynamic_client(
            project_id,
            &NewDynamicClient {
                client: &new,
                registration_token_hash: SecretHash::of(&token),
                dedup_key: reg.dedup_key(),
                metadata: reg.metadata().to_string(),
                created_at: now,
                max_clients: settings.dynamic_client_registration_max_clients,
            },
        )
        .await?;
    let body = match outcome {
        RegistrationOutcome::Created => {
            let mut body = answer(&new.app, &reg.metadata(), now, base_uri);
            body["registration_access_token"] = token.into();
            if let Some(s) = secret {
                body["client_secret"] = s.into();
                body["client_secret_expires_at"] = 0.into();
            }
            body
        }
        RegistrationOutcome::Existing(found) => {
            let (app, row) = *found;
            let metadata = serde_json::from_str(&row.metadata).unwrap_or_else(|_| reg.metadata());
            let mut body = answer(&app, &metadata, row.created_at, base_uri);
            if let Value::Object(m) = &mut body {
                m.remove("registration_client_uri");
            }
            body
        }
        RegistrationOutcome::CapReached => {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "access_denied",
                "This project holds the maximum number of dynamically registered clients.",
            ))
        }
    };
    Ok(json_response(StatusCode::CREATED, body))
}

/// The Connected App a registration creates (`third_party_public` or `third_party`).
fn new_client(
    state: &AppState,
    project_id: &str,
    reg: &Registration,
) -> Result<(NewConnectedApp, Option<String>), RegisterFailure> {
    let created = connected_app::create(
        new_client_id(project_id, state.tokens.as_ref()),
        &ConnectedAppSettings {
            client_type: Some(reg.client_type().as_str().into()),
            ..Default::default()
        },
        state.tokens.as_ref(),
    )
    .map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            e.message,
        )
    })?;
    let mut app = created.app;
    apply(&mut app, reg);
    // A private_key_jwt client authenticates with its keys only: it gets no secret.
    let secret = created
        .secret
        .filter(|_| reg.auth_method != AuthMethod::PrivateKeyJwt);
    if secret.is_none() {
        app.client_secret_last_four = None;
    }
    let secret_hash = secret.as_ref().map(|s| s.hash());
    let secret = secret.as_ref().map(|s| s.expose_secret().to_string());
    Ok((NewConnectedApp { app, secret_hash }, secret))
}

/// Registered keys must parse the way assertions are checked.
fn check_jwks(reg: &Registration) -> Result<(), RegisterFailure> {
    match &reg.jwks {
        Some(j) => super::client_assertion::check_keys(j)
            .map_err(|why| fail(StatusCode::BAD_REQUEST, "invalid_client_metadata", why)),
        None => Ok(()),
    }
}

/// The auth method a stored registration was made with.
fn reg_method(metadata: &str) -> AuthMethod {
    let m: Value = serde_json::from_str(metadata).unwrap_or_default();
    match m["token_endpoint_auth_method"].as_str() {
        Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
        Some("client_secret_post") => AuthMethod::ClientSecretPost,
        Some("private_key_jwt") => AuthMethod::PrivateKeyJwt,
        _ => AuthMethod::None,
    }
}

/// The client settings a registration decides (the type never changes after creation).
fn apply(app: &mut ConnectedApp, reg: &Registration) {
    app.client_name = reg.client_name.clone();
    app.client_description =
        "Registered itself through dynamic client registration; not verified by this project."
            .into();
    app.redirect_urls = reg.redirect_uris.clone();
    app.logo_url = reg.logo_uri.clone();
    app.creation_method = CREATED_BY_DCR.into();
}

/// RFC 7591 §3.2.1 response members.
fn answer(app: &ConnectedApp, metadata: &Value, issued_at: i64, base_uri: &str) -> Value {
    let mut body = metadata.clone();
    body["client_id"] = app.client_id.clone().into();
    body["client_id_issued_at"] = issued_at.into();
    body["registration_client_uri"] = format!("{base_uri}/{}", app.client_id).into();
    body
}

/// The registration a bearer registration access token names (RFC 7592 §3).
async fn authorized(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    path_project: Option<&str>,
) -> Result<(ConnectedApp, latchkey_store::DynamicClient), RegisterFailure> {
    let denied = || {
        fail(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The registration access token is missing, invalid, or for another client.",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(denied)?;
    let (app, row) = state
        .store
        .dynamic_client_by_token(SecretHash::of(token).as_str())
        .await?
        .ok_or_else(denied)?;
    // The lookup is by hash; the id check keeps one client's token off another's URI.
    if app.client_id != client_id || path_project.is_some_and(|p| p != row.project_id) {
        return Err(denied());
    }
    Ok((app, row))
}

fn base(
    state: &AppState,
    headers: &HeaderMap,
    project: Option<&str>,
) -> Result<String, RegisterFailure> {
    let iss = issuer(state, headers)?;
    Ok(match project {
        Some(p) => format!("{iss}/v1/public/{p}/oauth2/register"),
        None => format!("{iss}{REGISTER}"),
    })
}

/// The issuer the registration URIs are built on: never from an untrusted `Host`.
fn issuer(state: &AppState, headers: &HeaderMap) -> Result<String, RegisterFailure> {
    crate::issuer::issuer(state, headers).map_err(|_| {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            crate::issuer::SET_ISSUER,
        )
    })
}

/// RFC 7592 §2.1: read the registration.
pub async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, RegisterFailure> {
    read_impl(&state, &headers, &client_id, None).await
}

pub async fn legacy_read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project_id, client_id)): Path<(String, String)>,
) -> Result<Response, RegisterFailure> {
    read_impl(&state, &headers, &client_id, Some(&project_id)).await
}

async fn read_impl(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    project: Option<&str>,
) -> Result<Response, RegisterFailure> {
    let (app, row) = authorized(state, headers, client_id, project).await?;
    let metadata: Value = serde_json::from_str(&row.metadata).unwrap_or_else(|_| json!({}));
    let body = answer(
        &app,
        &metadata,
        row.created_at,
        &base(state, headers, project)?,
    );
    Ok(json_response(StatusCode::OK, body))
}

/// RFC 7592 §2.2: replace the registration's metadata (the client type stays).
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Result<Response, RegisterFailure> {
    update_impl(&state, &headers, &client_id, None, &body).await
}

pub async fn legacy_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project_id, client_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, RegisterFailure> {
    update_impl(&state, &headers, &client_id, Some(&project_id), &body).await
}

async fn update_impl(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    project: Option<&str>,
    body: &Bytes,
) -> Result<Response, RegisterFailure> {
    let (mut app, row) = authorized(state, headers, client_id, project).await?;
    let req = parse_body(body)?;
    if req.client_id.as_deref() != Some(client_id) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "The body must repeat this registration's client_id (RFC 7592 §2.2).",
        ));
    }
    let reg = Registration::parse(&req)?;
    check_jwks(&reg)?;
    if reg.auth_method != reg_method(&row.metadata) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "token_endpoint_auth_method cannot change; register a new client instead.",
        ));
    }
    if reg.client_type().as_str() != app.client_type {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "token_endpoint_auth_method cannot change between none and a client secret; register a new client instead.",
        ));
    }
    apply(&mut app, &reg);
    let metadata = reg.metadata();
    if !state
        .store
        .update_dynamic_client(&app, &metadata.to_string(), None)
        .await?
    {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The client no longer exists.",
        ));
    }
    state.cache.forget_client(&row.project_id, &app.client_id);
    let body = answer(
        &app,
        &metadata,
        row.created_at,
        &base(state, headers, project)?,
    );
    Ok(json_response(StatusCode::OK, body))
}

/// RFC 7592 §2.3: delete the registration (and with it the client).
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, RegisterFailure> {
    delete_impl(&state, &headers, &client_id, None).await
}

pub async fn legacy_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project_id, client_id)): Path<(String, String)>,
) -> Result<Response, RegisterFailure> {
    delete_impl(&state, &headers, &client_id, Some(&project_id)).await
}

async fn delete_impl(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    project: Option<&str>,
) -> Result<Response, RegisterFailure> {
    let (app, row) = authorized(state, headers, client_id, project).await?;
    state
        .store
        .delete_connected_app(&row.project_id, &app.client_id)
        .await?;
    state.cache.forget_client(&row.project_id, &app.client_id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether discovery advertises `registration_endpoint` for the project.
pub async fn enabled(state: &AppState, project_id: &str) -> bool {
    registration_settings::load(state.store.as_ref(), project_id)
        .await
        .map(|s: RegistrationSettings| s.idp_dynamic_client_registration_enabled)
        .unwrap_or(false)
}
