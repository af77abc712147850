//! The frontend SDK surface, `/sdk/v1` (issue 16): what Stytch's browser SDKs
//! (`@stytch/vanilla-js`, `@stytch/react`) call with the project's public token, so a login and
//! consent page written with them works against latchkey (`endpoints.testAPIURL` /
//! `customBaseUrl`). Transport and origins are in [`transport`]; every endpoint calls the
//! management handler it mirrors, acting as the member of the caller's session under their
//! RBAC permissions (the same check as the `X-Stytch-Member-Session` header of the API), so the
//! two surfaces share every decision. Only bootstrap, login, the events sink and the logout
//! preflight (which only checks a redirect) work without a session; the public token grants
//! nothing else. The form-post transport is [`form`]'s.

use axum::routing::{get, post, put, MethodRouter};
use axum::Router;

use crate::state::AppState;

mod b2b;
pub mod form;
mod idp;
mod links;
mod resets;
pub mod transport;

/// Route paths, as the SDK builds them (`HeadlessClients/b2b/*`).
pub mod paths {
    pub const BOOTSTRAP: &str = "/sdk/v1/projects/bootstrap/{public_token}";
    pub const EVENTS: &str = "/sdk/v1/events";
    pub const PASSWORDS_AUTHENTICATE: &str = "/sdk/v1/b2b/passwords/authenticate";
    pub const PASSWORDS_STRENGTH_CHECK: &str = "/sdk/v1/b2b/passwords/strength_check";
    pub const PASSWORDS_EMAIL_RESET_START: &str = "/sdk/v1/b2b/passwords/email/reset/start";
    pub const PASSWORDS_EMAIL_RESET: &str = "/sdk/v1/b2b/passwords/email/reset";
    pub const PASSWORDS_EXISTING_RESET: &str = "/sdk/v1/b2b/passwords/existing_password/reset";
    pub const PASSWORDS_SESSION_RESET: &str = "/sdk/v1/b2b/passwords/session/reset";
    pub const SESSIONS_AUTHENTICATE: &str = "/sdk/v1/b2b/sessions/authenticate";
    pub const SESSIONS_REVOKE: &str = "/sdk/v1/b2b/sessions/revoke";
    pub const SESSIONS_REVOKE_MEMBER: &str = "/sdk/v1/b2b/sessions/revoke/{member_id}";
    pub const ORGANIZATION_ME: &str = "/sdk/v1/b2b/organizations/me";
    pub const ORGANIZATION_CONNECTED_APPS: &str = "/sdk/v1/b2b/organizations/connected_apps";
    pub const ORGANIZATION_CONNECTED_APP: &str =
        "/sdk/v1/b2b/organizations/connected_apps/{connected_app_id}";
    pub const MEMBER_ME: &str = "/sdk/v1/b2b/organizations/members/me";
    pub const MEMBER_ME_UPDATE: &str = "/sdk/v1/b2b/organizations/members/update";
    pub const MEMBER_ME_CONNECTED_APPS: &str = "/sdk/v1/b2b/organizations/members/connected_apps";
    pub const MEMBER_ME_CONNECTED_APP_REVOKE: &str =
        "/sdk/v1/b2b/organizations/members/connected_apps/{connected_app_id}/revoke";
    pub const MEMBERS: &str = "/sdk/v1/b2b/organizations/members";
    pub const MEMBERS_SEARCH: &str = "/sdk/v1/b2b/organizations/me/members/search";
    pub const MEMBER: &str = "/sdk/v1/b2b/organizations/members/{member_id}";
    pub const MEMBER_REACTIVATE: &str = "/sdk/v1/b2b/organizations/members/{member_id}/reactivate";
    pub const MEMBER_CONNECTED_APPS: &str =
        "/sdk/v1/b2b/organizations/members/{member_id}/connected_apps";
    pub const MEMBER_CONNECTED_APP_REVOKE: &str =
        "/sdk/v1/b2b/organizations/members/{member_id}/connected_apps/{connected_app_id}/revoke";
    pub const MAGIC_LINKS_LOGIN_OR_SIGNUP: &str = "/sdk/v1/b2b/magic_links/email/login_or_signup";
    pub const MAGIC_LINKS_INVITE: &str = "/sdk/v1/b2b/magic_links/email/invite";
    pub const MAGIC_LINKS_AUTHENTICATE: &str = "/sdk/v1/b2b/magic_links/authenticate";
    pub const SESSIONS_EXCHANGE: &str = "/sdk/v1/b2b/sessions/exchange";
    pub const SESSIONS_EXCHANGE_ACCESS_TOKEN: &str = "/sdk/v1/b2b/sessions/exchange_access_token";
    pub const IDP_AUTHORIZE_START: &str = "/sdk/v1/idp/b2b/oauth/authorize/start";
    pub const IDP_AUTHORIZE_SUBMIT: &str = "/sdk/v1/idp/b2b/oauth/authorize/submit";
    pub const OAUTH_LOGOUT_START: &str = "/sdk/v1/b2b/oauth/logout/start";
    /// The SDK's form-post target (`submitFormSDK`): the authorization, answered by a redirect.
    pub const OAUTH_AUTHORIZE: &str = "/sdk/v1/b2b/oauth/authorize";
}

/// Every SDK route also answers its CORS preflight (`OPTIONS`).
fn p(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.options(transport::preflight_route)
}

pub fn router(state: AppState) -> Router<AppState> {
    use paths::*;
    Router::new()
        .route(BOOTSTRAP, p(get(b2b::bootstrap)))
        .route(EVENTS, p(post(b2b::events)))
        .route(PASSWORDS_AUTHENTICATE, p(post(b2b::passwords_authenticate)))
        .route(PASSWORDS_STRENGTH_CHECK, p(post(b2b::strength_check)))
        .route(SESSIONS_AUTHENTICATE, p(post(b2b::sessions_authenticate)))
        .route(SESSIONS_REVOKE, p(post(b2b::sessions_revoke)))
        .route(SESSIONS_REVOKE_MEMBER, p(post(b2b::sessions_revoke_member)))
        .route(
            ORGANIZATION_ME,
            p(get(b2b::organization_me)
                .put(b2b::organization_update)
                .delete(b2b::organization_delete)),
        )
        .route(ORGANIZATION_CONNECTED_APPS, p(get(idp::organization_apps)))
        .route(ORGANIZATION_CONNECTED_APP, p(get(idp::organization_app)))
        .route(MEMBER_ME, p(get(b2b::member_me)))
        .route(MEMBER_ME_UPDATE, p(put(b2b::member_me_update)))
        .route(MEMBER_ME_CONNECTED_APPS, p(get(idp::my_apps)))
        .route(MEMBER_ME_CONNECTED_APP_REVOKE, p(post(idp::my_app_revoke)))
        .route(MEMBERS, p(post(b2b::member_create)))
        .route(MEMBERS_SEARCH, p(post(b2b::members_search)))
        .route(
            MEMBER,
            p(put(b2b::member_update).delete(b2b::member_delete)),
        )
        .route(MEMBER_REACTIVATE, p(put(b2b::member_reactivate)))
        .route(MEMBER_CONNECTED_APPS, p(get(idp::member_apps)))
        .route(MEMBER_CONNECTED_APP_REVOKE, p(post(idp::member_app_revoke)))
        .route(MAGIC_LINKS_LOGIN_OR_SIGNUP, p(post(links::login_or_signup)))
        .route(MAGIC_LINKS_INVITE, p(post(links::invite)))
        .route(MAGIC_LINKS_AUTHENTICATE, p(post(links::authenticate)))
        .route(SESSIONS_EXCHANGE, p(post(links::exchange)))
        .route(
            SESSIONS_EXCHANGE_ACCESS_TOKEN,
            p(post(links::exchange_access_token)),
        )
        .route(IDP_AUTHORIZE_START, p(post(idp::authorize_start)))
        .route(IDP_AUTHORIZE_SUBMIT, p(post(idp::authorize_submit)))
        .route(OAUTH_LOGOUT_START, p(post(idp::logout_start)))
        .route(OAUTH_AUTHORIZE, p(post(idp::authorize_submit)))
        // branch h13: password reset.
        .route(
            PASSWORDS_EMAIL_RESET_START,
            p(post(resets::email_reset_start)),
        )
        .route(PASSWORDS_EMAIL_RESET, p(post(resets::email_reset)))
        .route(
            PASSWORDS_EXISTING_RESET,
            p(post(resets::existing_password_reset)),
        )
        .route(PASSWORDS_SESSION_RESET, p(post(resets::session_reset)))
        .layer(axum::middleware::from_fn_with_state(
            state,
            transport::guard,
        ))
}
