//! Member sessions at run time, shared by every endpoint that logs a member in or takes a
//! session (passwords, magic links, sessions, Connected Apps authorize): resolving a session
//! from its token or JWT, starting one, and minting its JWT.

use latchkey_core::ids::{make_id, Environment};
use latchkey_core::jwt::{self, Expectations, VerifyError};
use latchkey_core::session::{self, SessionRecord, SessionToken};
use latchkey_core::{member, ApiError};
use latchkey_store::MemberLookup;
use latchkey_types::{AuthenticationFactor, Member, MemberSession, Organization};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// Verification leeway for `nbf`/`iat` clock skew between replicas and clients.
const JWT_LEEWAY_SECS: i64 = 30;

/// How the caller names a session.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    Token(&'a str),
    Jwt(&'a str),
}

impl<'a> Credential<'a> {
    /// Exactly one of `session_token` / `session_jwt` (Stytch: an error if both).
    pub fn one_of(token: Option<&'a str>, jwt: Option<&'a str>) -> Result<Option<Self>, ApiError> {
        match (
            token.filter(|t| !t.is_empty()),
            jwt.filter(|t| !t.is_empty()),
        ) {
            (Some(t), None) => Ok(Some(Credential::Token(t))),
            (None, Some(j)) => Ok(Some(Credential::Jwt(j))),
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "too_many_session_arguments",
                "Pass either session_token or session_jwt, not both.",
            )),
        }
    }
}

/// A session with the member and organization it belongs to.
pub struct Loaded {
    pub record: SessionRecord,
    pub member: Member,
    pub org: Organization,
}

/// Whether a session JWT past its `exp` may still name its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtExpiry {
    /// `sessions/authenticate` only: Stytch accepts an expired JWT whose signature is good and
    /// whose session lives, and answers with a fresh one (Stytch §15.6).
    AllowExpired,
    /// Everywhere else (exchange, revoke, logins extending a session, Connected Apps authorize,
    /// the member-scoped headers): `exp` is checked, with [`JWT_LEEWAY_SECS`] of leeway.
    Enforce,
}

/// Finds a live session by token or JWT; a JWT must not have expired (issue 9 #12).
pub async fn resolve(
    state: &AppState,
    project_id: &str,
    cred: Credential<'_>,
) -> Result<Loaded, ApiFailure> {
    resolve_with(state, project_id, cred, JwtExpiry::Enforce).await
}

/// Finds a live session by token or JWT, accepting an expired JWT or not as `expiry` says.
pub async fn resolve_with(
    state: &AppState,
    project_id: &str,
    cred: Credential<'_>,
    expiry: JwtExpiry,
) -> Result<Loaded, ApiFailure> {
    let record = match cred {
        Credential::Token(t) => {
            state
                .store
                .session_by_token(project_id, &SessionToken::hash_of(t))
                .await?
        }
        Credential::Jwt(j) => {
            let claims = verify_session_jwt(state, project_id, j, expiry).await?;
            let id = session::session_id_from_claims(&claims).ok_or_else(|| {
                ApiError::new(
                    401,
                    "unable_to_parse_session_jwt",
                    "The session JWT has no session id.",
                )
            })?;
            state.store.session_by_id(project_id, id).await?
        }
    };
    let record = record.ok_or_else(session::session_not_found)?;
    if record.expires_at <= state.clock.now().unix_timestamp() {
        return Err(session::session_not_found().into());
    }
    let org = state
        .store
        .get_organization(project_id, &record.organization_id)
        .await?
        .ok_or_else(session::session_not_found)?;
    let member = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&record.member_id),
        )
        .await?
        .ok_or_else(session::session_not_found)?;
    Ok(Loaded {
        record,
        member,
        org,
    })
}

async fn verify_session_jwt(
    state: &AppState,
    project_id: &str,
    token: &str,
    expiry: JwtExpiry,
) -> Result<Value, ApiFailure> {
    let now = state.clock.now().unix_timestamp();
    let expect = Expectations::new([session::jwt_issuer(project_id)], project_id)
        .with_leeway(JWT_LEEWAY_SECS);
    let verify = |keys: &jwt::KeySet| match expiry {
        JwtExpiry::AllowExpired => jwt::verify_jwt_allow_expired(token, keys, now, &expect),
        JwtExpiry::Enforce => jwt::verify_jwt(token, keys, now, &expect),
    };
    let keys = state
        .keys
        .key_set(project_id, now, state.tokens.as_ref())
        .await
        .map_err(key_failure)?;
    match verify(&keys) {
        Err(VerifyError::UnknownKid) => {
            // Another replica may have rotated: read the keys again once.
            let keys = state
                .keys
                .reload(project_id, now, state.tokens.as_ref())
                .await
                .map_err(key_failure)?;
            verify(&keys).map_err(|e| jwt_error(&e).into())
        }
        other => other.map_err(|e| jwt_error(&e).into()),
    }
}

/// Stytch error types for a session JWT that does not verify.
fn jwt_error(e: &VerifyError) -> ApiError {
    let kind = match e {
        VerifyError::UnknownKid | VerifyError::BadSignature => "invalid_signature",
        VerifyError::WrongIssuer => "jwt_invalid_issuer",
        VerifyError::WrongAudience => "jwt_invalid_audience",
        VerifyError::NotYetValid | VerifyError::Expired => "jwt_invalid_claims",
        _ => "unable_to_parse_session_jwt",
    };
    ApiError::new(401, kind, format!("The session JWT is not valid: {e}."))
}

pub fn key_failure(e: crate::keys::KeyError) -> ApiFailure {
    tracing::error!(error = %e, "signing keys unavailable");
    ApiFailure(ApiError::internal())
}

/// What a login returns: the session object, its token (empty when the caller authenticated
/// with a JWT: only the token's hash is stored) and a fresh JWT.
#[derive(Serialize)]
pub struct Issued {
    pub member_session: MemberSession,
    pub session_token: String,
    pub session_jwt: String,
}

/// A successful login, about to become a session.
pub struct Login<'a> {
    /// The caller's current session, to add the factor to instead of starting a new one.
    pub existing: Option<Credential<'a>>,
    pub member: &'a Member,
    pub org: &'a Organization,
    pub factor: AuthenticationFactor,
    /// `session_duration_minutes` as requested (validated here).
    pub minutes: Option<i64>,
    pub custom_claims: Option<&'a Map<String, Value>>,
}

/// Starts a new session with the login's factor, or adds the factor to the caller's existing
/// session (`session_token` / `session_jwt` on a login request), and issues it.
pub async fn start_or_extend(
    state: &AppState,
    project_id: &str,
    login: Login<'_>,
) -> Result<Issued, ApiFailure> {
    let Login {
        existing,
        member,
        org,
        factor: first_factor,
        minutes,
        custom_claims,
    } = login;
    let minutes = session::duration(minutes)?;
    let now = state.clock.now();
    if let Some(cred) = existing {
        let mut loaded = resolve(state, project_id, cred).await?;
        if loaded.record.member_id != member.member_id {
            return Err(ApiError::bad_request(
                "session_member_mismatch",
                "The session belongs to a different member.",
            )
            .into());
        }
        session::touch(&mut loaded.record, minutes, now)?;
        session::add_factor(&mut loaded.record, first_factor);
        if let Some(c) = custom_claims {
            session::merge_custom_claims(&mut loaded.record, c)?;
        }
        state.store.update_session(&loaded.record).await?;
        let token = match cred {
            Credential::Token(t) => t.to_string(),
            Credential::Jwt(_) => String::new(),
        };
        return issue(state, project_id, &loaded.record, token, member, org).await;
    }
    let id = make_id(
        "session",
        Environment::of_project(project_id),
        state.tokens.uuid(),
    );
    let record = session::start(
        id,
        project_id,
        member,
        first_factor,
        minutes,
        custom_claims,
        now,
    )?;
    let token = SessionToken::generate(state.tokens.as_ref());
    state.store.insert_session(&record, &token.hash()).await?;
    issue(
        state,
        project_id,
        &record,
        token.expose_secret().to_string(),
        member,
        org,
    )
    .await
}

/// Renders a session and signs its JWT.
pub async fn issue(
    state: &AppState,
    project_id: &str,
    record: &SessionRecord,
    session_token: String,
    member: &Member,
    org: &Organization,
) -> Result<Issued, ApiFailure> {
    let roles = member::effective_role_ids(member, org);
    let member_session = session::render(record, org, roles);
    let session_jwt = sign_jwt(state, project_id, &member_session).await?;
    Ok(Issued {
        member_session,
        session_token,
        session_jwt,
    })
}

/// Signs the session JWT with the project's active key.
pub async fn sign_jwt(
    state: &AppState,
    project_id: &str,
    s: &MemberSession,
) -> Result<String, ApiFailure> {
    let now = state.clock.now();
    let keys = state
        .keys
        .key_set(project_id, now.unix_timestamp(), state.tokens.as_ref())
        .await
        .map_err(key_failure)?;
    let jti = state.tokens.uuid().simple().to_string();
    let claims = session::jwt_claims(s, project_id, &jti, now);
    jwt::sign_jwt(keys.active(), &claims).map_err(|e| {
        tracing::error!(error = %e, "session JWT signing failed");
        ApiFailure(ApiError::internal())
    })
}
