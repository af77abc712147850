//! B2B passwords (https://stytch.com/docs/b2b/api/passwords-authenticate, `passwords-migrate`,
//! `passwords-strength-check`): log in with a password, import password hashes from another
//! system, and judge a password's strength.
//!
//! Choices where Stytch's docs leave room (README "Passwords"):
//! - A wrong password, an unknown email, a member without a password and a member who is not
//!   `active` all answer the same 401 `unauthorized_credentials`, and an unknown email still
//!   costs one argon2id verification (of [`password::DUMMY_PHC`]), as does a wrong password for an
//!   imported hash, so neither the answer nor its timing tells which emails exist or were imported.
//! - Lockout and per-address throttling follow [`lockout`]: 429 `user_lock_limit_reached` for a
//!   locked member, 429 `too_many_requests` for an address with too many failures.
//! - Hashing and verification run on tokio's blocking pool, never on the async workers.
//! - An imported hash is verified as imported; the first successful login replaces it with
//!   argon2id (only if it is still the same hash).
//! - Where MFA is required (`mfa_policy: REQUIRED_FOR_ALL`, `mfa_enrolled`) a correct password
//!   answers as Stytch does: `member_authenticated: false`, an `intermediate_session_token`
//!   and `mfa_required`, no session ([`crate::mfa::primary_login`]). A wrong password still
//!   answers 401 first, so the answer says nothing about MFA to a wrong guess.

use axum::extract::State;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::organization::policy::{self as org_policy, AuthMethod};
use latchkey_core::password::lockout::{self, LockoutPolicy};
use latchkey_core::password::{
    self, strength_check, ImportedHash, MigrateConfigs, PasswordError, StoredHash, StrengthResult,
};
use latchkey_core::session;
use latchkey_core::{member, ApiError};
use latchkey_store::{FailureSubject, MemberLock, MemberLookup, MemberPassword};
use latchkey_types::AuditParty;
use latchkey_types::{
    Member, MemberCreateRequest, MemberUpdateRequest, Organization, PasswordAuthenticateRequest,
    PasswordInput, PasswordStrengthCheckRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::auth::Project;
use super::password_failure::PasswordFailure;
use crate::client_address::ClientAddress;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::mfa::{LoginAnswer, Primary};
use crate::sessions::Credential;
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

/// `api_b2b_password_v1_AuthenticateResponse`.
#[derive(Serialize)]
pub struct AuthenticateResponse {
    pub member_id: String,
    pub organization_id: String,
    pub member: Member,
    pub organization: Organization,
    #[serde(flatten)]
    pub answer: LoginAnswer,
    pub primary_required: Option<Value>,
    pub member_device: Option<Value>,
}

/// `POST /v1/b2b/passwords/authenticate`.
pub async fn authenticate(
    State(state): State<AppState>,
    project: Project,
    ClientAddress(ip): ClientAddress,
    ApiJson(req): ApiJson<PasswordAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let pid = project.project_id.as_str();
    let org_key = required(req.organization_id.as_deref(), "organization_id")?;
    let email = required(req.email_address.as_deref(), "email_address")?;
    let password = req
        .password
        .ok_or_else(|| ApiError::missing_field("password"))?;
    let existing = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    session::duration(req.session_duration_minutes)?;
    let org = super::organizations::load(&state, &project, org_key).await?;
    let now = state.clock.now();
    let checked = check_password(&state, pid, ip, &org, email, password).await;
    crate::metrics::password_login("api", &checked);
    let m = &checked.map_err(PasswordFailure::into_api)?;
    let factor = session::factor("password", "knowledge", m, now);
    let primary = Primary {
        existing,
        intermediate: req.intermediate_session_token.as_deref(),
        member: m,
        org: &org,
        factor,
        minutes: req.session_duration_minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let answer = crate::mfa::primary_login(&state, pid, primary).await?;
    Ok(ok(AuthenticateResponse {
        member_id: m.member_id.clone(),
        organization_id: org.organization_id.clone(),
        member: member::render(m, &org),
        organization: org,
        answer,
        primary_required: None,
        member_device: None,
    }))
}

/// Checks `password` for the member with `email` in `org`, under the organization's allowed
/// methods, the member lockout and the per-address throttle (shared with the hosted login page).
/// Returns the member, its failures cleared and an imported hash upgraded. Every attempt is an
/// audit event (`member.login`, factor `password`).
pub(crate) async fn check_password(
    state: &AppState,
    pid: &str,
    ip: Option<std::net::IpAddr>,
    org: &Organization,
    email: &str,
    password: PasswordInput,
) -> Result<Member, PasswordFailure> {
    use crate::audit::EventExt;
    let r = check_password_once(state, pid, ip, org, email, password).await;
    let (actor, outcome, reason) = match &r {
        Ok(m) => (AuditParty::new("member", &m.member_id), "success", None),
        Err(f) => {
            let reason = match f {
                PasswordFailure::Credentials => "unauthorized_credentials",
                PasswordFailure::Locked => "user_lock_limit_reached",
                PasswordFailure::Throttled(_) => "too_many_requests",
                PasswordFailure::MethodNotAllowed(_) => "unauthorized_auth_method",
                PasswordFailure::ResetRequired => "member_reset_password",
                PasswordFailure::Internal(_) => "internal_server_error",
            };
            // The address is the actor of a failed attempt: the email may not be a member.
            (
                AuditParty::new("address", &ip.map(|i| i.to_string()).unwrap_or_default()),
                "failure",
                Some(reason),
            )
        }
    };
    let mut e = crate::audit::event(
        state,
        pid,
        Some(&org.organization_id),
        crate::audit::actions::LOGIN,
        actor,
        ip,
    )
    .outcome(outcome)
    .detail("factor", "password");
    if let Some(reason) = reason {
        e = e.detail("reason", reason);
    }
    crate::audit::record(state, e).await;
    r
}

async fn check_password_once(
    state: &AppState,
    pid: &str,
    ip: Option<std::net::IpAddr>,
    org: &Organization,
    email: &str,
    password: PasswordInput,
) -> Result<Member, PasswordFailure> {
    org_policy::require(org, AuthMethod::Password).map_err(PasswordFailure::MethodNotAllowed)?;
    let policy = LockoutPolicy::default();
    let now = state.clock.now();
    let bucket = lockout::address_bucket(ip);
    let address = FailureSubject::Address(&bucket);
    let failures = state
        .store
        .password_failures(
            pid,
            address,
            now.unix_timestamp(),
            policy.address_window_secs,
        )
        .await?;
    lockout::check_address(failures, &policy).map_err(PasswordFailure::Throttled)?;

    let member = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(email))
        .await?
        .filter(member::is_active);
    if let Some(m) = &member {
        if lockout::is_locked(m.is_locked, m.lock_expires_at.as_deref(), now) {
            count_failure(state, pid, &bucket, None, &policy).await?;
            return Err(PasswordFailure::Locked);
        }
    }
    let stored = match &member {
        Some(m) => state.store.member_password(pid, &m.member_id).await?,
        None => None,
    };
    let mut salt = [0u8; password::SALT_LEN];
    state.tokens.fill(&mut salt);
    let verified = verify(stored.as_ref(), password, salt).await?;
    match (member, stored, verified) {
        (Some(mut m), Some(stored), Some(verified)) => {
            on_success(state, pid, &mut m, &stored, verified).await?;
            // A correct password only: a wrong guess learns nothing about the mark (0019).
            if stored.reset_required {
                return Err(PasswordFailure::ResetRequired);
            }
            Ok(m)
        }
        (member, _, _) => Err(count_failure(state, pid, &bucket, member.as_ref(), &policy).await?),
    }
}

fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing_field(field))
}

/// A matching password, with the argon2id hash to replace the stored one with when that one is
/// imported or outdated.
struct Verified {
    upgrade: Option<String>,
}

/// Verifies on the blocking pool (and, when the stored hash needs upgrading, hashes the password
/// afresh with `salt` in the same task). `Some` when the password matches; with no stored hash, a
/// dummy argon2id verification keeps the timing the same and `None` comes back.
async fn verify(
    stored: Option<&MemberPassword>,
    password: PasswordInput,
    salt: [u8; password::SALT_LEN],
) -> Result<Option<Verified>, ApiFailure> {
    let loaded = stored
        .map(|p| StoredHash::load(&p.kind, &p.hash))
        .transpose()
        .map_err(|e| hash_failure(&e))?;
    blocking(move || {
        let pw = password.expose_secret();
        let Some(h) = loaded else {
            return password::verify_password(pw, password::DUMMY_PHC).map(|_| None);
        };
        if !h.verify(pw)? {
            // An imported hash (bcrypt cost 4, a salted digest…) can be far cheaper than
            // argon2id; a failure costs one argon2id verification like every other failure, so
            // the timing does not tell which members were imported (issue 9 #14).
            if matches!(h, StoredHash::Imported(_)) {
                password::verify_password(pw, password::DUMMY_PHC)?;
            }
            return Ok(None);
        }
        let upgrade = match h.needs_upgrade() {
            true => Some(password::hash_password(pw, &salt)?),
            false => None,
        };
        Ok(Some(Verified { upgrade }))
    })
    .await?
    .map_err(|e| hash_failure(&e))
}

/// Runs CPU-heavy work (hashing, zxcvbn) on tokio's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiFailure> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "password task failed");
        ApiFailure(ApiError::internal())
    })
}

fn hash_failure(e: &PasswordError) -> ApiFailure {
    tracing::error!(error = %e, "stored password hash unusable");
    ApiFailure(ApiError::internal())
}

/// Counts a failed attempt against the address and (when known) the member; locks the member at
/// the threshold. Returns the failure the caller answers with.
async fn count_failure(
    state: &AppState,
    pid: &str,
    bucket: &str,
    member: Option<&Member>,
    policy: &LockoutPolicy,
) -> Result<PasswordFailure, ApiFailure> {
    let now = state.clock.now();
    let t = now.unix_timestamp();
    let address = FailureSubject::Address(bucket);
    state
        .store
        .record_password_failure(pid, address, t, policy.address_window_secs)
        .await?;
    let Some(m) = member else {
        return Ok(PasswordFailure::Credentials);
    };
    let subject = FailureSubject::Member(&m.member_id);
    let n = state
        .store
        .record_password_failure(pid, subject, t, policy.member_window_secs)
        .await?;
    let Some(lock) = lockout::lock_after_failure(n, now, policy) else {
        return Ok(PasswordFailure::Credentials);
    };
    let lock = MemberLock {
        created_at: lock.created_at,
        expires_at: lock.expires_at,
    };
    state
        .store
        .set_member_lock(&m.organization_id, &m.member_id, Some(&lock))
        .await?;
    // The count starts afresh once the lock expires.
    state.store.clear_password_failures(pid, subject).await?;
    Ok(PasswordFailure::Locked)
}

/// After a good password: forget the member's failures, drop an expired lock, and upgrade an
/// imported or outdated hash to argon2id.
async fn on_success(
    state: &AppState,
    pid: &str,
    m: &mut Member,
    stored: &MemberPassword,
    verified: Verified,
) -> Result<(), ApiFailure> {
    state
        .store
        .clear_password_failures(pid, FailureSubject::Member(&m.member_id))
        .await?;
    if m.is_locked {
        state
            .store
            .set_member_lock(&m.organization_id, &m.member_id, None)
            .await?;
        m.is_locked = false;
        m.lock_created_at = None;
        m.lock_expires_at = None;
    }
    if let Some(phc) = verified.upgrade {
        // Conditional: if a migrate replaced the hash meanwhile, that one stays.
        state
            .store
            .upgrade_password_hash(&m.member_id, &stored.hash, &phc, password::NATIVE_KIND)
            .await?;
    }
    Ok(())
}

/// `POST /v1/b2b/passwords/migrate` body (`api_b2b_password_v1_MigrateRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct MigrateRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub hash: Option<String>,
    pub hash_type: Option<String>,
    pub md_5_config: Option<password::migrate::SaltAffixConfig>,
    pub sha_1_config: Option<password::migrate::SaltAffixConfig>,
    pub sha_512_config: Option<password::migrate::SaltAffixConfig>,
    pub argon_2_config: Option<password::migrate::Argon2Config>,
    pub scrypt_config: Option<password::migrate::ScryptConfig>,
    pub pbkdf_2_config: Option<password::migrate::Pbkdf2Config>,
    pub name: Option<String>,
    pub trusted_metadata: Option<Map<String, Value>>,
    pub untrusted_metadata: Option<Map<String, Value>>,
    pub roles: Option<Vec<String>>,
    /// Concerns sessions with SSO factors, which latchkey does not have yet: accepted, no effect.
    pub preserve_existing_sessions: Option<bool>,
    pub mfa_phone_number: Option<String>,
    pub set_phone_number_verified: Option<bool>,
    pub external_id: Option<String>,
}

/// `api_b2b_password_v1_MigrateResponse`.
#[derive(Serialize)]
pub struct MigrateResponse {
    pub member_id: String,
    pub member_created: bool,
    pub member: Member,
    pub organization: Organization,
}

/// `POST /v1/b2b/passwords/migrate`: imports a hash for the member with this email, creating
/// the member (email verified) when there is none; an existing member's password is replaced and
/// the given profile fields are applied to it.
pub async fn migrate(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<MigrateRequest>,
) -> ApiResult<MigrateResponse> {
    let pid = project.project_id.as_str();
    let org_key = required(req.organization_id.as_deref(), "organization_id")?;
    let email = required(req.email_address.as_deref(), "email_address")?;
    let hash = required(req.hash.as_deref(), "hash")?;
    let hash_type = required(req.hash_type.as_deref(), "hash_type")?;
    let imported = ImportedHash::parse(hash_type, hash, &configs(&req)).map_err(migrate_error)?;
    let (kind, stored_hash) = StoredHash::Imported(imported)
        .to_storage()
        .map_err(migrate_error)?;
    let org = super::organizations::load(&state, &project, org_key).await?;
    let env = Environment::of_project(pid);
    let now = state.clock.now();
    let mut pw = MemberPassword {
        member_password_id: make_id("member-password", env, state.tokens.uuid()),
        project_id: pid.to_owned(),
        member_id: String::new(),
        hash: stored_hash,
        kind,
        created_at: now.unix_timestamp(),
        reset_required: false,
    };
    let policy = state.effective_policy(pid).await?;
    let roles = crate::state::role_ids(&policy);
    let found = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(email))
        .await?;
    let created = found.is_none();
    let mut m = match found {
        Some(mut m) => {
            member::update(&mut m, &org, &update_request(&req), &roles, now)?;
            mark_phone_verified(&mut m, &req);
            pw.member_id = m.member_id.clone();
            // Profile and password commit together (issue 9 item 7).
            if !state.store.replace_member_password(&m, &pw).await? {
                return Err(ApiError::member_not_found().into());
            }
            m
        }
        None => {
            let id = make_id("member", env, state.tokens.uuid());
            let mut m = member::create(id, &org, &create_request(&req, email), &roles, now)?;
            m.email_address_verified = true;
            mark_phone_verified(&mut m, &req);
            pw.member_id = m.member_id.clone();
            state
                .store
                .insert_member_with_password(pid, &m, &pw)
                .await?;
            m
        }
    };
    m.member_password_id = pw.member_password_id;
    Ok(ok(MigrateResponse {
        member_id: m.member_id.clone(),
        member_created: created,
        member: member::render(&m, &org),
        organization: org,
    }))
}

fn configs(req: &MigrateRequest) -> MigrateConfigs {
    MigrateConfigs {
        md_5_config: req.md_5_config.clone(),
        sha_1_config: req.sha_1_config.clone(),
        sha_512_config: req.sha_512_config.clone(),
        argon_2_config: req.argon_2_config.clone(),
        scrypt_config: req.scrypt_config.clone(),
        pbkdf_2_config: req.pbkdf_2_config.clone(),
    }
}

fn migrate_error(e: PasswordError) -> ApiError {
    ApiError::bad_request(e.stytch_error_type(), e.to_string())
}

fn create_request(req: &MigrateRequest, email: &str) -> MemberCreateRequest {
    MemberCreateRequest {
        email_address: Some(email.to_owned()),
        name: req.name.clone(),
        trusted_metadata: req.trusted_metadata.clone(),
        untrusted_metadata: req.untrusted_metadata.clone(),
        mfa_phone_number: req.mfa_phone_number.clone(),
        roles: req.roles.clone(),
        external_id: req.external_id.clone(),
        ..Default::default()
    }
}

fn update_request(req: &MigrateRequest) -> MemberUpdateRequest {
    MemberUpdateRequest {
        name: req.name.clone(),
        trusted_metadata: req.trusted_metadata.clone(),
        untrusted_metadata: req.untrusted_metadata.clone(),
        mfa_phone_number: req.mfa_phone_number.clone(),
        roles: req.roles.clone(),
        preserve_existing_sessions: req.preserve_existing_sessions,
        external_id: req.external_id.clone(),
        ..Default::default()
    }
}

/// `set_phone_number_verified`: the imported `mfa_phone_number` counts as verified.
fn mark_phone_verified(m: &mut Member, req: &MigrateRequest) {
    if req.set_phone_number_verified == Some(true) && !m.mfa_phone_number.is_empty() {
        m.mfa_phone_number_verified = true;
    }
}

/// `POST /v1/b2b/passwords/strength_check`: zxcvbn score and feedback, LUDS feedback, under the
/// configured policy. Breach detection (HaveIBeenPwned) is off: it would send data to a third
/// party, so `breach_detection_on_create` and `breached_password` are false.
pub async fn strength_check_handler(
    State(state): State<AppState>,
    _project: Project,
    ApiJson(req): ApiJson<PasswordStrengthCheckRequest>,
) -> ApiResult<StrengthResult> {
    let password = req
        .password
        .ok_or_else(|| ApiError::missing_field("password"))?;
    let policy = state.config.password_strength_policy;
    let email = req.email_address;
    let result =
        blocking(move || strength_check(password.expose_secret(), email.as_deref(), policy))
            .await?;
    Ok(ok(result))
}
