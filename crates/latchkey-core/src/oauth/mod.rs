//! The pure rules of the OAuth 2.1 / OpenID Connect authorization server, Stytch Connected
//! Apps flavour: no I/O, no clock, no randomness; time and random values are parameters.
//!
//! Typical Start / Submit pipeline (spec §4, §5), all synchronous:
//! [`ResponseType::parse`] → [`redirect_uri_matches`] → [`Prompt::parse`] →
//! [`ScopeSet::from_list`] → [`RbacPolicy::resolve_scopes`] → [`decide_consent`] →
//! [`require_challenge`] → [`submit_decision`]. At the token endpoint:
//! [`check_code_verifier`].

pub mod agent_policy;
pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_credentials;
pub mod client_metadata;
pub mod code;
pub mod consent;
pub mod device;
pub mod dpop;
pub mod error;
pub mod grant;
pub mod id_jag;
pub mod interaction;
pub mod logout;
pub mod org_policy;
pub mod pkce;
pub mod rbac;
pub mod redirect;
pub mod refresh;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod token_exchange;
pub mod token_request;

pub use authorize::{AuthorizeError, Prompt, ResponseType};
pub use client::{
    validate_client_settings, ClientSettingsError, ClientType, FullAccess, InvalidClientType,
    OfflineAccessConsent,
};
pub use consent::{
    decide_consent, submit_decision, ConsentClient, ConsentDecision, ConsentReason, ConsentRequest,
    ConsentRequirement, SubmitOutcome, UserConsent,
};
pub use error::{OAuthError, OAuthErrorCode};
pub use interaction::{Interaction, Next};
pub use org_policy::{ConnectedAppsAllowed, InvalidAllowedType, OrgConnectedAppsPolicy};
pub use pkce::{
    check_code_verifier, require_challenge, verify_s256, PkceChallenge, PkceError, PkceMethod,
    PkceVerifier,
};
pub use rbac::{
    default_policy, grantable_scopes, GrantingClient, MemberPermissions, Permission, RbacPolicy,
    RbacScope, Resource, Role, ScopeResult,
};
pub use redirect::{
    redirect_uri_matches, redirect_uri_matches_native, InvalidRedirectReason, LoopbackPort,
    MatchKind, MatchedRedirect, RedirectKind, RedirectUrl, RedirectUrlError,
};
pub use scope::{BuiltinScope, Scope, ScopeError, ScopeSet};
