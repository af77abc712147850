//! Multi-factor authentication rules (issue 13 items 1, 2, 7): the intermediate session a
//! primary factor yields while the organization's MFA rule is not met
//! ([`crate::organization::policy::mfa_satisfied`]), what a login answers, and (in the
//! submodules) TOTP ([`totp`], RFC 6238) and recovery codes ([`recovery`]).
//!
//! An intermediate session (Stytch: "intermediate_session_token … valid for 10 minutes") holds
//! the factors proven so far for one member of one organization. Its token is a random 256-bit
//! value kept only as a SHA-256 hash; it is *not* a session (no `session_token`, no JWT, no
//! Connected Apps authorization): the store keeps it in a table of its own, so no session
//! lookup can find it. A second factor exchanges it, once, for a full session with every
//! factor ([`complete`]).

pub mod recovery;
pub mod totp;

use base64::Engine;
use latchkey_types::{AuthenticationFactor, Member, MemberOptions, MfaRequired, Organization};
use time::OffsetDateTime;

use crate::clock::TokenGenerator;
use crate::organization::policy;
use crate::secret::SecretHash;
use crate::session::{self, SessionRecord};
use crate::ApiError;

/// Intermediate sessions live ten minutes (Stytch's default).
pub const INTERMEDIATE_SESSION_MINUTES: i64 = 10;

/// A stored intermediate session (the token only as its hash, kept beside it by the store).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IntermediateSession {
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    /// The factors proven so far, in order (a primary factor first).
    pub factors: Vec<AuthenticationFactor>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An intermediate session token in the clear: handed to the client once. Redacted Debug, no
/// Clone.
pub struct IntermediateSessionToken(String);

impl IntermediateSessionToken {
    pub fn generate(tokens: &dyn TokenGenerator) -> Self {
        let mut b = [0u8; 32];
        tokens.fill(&mut b);
        IntermediateSessionToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
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

impl std::fmt::Debug for IntermediateSessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntermediateSessionToken(<redacted>)")
    }
}

/// 404 `intermediate_session_not_found` (Stytch): unknown, expired, already exchanged, or
/// belonging to another member or organization: one answer for all.
pub fn intermediate_session_not_found() -> ApiError {
    ApiError::new(
        404,
        "intermediate_session_not_found",
        "Intermediate session could not be found.",
    )
}

/// 400 `action_available_only_once_primary_authentication_is_met` (Stytch): a second factor
/// was presented with neither an intermediate session nor a session to attach it to.
pub fn primary_authentication_required() -> ApiError {
    ApiError::bad_request(
        "action_available_only_once_primary_authentication_is_met",
        "You must complete the primary authentication requirements for an organization before completing an MFA flow.",
    )
}

/// Starts an intermediate session in `project_id` for `member` with the factors proven so far.
pub fn start(
    project_id: &str,
    member: &Member,
    factors: Vec<AuthenticationFactor>,
    now: OffsetDateTime,
) -> IntermediateSession {
    let t = now.unix_timestamp();
    IntermediateSession {
        project_id: project_id.to_owned(),
        organization_id: member.organization_id.clone(),
        member_id: member.member_id.clone(),
        factors,
        created_at: t,
        expires_at: t + INTERMEDIATE_SESSION_MINUTES * 60,
    }
}

/// Checks a loaded intermediate session for `member`: live at `now` and the same member and
/// organization. Anything else reads as not found.
pub fn check(
    s: &IntermediateSession,
    member: &Member,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let same = s.member_id == member.member_id && s.organization_id == member.organization_id;
    if !same || s.expires_at <= now.unix_timestamp() {
        return Err(intermediate_session_not_found());
    }
    Ok(())
}

/// What a login with the factors proven so far becomes (Stytch's passwords/magic links
/// authenticate: `member_authenticated` true or false).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The organization's MFA rule is met: a full session with these factors.
    Session(Vec<AuthenticationFactor>),
    /// A second factor is still needed: an intermediate session with these factors.
    Intermediate(Vec<AuthenticationFactor>),
}

/// Decides what a newly proven `factor` yields, given the factors an intermediate session
/// carried (Stytch: a primary login may pass `intermediate_session_token` to carry them
/// forward). The one place a login turns into a session or an intermediate session.
pub fn decide(
    org: &Organization,
    member: &Member,
    carried: Option<&IntermediateSession>,
    factor: AuthenticationFactor,
) -> Outcome {
    let mut factors = carried.map(|c| c.factors.clone()).unwrap_or_default();
    merge_factor(&mut factors, factor);
    if policy::mfa_satisfied(org, member, &factors) {
        Outcome::Session(factors)
    } else {
        Outcome::Intermediate(factors)
    }
}

/// Adds a factor, or refreshes one of the same type and delivery (as sessions do).
pub fn merge_factor(factors: &mut Vec<AuthenticationFactor>, f: AuthenticationFactor) {
    match factors
        .iter_mut()
        .find(|x| x.kind == f.kind && x.delivery_method == f.delivery_method)
    {
        Some(existing) => {
            existing.last_authenticated_at = f.last_authenticated_at;
            existing.updated_at = f.updated_at;
        }
        None => factors.push(f),
    }
}

/// The full session a completed MFA flow starts: every factor, in the order proven.
pub fn complete(
    session_id: String,
    project_id: &str,
    member: &Member,
    factors: Vec<AuthenticationFactor>,
    minutes: Option<i64>,
    custom_claims: Option<&serde_json::Map<String, serde_json::Value>>,
    now: OffsetDateTime,
) -> Result<SessionRecord, ApiError> {
    let mut it = factors.into_iter();
    let first = it.next().ok_or_else(intermediate_session_not_found)?;
    let mut record = session::start(
        session_id,
        project_id,
        member,
        first,
        minutes,
        custom_claims,
        now,
    )?;
    it.for_each(|f| session::add_factor(&mut record, f));
    Ok(record)
}

/// The `mfa_required` object of an intermediate answer (`api_b2b_mfa_v1_MfaRequired`): the
/// member's phone number and verified TOTP registration, and `secondary_auth_initiated` as the
/// caller says (`sms_otp` when it sent a passcode, else `null`).
pub fn mfa_required_body(member: &Member, secondary_auth_initiated: Option<&str>) -> MfaRequired {
    MfaRequired {
        member_options: Some(MemberOptions {
            mfa_phone_number: member.mfa_phone_number.clone(),
            totp_registration_id: member.totp_registration_id.clone(),
        }),
        secondary_auth_initiated: secondary_auth_initiated.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests;
