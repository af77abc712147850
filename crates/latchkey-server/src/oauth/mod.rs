//! The OAuth 2.1 / OpenID Connect endpoints of the authorization server (Stytch Connected Apps
//! §6-§10), on both path families: the project domain's `/v1/oauth2/*` and the legacy
//! `/v1/public/{project_id}/oauth2/*`. Errors use the OAuth envelope ([`envelope`]).

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub mod cimd;
pub mod client_assertion;
pub mod client_credentials;
pub mod clients;
pub mod cors;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod envelope;
pub mod introspect;
pub mod jwt_bearer;
pub mod logout;
pub mod m2m_token;
pub mod register;
pub mod registration_settings;
pub mod revoke;
pub mod token;
pub mod token_exchange;
pub mod tokens;
pub mod userinfo;
pub mod well_known;

/// Route paths, shared by the router and the discovery document.
pub mod paths {
    pub const AUTHORIZE_PAGE: &str = "/oauth2/authorize";
    pub const TOKEN: &str = "/v1/oauth2/token";
    pub const USERINFO: &str = "/v1/oauth2/userinfo";
    pub const INTROSPECT: &str = "/v1/oauth2/introspect";
    pub const REVOKE: &str = "/v1/oauth2/revoke";
    pub const LEGACY_TOKEN: &str = "/v1/public/{project_id}/oauth2/token";
    pub const LEGACY_USERINFO: &str = "/v1/public/{project_id}/oauth2/userinfo";
    pub const LEGACY_INTROSPECT: &str = "/v1/public/{project_id}/oauth2/introspect";
    pub const LEGACY_REVOKE: &str = "/v1/public/{project_id}/oauth2/revoke";
    /// RFC 8628 §3.1.
    pub const DEVICE_AUTHORIZATION: &str = "/v1/oauth2/device_authorization";
    pub const LEGACY_DEVICE_AUTHORIZATION: &str =
        "/v1/public/{project_id}/oauth2/device_authorization";
    /// RFC 8628 §3.3: where the member types the user code (a hosted page, `ui::device`).
    pub const DEVICE_PAGE: &str = "/oauth2/device";
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
    pub const LEGACY_OPENID_CONFIGURATION: &str =
        "/v1/public/{project_id}/.well-known/openid-configuration";
}

pub fn router() -> Router<AppState> {
    use paths::*;
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            // RFC 9449 §4.1: browser clients send their proofs in this header.
            axum::http::HeaderName::from_static("dpop"),
        ]);
    Router::new()
        .route(TOKEN, post(token::token))
        .route(LEGACY_TOKEN, post(token::legacy_token))
        .route(DEVICE_AUTHORIZATION, post(device::authorize))
        .route(LEGACY_DEVICE_AUTHORIZATION, post(device::legacy_authorize))
        .route(INTROSPECT, post(introspect::introspect))
        .route(LEGACY_INTROSPECT, post(introspect::legacy_introspect))
        .route(REVOKE, post(revoke::revoke))
        .route(LEGACY_REVOKE, post(revoke::legacy_revoke))
        .route(USERINFO, get(userinfo::userinfo).post(userinfo::userinfo))
        .route(
            LEGACY_USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(OPENID_CONFIGURATION, get(discovery::openid_configuration))
        .route(
            OAUTH_AUTHORIZATION_SERVER,
            get(discovery::oauth_authorization_server),
        )
        .route(
            LEGACY_OPENID_CONFIGURATION,
            get(discovery::project_openid_configuration),
        )
        // Branch mcp (issue 10): registration, more discovery paths.
        .route(register::REGISTER, post(register::register))
        .route(register::LEGACY_REGISTER, post(register::legacy_register))
        .route(
            register::REGISTRATION,
            get(register::read)
                .put(register::update)
                .delete(register::delete),
        )
        .route(
            register::LEGACY_REGISTRATION,
            get(register::legacy_read)
                .put(register::legacy_update)
                .delete(register::legacy_delete),
        )
        .route(
            "/.well-known/oauth-authorization-server/{*rest}",
            get(well_known::inserted_oauth_authorization_server),
        )
        .route(
            "/.well-known/openid-configuration/{*rest}",
            get(well_known::inserted_openid_configuration),
        )
        .route(
            "/v1/public/{project_id}/.well-known/oauth-authorization-server",
            get(well_known::project_oauth_authorization_server),
        )
        .layer(cors)
}
