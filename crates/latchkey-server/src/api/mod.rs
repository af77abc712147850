//! Stytch's B2B management API, one file per Stytch resource group, all behind project Basic
//! auth ([`auth::Project`]).

use axum::routing::{get, post, put};
use axum::Router;

use crate::state::AppState;

pub mod agents;
pub mod approvals;
pub mod auth;
pub mod connected_apps;
pub mod consents;
pub mod events;
pub mod identity_assertion_issuers;
pub mod idp;
pub mod m2m;
pub mod magic_links;
pub mod member_auth;
pub mod members;
pub mod organizations;
pub mod otps;
pub mod otps_sms;
pub mod password_failure;
pub mod password_reset;
pub(crate) mod password_reset_mail;
pub mod passwords;
pub mod rbac;
pub mod recovery_codes;
pub mod resources;
pub mod sdk_origins;
pub mod sessions;
pub mod totp;

/// Route paths, shared by the router and documentation.
pub mod paths {
    pub const ORGANIZATIONS: &str = "/v1/b2b/organizations";
    pub const ORGANIZATION: &str = "/v1/b2b/organizations/{organization_id}";
    pub const ORGANIZATIONS_SEARCH: &str = "/v1/b2b/organizations/search";
    pub const ORGANIZATION_METRICS: &str = "/v1/b2b/organizations/{organization_id}/metrics";
    pub const ORGANIZATION_EXTERNAL_ID: &str =
        "/v1/b2b/organizations/{organization_id}/external_id";
    pub const MEMBERS: &str = "/v1/b2b/organizations/{organization_id}/members";
    pub const MEMBER_GET: &str = "/v1/b2b/organizations/{organization_id}/member";
    pub const MEMBER: &str = "/v1/b2b/organizations/{organization_id}/members/{member_id}";
    pub const MEMBER_REACTIVATE: &str =
        "/v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate";
    pub const MEMBER_EXTERNAL_ID: &str =
        "/v1/b2b/organizations/{organization_id}/members/{member_id}/external_id";
    pub const MEMBERS_SEARCH: &str = "/v1/b2b/organizations/members/search";
    pub const MEMBER_DANGEROUSLY_GET: &str =
        "/v1/b2b/organizations/members/dangerously_get/{member_id}";
    pub const SESSIONS: &str = "/v1/b2b/sessions";
    pub const SESSIONS_AUTHENTICATE: &str = "/v1/b2b/sessions/authenticate";
    pub const SESSIONS_REVOKE: &str = "/v1/b2b/sessions/revoke";
    pub const SESSIONS_EXCHANGE: &str = "/v1/b2b/sessions/exchange";
    pub const SESSIONS_JWKS: &str = "/v1/b2b/sessions/jwks/{project_id}";
    pub const PASSWORDS_AUTHENTICATE: &str = "/v1/b2b/passwords/authenticate";
    pub const PASSWORDS_MIGRATE: &str = "/v1/b2b/passwords/migrate";
    pub const PASSWORDS_STRENGTH_CHECK: &str = "/v1/b2b/passwords/strength_check";
    pub const PASSWORDS_EMAIL_RESET_START: &str = "/v1/b2b/passwords/email/reset/start";
    pub const PASSWORDS_EMAIL_RESET: &str = "/v1/b2b/passwords/email/reset";
    pub const PASSWORDS_REQUIRE_RESET: &str = "/v1/b2b/passwords/email/require_reset";
    pub const PASSWORDS_SESSION_RESET: &str = "/v1/b2b/passwords/session/reset";
    pub const PASSWORDS_EXISTING_RESET: &str = "/v1/b2b/passwords/existing_password/reset";
    pub const WELL_KNOWN_JWKS: &str = "/.well-known/jwks.json";
    pub const MEMBER_CONNECTED_APPS: &str =
        "/v1/b2b/organizations/{organization_id}/members/{member_id}/connected_apps";
    pub const MEMBER_CONNECTED_APP_REVOKE: &str =
        "/v1/b2b/organizations/{organization_id}/members/{member_id}/connected_apps/{connected_app_id}/revoke";
    pub const ORGANIZATION_CONNECTED_APPS: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps";
    pub const ORGANIZATION_CONNECTED_APP: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}";
    pub const SESSIONS_EXCHANGE_ACCESS_TOKEN: &str = "/v1/b2b/sessions/exchange_access_token";
    pub const IDP_AUTHORIZE_START: &str = "/v1/b2b/idp/oauth/authorize/start";
    pub const IDP_AUTHORIZE: &str = "/v1/b2b/idp/oauth/authorize";
    pub const CONNECTED_APP_CLIENTS: &str = "/v1/connected_apps/clients";
    pub const CONNECTED_APP_CLIENT: &str = "/v1/connected_apps/clients/{client_id}";
    pub const CONNECTED_APP_CLIENTS_SEARCH: &str = "/v1/connected_apps/clients/search";
    pub const CONNECTED_APP_ROTATE_START: &str =
        "/v1/connected_apps/clients/{client_id}/secrets/rotate/start";
    pub const CONNECTED_APP_ROTATE: &str = "/v1/connected_apps/clients/{client_id}/secrets/rotate";
    pub const CONNECTED_APP_ROTATE_CANCEL: &str =
        "/v1/connected_apps/clients/{client_id}/secrets/rotate/cancel";
    pub const RBAC_POLICY: &str = "/v1/b2b/rbac/policy";
    pub const RBAC_ORGANIZATION: &str = "/v1/b2b/rbac/organizations/{organization_id}";
    pub const MAGIC_LINKS_LOGIN_OR_SIGNUP: &str = "/v1/b2b/magic_links/email/login_or_signup";
    pub const MAGIC_LINKS_INVITE: &str = "/v1/b2b/magic_links/email/invite";
    pub const MAGIC_LINKS_AUTHENTICATE: &str = "/v1/b2b/magic_links/authenticate";
    // Issue 13 item 3: one-time passcodes.
    pub const OTPS_SMS_SEND: &str = "/v1/b2b/otps/sms/send";
    pub const OTPS_SMS_AUTHENTICATE: &str = "/v1/b2b/otps/sms/authenticate";
    pub const OTPS_EMAIL_LOGIN_OR_SIGNUP: &str = "/v1/b2b/otps/email/login_or_signup";
    pub const OTPS_EMAIL_AUTHENTICATE: &str = "/v1/b2b/otps/email/authenticate";
    // branch `resources`.
    pub const RESOURCES: &str = "/v1/connected_apps/resources";
    pub const RESOURCE: &str = "/v1/connected_apps/resources/{resource_id}";
    pub const RESOURCES_SEARCH: &str = "/v1/connected_apps/resources/search";
    pub const RESOURCE_METADATA: &str =
        "/v1/connected_apps/resources/{resource_id}/oauth-protected-resource";
    pub const ORGANIZATION_AGENTS: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/agents";
    pub const ORGANIZATION_CONNECTED_APP_REVOKE: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}/revoke";
    // branch h11 (issue 11 item 5): approvals and the event log (latchkey extensions).
    pub const ORGANIZATION_APPROVALS: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/approvals";
    pub const ORGANIZATION_CONNECTED_APP_APPROVE: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}/approve";
    pub const ORGANIZATION_CONNECTED_APP_DENY: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/{connected_app_id}/deny";
    pub const ORGANIZATION_EVENTS: &str =
        "/v1/b2b/organizations/{organization_id}/connected_apps/events";
    pub const AUDIT_EVENTS: &str = "/v1/audit_events";
    // branch grants (issue 14 items 3 and 7): enterprise-managed authorization.
    pub const IDENTITY_ASSERTION_ISSUERS: &str =
        "/v1/b2b/organizations/{organization_id}/identity_assertion_issuers";
    pub const IDENTITY_ASSERTION_ISSUER: &str =
        "/v1/b2b/organizations/{organization_id}/identity_assertion_issuers/{issuer_id}";
    // Issue 13 items 1, 2: TOTP and recovery codes.
    pub const TOTP: &str = "/v1/b2b/totp";
    pub const TOTP_AUTHENTICATE: &str = "/v1/b2b/totp/authenticate";
    pub const TOTP_MIGRATE: &str = "/v1/b2b/totp/migrate";
    pub const RECOVERY_CODES_GET: &str = "/v1/b2b/recovery_codes/{organization_id}/{member_id}";
    pub const RECOVERY_CODES_ROTATE: &str = "/v1/b2b/recovery_codes/rotate";
    pub const RECOVERY_CODES_RECOVER: &str = "/v1/b2b/recovery_codes/recover";
}

pub fn router() -> Router<AppState> {
    use paths::*;
    Router::new()
        .route(ORGANIZATIONS, post(organizations::create))
        .route(
            ORGANIZATION,
            get(organizations::get)
                .put(organizations::update)
                .delete(organizations::delete),
        )
        .route(ORGANIZATIONS_SEARCH, post(organizations::search))
        .route(ORGANIZATION_METRICS, get(organizations::metrics))
        .route(
            ORGANIZATION_EXTERNAL_ID,
            axum::routing::delete(organizations::delete_external_id),
        )
        .route(MEMBERS, post(members::create))
        .route(MEMBER_GET, get(members::get))
        .route(MEMBER, put(members::update).delete(members::delete))
        .route(MEMBER_REACTIVATE, put(members::reactivate))
        .route(
            MEMBER_EXTERNAL_ID,
            axum::routing::delete(members::delete_external_id),
        )
        .route(MEMBERS_SEARCH, post(members::search))
        .route(MEMBER_DANGEROUSLY_GET, get(members::dangerously_get))
        .route(MEMBER_CONNECTED_APPS, get(consents::member_apps))
        .route(MEMBER_CONNECTED_APP_REVOKE, post(consents::revoke))
        .route(ORGANIZATION_CONNECTED_APPS, get(consents::org_apps))
        .route(ORGANIZATION_CONNECTED_APP, get(consents::org_app))
        .route(
            SESSIONS_EXCHANGE_ACCESS_TOKEN,
            post(sessions::exchange_access_token),
        )
        .route(IDP_AUTHORIZE_START, post(idp::start))
        .route(IDP_AUTHORIZE, post(idp::submit))
        .route(SESSIONS, get(sessions::list))
        .route(SESSIONS_AUTHENTICATE, post(sessions::authenticate))
        .route(SESSIONS_REVOKE, post(sessions::revoke))
        .route(SESSIONS_EXCHANGE, post(sessions::exchange))
        .route(SESSIONS_JWKS, get(sessions::jwks))
        .route(WELL_KNOWN_JWKS, get(sessions::well_known_jwks))
        .route(
            crate::oauth::registration_settings::PATH,
            get(crate::oauth::registration_settings::get)
                .put(crate::oauth::registration_settings::put),
        )
        .route(CONNECTED_APP_CLIENTS, post(connected_apps::create))
        .route(
            CONNECTED_APP_CLIENT,
            get(connected_apps::get)
                .put(connected_apps::update)
                .delete(connected_apps::delete),
        )
        .route(CONNECTED_APP_CLIENTS_SEARCH, post(connected_apps::search))
        .route(
            CONNECTED_APP_ROTATE_START,
            post(connected_apps::rotate_start),
        )
        .route(CONNECTED_APP_ROTATE, post(connected_apps::rotate_complete))
        .route(
            CONNECTED_APP_ROTATE_CANCEL,
            post(connected_apps::rotate_cancel),
        )
        .route(RBAC_POLICY, get(rbac::policy))
        .route(
            RBAC_ORGANIZATION,
            get(rbac::get_org_policy).put(rbac::set_org_policy),
        )
        .route(PASSWORDS_AUTHENTICATE, post(passwords::authenticate))
        .route(PASSWORDS_MIGRATE, post(passwords::migrate))
        .route(
            PASSWORDS_STRENGTH_CHECK,
            post(passwords::strength_check_handler),
        )
        .route(
            MAGIC_LINKS_LOGIN_OR_SIGNUP,
            post(magic_links::login_or_signup),
        )
        .route(MAGIC_LINKS_INVITE, post(magic_links::invite))
        .route(MAGIC_LINKS_AUTHENTICATE, post(magic_links::authenticate))
        .route(OTPS_SMS_SEND, post(otps_sms::send))
        .route(OTPS_SMS_AUTHENTICATE, post(otps_sms::authenticate))
        .route(
            OTPS_EMAIL_LOGIN_OR_SIGNUP,
            post(otps::email_login_or_signup),
        )
        .route(OTPS_EMAIL_AUTHENTICATE, post(otps::email_authenticate))
        // branch `resources`.
        .route(
            IDENTITY_ASSERTION_ISSUERS,
            post(identity_assertion_issuers::create).get(identity_assertion_issuers::list),
        )
        .route(
            IDENTITY_ASSERTION_ISSUER,
            get(identity_assertion_issuers::get)
                .put(identity_assertion_issuers::update)
                .delete(identity_assertion_issuers::delete),
        )
        .route(RESOURCES, post(resources::create))
        .route(
            RESOURCE,
            get(resources::get)
                .put(resources::update)
                .delete(resources::delete),
        )
        .route(RESOURCES_SEARCH, post(resources::search))
        .route(
            RESOURCE_METADATA,
            get(resources::metadata).layer(resources::public_cors()),
        )
        // branch sdk: the frontend SDK's authorized origins.
        .route(
            sdk_origins::PATH,
            get(sdk_origins::list)
                .post(sdk_origins::add)
                .delete(sdk_origins::remove),
        )
        .route(ORGANIZATION_AGENTS, get(agents::installed))
        .route(ORGANIZATION_CONNECTED_APP_REVOKE, post(agents::revoke))
        // branch h11: approvals and the event log.
        .route(ORGANIZATION_APPROVALS, get(approvals::list))
        .route(ORGANIZATION_CONNECTED_APP_APPROVE, post(approvals::approve))
        .route(ORGANIZATION_CONNECTED_APP_DENY, post(approvals::deny))
        .route(ORGANIZATION_EVENTS, get(events::organization))
        .route(AUDIT_EVENTS, get(events::project))
        // issue 14: Stytch M2M clients.
        .route(m2m::CLIENTS, post(m2m::create))
        .route(
            m2m::CLIENT,
            get(m2m::get).put(m2m::update).delete(m2m::delete),
        )
        .route(m2m::SEARCH, post(m2m::search))
        .route(m2m::ROTATE_START, post(m2m::rotate_start))
        .route(m2m::ROTATE, post(m2m::rotate_complete))
        .route(m2m::ROTATE_CANCEL, post(m2m::rotate_cancel))
        // branch h13: password reset (issue 13 item 6).
        .route(
            PASSWORDS_EMAIL_RESET_START,
            post(password_reset::email_reset_start),
        )
        .route(PASSWORDS_EMAIL_RESET, post(password_reset::email_reset))
        .route(TOTP, post(totp::create))
        .route(TOTP_AUTHENTICATE, post(totp::authenticate))
        .route(TOTP_MIGRATE, post(totp::migrate))
        .route(RECOVERY_CODES_GET, get(recovery_codes::get))
        .route(RECOVERY_CODES_ROTATE, post(recovery_codes::rotate))
        .route(RECOVERY_CODES_RECOVER, post(recovery_codes::recover))
        .route(PASSWORDS_REQUIRE_RESET, post(password_reset::require_reset))
        .route(PASSWORDS_SESSION_RESET, post(password_reset::session_reset))
        .route(
            PASSWORDS_EXISTING_RESET,
            post(password_reset::existing_password_reset),
        )
}
