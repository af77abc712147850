//! Email magic link rules (https://stytch.com/docs/b2b/api/send-login-signup-email, Stytch
//! §15.5): which link a login-or-signup request sends, who may be provisioned or invited,
//! expirations, redirect URLs, the link itself, and activating a member on authenticate.
//! Tokens are 256-bit random values; only their SHA-256 hash is stored.

use base64::Engine;
use latchkey_types::{Member, Organization};
use time::OffsetDateTime;
use url::Url;

use crate::clock::{rfc3339, TokenGenerator};
use crate::secret::SecretHash;
use crate::ApiError;

/// Login and signup links live 60 minutes unless the request says otherwise (Stytch).
pub const DEFAULT_LOGIN_MINUTES: i64 = 60;
/// Invite links live a week unless the request says otherwise (Stytch).
pub const DEFAULT_INVITE_MINUTES: i64 = 10_080;
const MIN_MINUTES: i64 = 5;
const MAX_MINUTES: i64 = 10_080;

/// The kind of link sent; stored with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Login,
    Signup,
    Invite,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Login => "login",
            LinkKind::Signup => "signup",
            LinkKind::Invite => "invite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "login" => Some(LinkKind::Login),
            "signup" => Some(LinkKind::Signup),
            "invite" => Some(LinkKind::Invite),
            _ => None,
        }
    }

    /// The request field that names this kind's redirect URL.
    fn redirect_field(self) -> &'static str {
        match self {
            LinkKind::Login => "login_redirect_url",
            LinkKind::Signup => "signup_redirect_url",
            LinkKind::Invite => "invite_redirect_url",
        }
    }
}

/// A magic link token in the clear: it goes into the email once. Redacted Debug, no Clone.
pub struct MagicLinkToken(String);

impl MagicLinkToken {
    /// 32 random bytes, base64url without padding (43 characters).
    pub fn generate(tokens: &dyn TokenGenerator) -> Self {
        let mut b = [0u8; 32];
        tokens.fill(&mut b);
        MagicLinkToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
    /// The stored form of a token presented by a caller.
    pub fn hash_of(presented: &str) -> SecretHash {
        SecretHash::of(presented)
    }
}

impl std::fmt::Debug for MagicLinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MagicLinkToken(<redacted>)")
    }
}

/// What login_or_signup sends (Stytch: active members get a login link; pending and invited
/// members, and new members, a signup link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDecision {
    Login,
    Signup,
    /// No member yet: create one as `pending`, then send a signup link.
    SignupNewMember,
}

/// Decides login_or_signup for `email` in `org`, given the member with that email if any.
pub fn login_or_signup(
    org: &Organization,
    existing: Option<&Member>,
    email: &str,
) -> Result<SendDecision, ApiError> {
    match existing {
        Some(m) if m.status == "active" => Ok(SendDecision::Login),
        Some(_) => Ok(SendDecision::Signup),
        None => {
            jit_allowed(org, email)?;
            Ok(SendDecision::SignupNewMember)
        }
    }
}

/// Email JIT provisioning (`email_jit_provisioning`): RESTRICTED admits emails whose domain
/// is in `email_allowed_domains`; NOT_ALLOWED admits nobody.
pub fn jit_allowed(org: &Organization, email: &str) -> Result<(), ApiError> {
    match org.email_jit_provisioning.as_str() {
        "RESTRICTED" if domain_allowed(org, email) => Ok(()),
        "RESTRICTED" => Err(ApiError::new(
            403,
            "invalid_email_for_jit_provisioning",
            "The email domain is not in the organization's email_allowed_domains, so a new member cannot be created by email.",
        )),
        _ => Err(ApiError::new(
            403,
            "email_jit_provisioning_not_allowed",
            "This organization does not allow new members to join by email (email_jit_provisioning is NOT_ALLOWED); invite them instead.",
        )),
    }
}

/// What an invite does with the member of that email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteDecision {
    /// A pending or invited member becomes (stays) `invited`.
    Reinvite,
    /// No member yet: create one as `invited`.
    NewMember,
}

/// Invites (`email_invites`): ALL_ALLOWED, RESTRICTED to `email_allowed_domains`, or
/// NOT_ALLOWED. Active members cannot be invited (Stytch).
pub fn invite(
    org: &Organization,
    existing: Option<&Member>,
    email: &str,
) -> Result<InviteDecision, ApiError> {
    let allowed = match org.email_invites.as_str() {
        "ALL_ALLOWED" => true,
        "RESTRICTED" => domain_allowed(org, email),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::new(
            403,
            "invalid_email_for_invites",
            "This organization's email_invites setting does not allow inviting this email address.",
        ));
    }
    match existing {
        Some(m) if m.status == "active" => Err(ApiError::bad_request(
            "duplicate_member_email",
            "An active member with this email address already exists in the organization; send a login link instead.",
        )),
        Some(_) => Ok(InviteDecision::Reinvite),
        None => Ok(InviteDecision::NewMember),
    }
}

fn domain_allowed(org: &Organization, email: &str) -> bool {
    let domain = email.rsplit('@').next().unwrap_or_default();
    org.email_allowed_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
}

/// Validates `*_expiration_minutes` (5 to 10080) or takes the default.
pub fn expiration_minutes(field: &str, given: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match given {
        None => Ok(default),
        Some(m) if (MIN_MINUTES..=MAX_MINUTES).contains(&m) => Ok(m),
        Some(_) => Err(ApiError::bad_request(
            "invalid_expiration",
            format!("{field} must be between {MIN_MINUTES} and {MAX_MINUTES} minutes."),
        )),
    }
}

/// The redirect URL for a link: the request's, else the configured default; an absolute http(s)
/// URL either way.
pub fn redirect_url(
    kind: LinkKind,
    given: Option<&str>,
    default: Option<&str>,
) -> Result<Url, ApiError> {
    let raw = match given.filter(|s| !s.is_empty()).or(default) {
        Some(r) => r,
        None => {
            let (error_type, field) = match kind {
                LinkKind::Login => ("no_default_login_redirect_url_set", kind.redirect_field()),
                LinkKind::Signup => ("no_default_signup_redirect_url_set", kind.redirect_field()),
                LinkKind::Invite => ("no_default_invite_redirect_url_set", kind.redirect_field()),
            };
            return Err(ApiError::bad_request(
                error_type,
                format!("{field} was not given and no default is configured (magic_link_redirect_url / LATCHKEY_MAGIC_LINK_REDIRECT_URL)."),
            ));
        }
    };
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => {
            let error_type = match kind {
                LinkKind::Login => "invalid_login_redirect_url",
                LinkKind::Signup => "invalid_signup_redirect_url",
                LinkKind::Invite => "invalid_invite_redirect_url",
            };
            Err(ApiError::bad_request(
                error_type,
                format!(
                    "{} must be an absolute http or https URL.",
                    kind.redirect_field()
                ),
            ))
        }
    }
}

/// Whether a magic-link redirect URL is registered (issue 9 #16), as Stytch checks the dashboard's
/// redirect URLs: an exact match, query included, with one of the project's `registered` URLs or
/// the configured default (`magic_link_redirect_url`). A test project (`project-test-…`) also
/// accepts any loopback `http://localhost`/`127.0.0.1`/`[::1]` URL on any port, as Stytch's test
/// environments start with `http://localhost:3000` registered, so development needs no setup.
pub fn redirect_allowed(
    url: &Url,
    registered: &[String],
    default: Option<&str>,
    test_project: bool,
) -> bool {
    let same = |r: &str| Url::parse(r).is_ok_and(|r| &r == url);
    if registered.iter().any(|r| same(r)) || default.is_some_and(same) {
        return true;
    }
    test_project
        && url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// [`redirect_allowed`] refused: 400 `no_match_for_provided_magic_link_url` (Stytch's message).
pub fn redirect_not_registered(kind: LinkKind) -> ApiError {
    ApiError::bad_request(
        "no_match_for_provided_magic_link_url",
        format!(
            "The magic_link_url in the request did not match any redirect URLs set for this project ({} is not registered: latchkey project redirect-urls add).",
            kind.redirect_field()
        ),
    )
}

/// The link in the email: the redirect URL with `stytch_token_type=multi_tenant_magic_links`
/// and `token` added to its query (the Stytch SDKs read both).
pub fn link(redirect: &Url, token: &MagicLinkToken) -> String {
    let mut u = redirect.clone();
    u.query_pairs_mut()
        .append_pair("stytch_token_type", "multi_tenant_magic_links")
        .append_pair("token", token.expose_secret());
    u.to_string()
}

/// Authenticating a link proves the email: a pending or invited member becomes active, and the
/// email is verified.
pub fn activate(m: &mut Member, now: OffsetDateTime) {
    if m.status != "active" || !m.email_address_verified {
        m.status = "active".into();
        m.email_address_verified = true;
        m.updated_at = rfc3339(now);
    }
}

/// Why a presented token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    NotFound,
    AlreadyUsed,
    Expired,
}

impl Unusable {
    /// Stytch's errors: an unknown token is `magic_link_not_found`; a used or expired one
    /// `unable_to_auth_magic_link`.
    pub fn to_api(self) -> ApiError {
        match self {
            Unusable::NotFound => ApiError::new(
                404,
                "magic_link_not_found",
                "The magic link could not be authenticated, try sending another magic link.",
            ),
            Unusable::AlreadyUsed | Unusable::Expired => ApiError::new(
                401,
                "unable_to_auth_magic_link",
                "The magic link could not be authenticated because it was either already used or expired. Send another magic link to this user.",
            ),
        }
    }
}

#[cfg(test)]
mod tests;
