//! Intermediate sessions at run time (issue 13 item 1), shared by every login endpoint: what a
//! primary factor answers ([`primary_login`]: a session, or `member_authenticated: false` with
//! an `intermediate_session_token` and `mfa_required`), and how a second factor turns an
//! intermediate session, or the caller's session, into a full session ([`finish`]). TOTP and
//! recovery codes (`api::totp`, `api::recovery_codes`) use [`finish`]; so can SMS and email
//! passcodes: spend the code with its own single-use operation, then call [`finish`] with
//! [`SecondFactorProof::AlreadySpent`].
//!
//! The decisions are the core's (`core::mfa::decide`, `core::organization::policy`); this
//! module loads, and persists in one transaction (`Store::complete_mfa`).

use latchkey_core::ids::{make_id, Environment};
use latchkey_core::mfa::{self, IntermediateSessionToken, Outcome};
use latchkey_core::organization::policy;
use latchkey_core::session::{self, SessionToken};
use latchkey_core::ApiError;
use latchkey_store::{MfaCompletion, MfaOutcome, SecondFactorProof, SessionWrite};
use latchkey_types::{AuthenticationFactor, Member, MemberSession, MfaRequired, Organization};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::envelope::ApiFailure;
use crate::sessions::{self as live, Credential, Issued};
use crate::state::AppState;

/// The session part of a primary-login answer (`passwords/authenticate`,
/// `magic_links/authenticate`, `sessions/exchange`): either a session (`member_authenticated`)
/// or an intermediate session, with Stytch's empty strings for what is absent. No `Debug`: it
/// holds tokens.
#[derive(Serialize)]
pub struct LoginAnswer {
    pub member_session: Option<MemberSession>,
    pub session_token: String,
    pub session_jwt: String,
    pub intermediate_session_token: String,
    pub member_authenticated: bool,
    pub mfa_required: Option<MfaRequired>,
}

impl LoginAnswer {
    /// A full session.
    pub fn session(issued: Issued) -> Self {
        LoginAnswer {
            member_session: Some(issued.member_session),
            session_token: issued.session_token,
            session_jwt: issued.session_jwt,
            intermediate_session_token: String::new(),
            member_authenticated: true,
            mfa_required: None,
        }
    }

    /// An intermediate session: no session token, no JWT, no session.
    pub fn intermediate(token: IntermediateSessionToken, member: &Member) -> Self {
        LoginAnswer {
            member_session: None,
            session_token: String::new(),
            session_jwt: String::new(),
            intermediate_session_token: token.expose_secret().to_owned(),
            member_authenticated: false,
            mfa_required: Some(mfa::mfa_required_body(member, None)),
        }
    }
}

/// A primary factor just proven for `member` of `org`.
pub struct Primary<'a> {
    /// The caller's session (`session_token` / `session_jwt`), to add the factor to.
    pub existing: Option<Credential<'a>>,
    /// `intermediate_session_token`: factors proven earlier, carried forward.
    pub intermediate: Option<&'a str>,
    pub member: &'a Member,
    pub org: &'a Organization,
    pub factor: AuthenticationFactor,
    pub minutes: Option<i64>,
    pub custom_claims: Option<&'a Map<String, Value>>,
}

/// Answers a primary factor as Stytch does: added to the caller's session when one is given;
/// else, with the intermediate session's factors (if any), a full session when the
/// organization's MFA rule is met ([`policy::mfa_satisfied`]) and an intermediate session
/// (10 minutes, stored hashed) when it is not.
pub async fn primary_login(
    state: &AppState,
    project_id: &str,
    p: Primary<'_>,
) -> Result<LoginAnswer, ApiFailure> {
    let minutes = session::duration(p.minutes)?;
    if let Some(cred) = p.existing {
        let login = live::Login {
            existing: Some(cred),
            member: p.member,
            org: p.org,
            factor: p.factor,
            minutes,
            custom_claims: p.custom_claims,
        };
        return Ok(LoginAnswer::session(
            live::start_or_extend(state, project_id, login).await?,
        ));
    }
    let now = state.clock.now();
    let carried = match p.intermediate.filter(|t| !t.is_empty()) {
        Some(t) => Some(load(state, project_id, t, p.member).await?),
        None => None,
    };
    let decided = mfa::decide(p.org, p.member, carried.as_ref().map(|(_, s)| s), p.factor);
    match (decided, carried) {
        (Outcome::Intermediate(factors), carried) => {
            let ist = mfa::start(project_id, p.member, factors, now);
            let token = IntermediateSessionToken::generate(state.tokens.as_ref());
            match carried {
                Some((old, _)) => {
                    let t = now.unix_timestamp();
                    if !state
                        .store
                        .replace_intermediate_session(&old, &ist, &token.hash(), t)
                        .await?
                    {
                        return Err(mfa::intermediate_session_not_found().into());
                    }
                }
                None => {
                    state
                        .store
                        .insert_intermediate_session(&ist, &token.hash())
                        .await?
                }
            }
            Ok(LoginAnswer::intermediate(token, p.member))
        }
        (Outcome::Session(factors), None) => {
            let mut factors = factors.into_iter();
            let factor = factors.next().ok_or_else(ApiError::internal)?;
            let login = live::Login {
                existing: None,
                member: p.member,
                org: p.org,
                factor,
                minutes,
                custom_claims: p.custom_claims,
            };
            let issued = live::start_or_extend(state, project_id, login).await?;
            Ok(LoginAnswer::session(issued))
        }
        (Outcome::Session(factors), Some((old, _))) => {
            let done = Finished {
                intermediate: Some(&old),
                proof: SecondFactorProof::AlreadySpent,
                changed_member: None,
                spent: mfa::intermediate_session_not_found,
            };
            let record = new_session(
                state,
                project_id,
                p.member,
                factors,
                minutes,
                p.custom_claims,
            )?;
            let issued = write_new(state, project_id, p.member, p.org, record, done).await?;
            Ok(LoginAnswer::session(issued))
        }
    }
}

/// A second factor just proven (its code checked, not yet spent: [`Second::proof`]).
pub struct Second<'a> {
    pub existing: Option<Credential<'a>>,
    pub intermediate: Option<&'a str>,
    /// The member as it will be stored: enrollment changes (`totp_registration_id`,
    /// `mfa_enrolled`, `default_mfa_method`) applied.
    pub member: &'a Member,
    /// Whether [`Second::member`] differs from the stored member and must be written.
    pub member_changed: bool,
    pub org: &'a Organization,
    pub factor: AuthenticationFactor,
    pub proof: SecondFactorProof<'a>,
    /// The error for a proof spent meanwhile (a reused TOTP step, a used recovery code).
    pub spent: fn() -> ApiError,
    pub minutes: Option<i64>,
    pub custom_claims: Option<&'a Map<String, Value>>,
}

/// Completes MFA: the intermediate session (preferred when both are given) or the caller's
/// session gets the factor; the proof, the intermediate session, the member's enrollment and
/// the session commit together. With neither: 400
/// `action_available_only_once_primary_authentication_is_met` (Stytch).
pub async fn finish(
    state: &AppState,
    project_id: &str,
    s: Second<'_>,
) -> Result<Issued, ApiFailure> {
    let minutes = session::duration(s.minutes)?;
    let changed_member = s.member_changed.then_some(s.member);
    if let Some(t) = s.intermediate.filter(|t| !t.is_empty()) {
        let (hash, ist) = load(state, project_id, t, s.member).await?;
        let mut factors = ist.factors;
        mfa::merge_factor(&mut factors, s.factor);
        policy::require_mfa_satisfied(s.org, s.member, &factors)?;
        let record = new_session(
            state,
            project_id,
            s.member,
            factors,
            minutes,
            s.custom_claims,
        )?;
        let done = Finished {
            intermediate: Some(&hash),
            proof: s.proof,
            changed_member,
            spent: s.spent,
        };
        return write_new(state, project_id, s.member, s.org, record, done).await;
    }
    let cred = s
        .existing
        .ok_or_else(mfa::primary_authentication_required)?;
    let mut loaded = live::resolve(state, project_id, cred).await?;
    if loaded.record.member_id != s.member.member_id {
        return Err(ApiError::bad_request(
            "session_member_mismatch",
            "The session belongs to a different member.",
        )
        .into());
    }
    let now = state.clock.now();
    session::touch(&mut loaded.record, minutes, now)?;
    session::add_factor(&mut loaded.record, s.factor);
    if let Some(c) = s.custom_claims {
        session::merge_custom_claims(&mut loaded.record, c)?;
    }
    let c = MfaCompletion {
        project_id,
        intermediate: None,
        proof: s.proof,
        member: changed_member,
        session: SessionWrite::Existing(&loaded.record),
        now: now.unix_timestamp(),
    };
    outcome(state.store.complete_mfa(&c).await?, s.spent)?;
    let token = match cred {
        Credential::Token(t) => t.to_owned(),
        Credential::Jwt(_) => String::new(),
    };
    live::issue(state, project_id, &loaded.record, token, s.member, s.org).await
}

/// Loads an intermediate session by its token for `member`; unknown, expired, or another
/// member's: 404 `intermediate_session_not_found`.
pub async fn load(
    state: &AppState,
    project_id: &str,
    token: &str,
    member: &Member,
) -> Result<(latchkey_core::secret::SecretHash, mfa::IntermediateSession), ApiFailure> {
    let hash = IntermediateSessionToken::hash_of(token);
    let ist = state
        .store
        .intermediate_session(project_id, &hash)
        .await?
        .ok_or_else(mfa::intermediate_session_not_found)?;
    mfa::check(&ist, member, state.clock.now())?;
    Ok((hash, ist))
}

/// Where a second factor goes: the intermediate session, or the caller's session.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub existing: Option<Credential<'a>>,
    pub intermediate: Option<&'a str>,
}

/// Reads a second factor's `intermediate_session_token` / `session_token` / `session_jwt`:
/// at least one is needed (400 `action_available_only_once_primary_authentication_is_met`),
/// and an intermediate session must be live and the member's (checked before any code is
/// looked at, so a spent one answers `intermediate_session_not_found`).
pub async fn context<'a>(
    state: &AppState,
    project_id: &str,
    member: &Member,
    intermediate: Option<&'a str>,
    session_token: Option<&'a str>,
    session_jwt: Option<&'a str>,
) -> Result<Context<'a>, ApiFailure> {
    let existing = Credential::one_of(session_token, session_jwt)?;
    let intermediate = intermediate.filter(|t| !t.is_empty());
    if intermediate.is_none() && existing.is_none() {
        return Err(mfa::primary_authentication_required().into());
    }
    check_intermediate(state, project_id, intermediate, member).await?;
    Ok(Context {
        existing,
        intermediate,
    })
}

/// Checks an intermediate session passed where it is only *accepted*, not spent (TOTP
/// create): it must be live and the member's.
pub async fn check_intermediate(
    state: &AppState,
    project_id: &str,
    token: Option<&str>,
    member: &Member,
) -> Result<(), ApiFailure> {
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        load(state, project_id, t, member).await?;
    }
    Ok(())
}

struct Finished<'a> {
    intermediate: Option<&'a latchkey_core::secret::SecretHash>,
    proof: SecondFactorProof<'a>,
    changed_member: Option<&'a Member>,
    spent: fn() -> ApiError,
}

fn new_session(
    state: &AppState,
    project_id: &str,
    member: &Member,
    factors: Vec<AuthenticationFactor>,
    minutes: Option<i64>,
    custom_claims: Option<&Map<String, Value>>,
) -> Result<session::SessionRecord, ApiError> {
    let id = make_id(
        "session",
        Environment::of_project(project_id),
        state.tokens.uuid(),
    );
    mfa::complete(
        id,
        project_id,
        member,
        factors,
        minutes,
        custom_claims,
        state.clock.now(),
    )
}

async fn write_new(
    state: &AppState,
    project_id: &str,
    member: &Member,
    org: &Organization,
    record: session::SessionRecord,
    done: Finished<'_>,
) -> Result<Issued, ApiFailure> {
    let token = SessionToken::generate(state.tokens.as_ref());
    let hash = token.hash();
    let c = MfaCompletion {
        project_id,
        intermediate: done.intermediate,
        proof: done.proof,
        member: done.changed_member,
        session: SessionWrite::New {
            record: &record,
            token_hash: &hash,
        },
        now: state.clock.now().unix_timestamp(),
    };
    outcome(state.store.complete_mfa(&c).await?, done.spent)?;
    let token = token.expose_secret().to_owned();
    live::issue(state, project_id, &record, token, member, org).await
}

fn outcome(o: MfaOutcome, spent: fn() -> ApiError) -> Result<(), ApiError> {
    match o {
        MfaOutcome::Done => Ok(()),
        MfaOutcome::IntermediateGone => Err(mfa::intermediate_session_not_found()),
        MfaOutcome::ProofSpent => Err(spent()),
        MfaOutcome::SessionGone => Err(session::session_not_found()),
    }
}
