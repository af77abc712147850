//! B2B email magic links (https://stytch.com/docs/b2b/api/send-login-signup-email,
//! https://stytch.com/docs/b2b/api/send-invite-email,
//! https://stytch.com/docs/b2b/api/authenticate-magic-link; Stytch §15.5): send a login or
//! signup link, send an invite, and redeem a link for a session.

use axum::extract::State;
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::magic_link::{
    self as ml, InviteDecision, LinkKind, MagicLinkToken, SendDecision,
};
use latchkey_core::oauth::pkce::{self, PkceChallenge, PkceError, PkceVerifier};
use latchkey_core::organization::policy::{self as org_policy, AuthMethod};
use latchkey_core::{member, session, validate, ApiError};
use latchkey_store::{Conflict, Consumed, MagicLinkRecord, MemberLookup, StoreError};
use latchkey_types::{
    MagicLinkAuthenticateRequest, MagicLinkInviteRequest, MagicLinkLoginOrSignupRequest, Member,
    MemberCreateRequest, MemberUpdateRequest, Organization,
};
use serde::Serialize;
use serde_json::Value;

use super::auth::Project;
use super::organizations::load as load_org;
use crate::envelope::{ok, ApiFailure, ApiJson, Stytch};
use crate::mail::{html_escape, Mail};
use crate::sessions::{self as live, Credential};
use crate::state::AppState;

type ApiResult<T> = Result<Stytch<T>, ApiFailure>;

#[derive(Serialize)]
pub struct LoginOrSignupResponse {
    pub member_id: String,
    pub member_created: bool,
    pub member: Member,
    pub organization: Organization,
}

#[derive(Serialize)]
pub struct InviteResponse {
    pub member_id: String,
    pub member: Member,
    pub organization: Organization,
}

#[derive(Serialize)]
pub struct AuthenticateResponse {
    pub member_id: String,
    pub organization_id: String,
    pub method_id: String,
    pub reset_sessions: bool,
    #[serde(flatten)]
    pub answer: crate::mfa::LoginAnswer,
    pub member: Member,
    pub organization: Organization,
    pub primary_required: Option<Value>,
}

pub(crate) fn pkce_error(e: PkceError) -> ApiError {
    ApiError::bad_request(e.error_type(), e.to_string())
}

fn required<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_field(field))
}

/// `POST /v1/b2b/magic_links/email/login_or_signup`: a login link for an active member, a
/// signup link for a pending or invited one, or a new pending member (when the organization's
/// email JIT provisioning admits the address) and a signup link.
pub async fn login_or_signup(
    State(state): State<AppState>,
    project: Project,
    ApiJson(req): ApiJson<MagicLinkLoginOrSignupRequest>,
) -> ApiResult<LoginOrSignupResponse> {
    let org_key = required(&req.organization_id, "organization_id")?;
    let email = validate::email(required(&req.email_address, "email_address")?)?;
    let challenge = req
        .pkce_code_challenge
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(PkceChallenge::parse)
        .transpose()
        .map_err(pkce_error)?;
    let org = load_org(&state, &project, org_key).await?;
    org_policy::require(&org, AuthMethod::MagicLink)?;
    let existing = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?;
    let decision = ml::login_or_signup(&org, existing.as_ref(), &email)?;
    let (kind, given_url, given_minutes, field) = match decision {
        SendDecision::Login => (
            LinkKind::Login,
            &req.login_redirect_url,
            req.login_expiration_minutes,
            "login_expiration_minutes",
        ),
        _ => (
            LinkKind::Signup,
            &req.signup_redirect_url,
            req.signup_expiration_minutes,
            "signup_expiration_minutes",
        ),
    };
    let minutes = ml::expiration_minutes(field, given_minutes, ml::DEFAULT_LOGIN_MINUTES)?;
    let redirect = registered_redirect(&state, &project, kind, given_url.as_deref()).await?;
    state.email_sends.check(
        &format!("{}\n{email}", project.project_id),
        state.clock.now(),
    )?;
    let (stored, created) = match existing {
        Some(m) => (m, false),
        None => create_member(&state, &project, &org, &email, "pending", None).await?,
    };
    let link = issue_link(
        &state, &project, &stored, kind, &redirect, challenge, minutes,
    )
    .await?;
    send_mail(&state, &project, &org, &stored.email_address, kind, link).await?;
    Ok(ok(LoginOrSignupResponse {
        member_id: stored.member_id.clone(),
        member_created: created,
        member: member::render(&stored, &org),
        organization: org,
    }))
}

/// `POST /v1/b2b/magic_links/email/invite`: creates the member as `invited` (or moves a pending
/// member to `invited`) and sends an invite link.
pub async fn invite(
    State(state): State<AppState>,
    project: Project,
    actor: super::member_auth::MemberActor,
    ApiJson(req): ApiJson<MagicLinkInviteRequest>,
) -> ApiResult<InviteResponse> {
    let acting = actor.resolve(&state, &project.project_id).await?;
    let org_key = required(&req.organization_id, "organization_id")?;
    let email = validate::email(required(&req.email_address, "email_address")?)?;
    let org = load_org(&state, &project, org_key).await?;
    // An invite is a magic link: the link could not be redeemed where magic links are refused.
    org_policy::require(&org, AuthMethod::MagicLink)?;
    let op = latchkey_core::rbac::Operation::MemberInvite {
        roles: req.roles.as_ref().is_some_and(|r| !r.is_empty()),
        trusted_metadata: req.trusted_metadata.is_some(),
    };
    let pid = &project.project_id;
    super::member_auth::check(acting.as_ref(), &state, pid, &org, None, op).await?;
    if let Some(by) = req
        .invited_by_member_id
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        state
            .store
            .get_member(&org.organization_id, MemberLookup::IdOrExternalId(by))
            .await?
            .ok_or_else(ApiError::member_not_found)?;
    }
    let existing = state
        .store
        .get_member(&org.organization_id, MemberLookup::Email(&email))
        .await?;
    let decision = ml::invite(&org, existing.as_ref(), &email)?;
    let minutes = ml::expiration_minutes(
        "invite_expiration_minutes",
        req.invite_expiration_minutes,
        ml::DEFAULT_INVITE_MINUTES,
    )?;
    let redirect = registered_redirect(
        &state,
        &project,
        LinkKind::Invite,
        req.invite_redirect_url.as_deref(),
    )
    .await?;
    state.email_sends.check(
        &format!("{}\n{email}", project.project_id),
        state.clock.now(),
    )?;
    let stored = match (decision, existing) {
        (InviteDecision::Reinvite, Some(mut m)) => {
            let update = MemberUpdateRequest {
                name: req.name.clone(),
                trusted_metadata: req.trusted_metadata.clone(),
                untrusted_metadata: req.untrusted_metadata.clone(),
                roles: req.roles.clone(),
                ..Default::default()
            };
            let policy = state.effective_policy(&project.project_id).await?;
            let roles = crate::state::role_ids(&policy);
            member::update(&mut m, &org, &update, &roles, state.clock.now())?;
            m.status = "invited".into();
            if !state.store.update_member(&m).await? {
                return Err(ApiError::member_not_found().into());
            }
            m
        }
        _ => {
            create_member(&state, &project, &org, &email, "invited", Some(&req))
                .await?
                .0
        }
    };
    let kind = LinkKind::Invite;
    let link = issue_link(&state, &project, &stored, kind, &redirect, None, minutes).await?;
    send_mail(&state, &project, &org, &stored.email_address, kind, link).await?;
    Ok(ok(InviteResponse {
        member_id: stored.member_id.clone(),
        member: member::render(&stored, &org),
        organization: org,
    }))
}

/// The link's redirect URL (the request's, else the configured default), which must be
/// registered for the project (issue 9 #16, [`ml::redirect_allowed`]).
async fn registered_redirect(
    state: &AppState,
    project: &Project,
    kind: LinkKind,
    given: Option<&str>,
) -> Result<url::Url, ApiFailure> {
    let default = state.config.magic_link_redirect_url.as_deref();
    let redirect = ml::redirect_url(kind, given, default)?;
    let registered = state.store.redirect_urls(&project.project_id).await?;
    let test_project = Environment::of_project(&project.project_id) == Environment::Test;
    if !ml::redirect_allowed(&redirect, &registered, default, test_project) {
        return Err(ml::redirect_not_registered(kind).into());
    }
    Ok(redirect)
}

/// Creates a member with `status`; if a concurrent request created one with this email first,
/// uses that one (`created` false).
pub(crate) async fn create_member(
    state: &AppState,
    project: &Project,
    org: &Organization,
    email: &str,
    status: &str,
    invite: Option<&MagicLinkInviteRequest>,
) -> Result<(Member, bool), ApiFailure> {
    let req = MemberCreateRequest {
        email_address: Some(email.to_string()),
        name: invite.and_then(|r| r.name.clone()),
        trusted_metadata: invite.and_then(|r| r.trusted_metadata.clone()),
        untrusted_metadata: invite.and_then(|r| r.untrusted_metadata.clone()),
        roles: invite.and_then(|r| r.roles.clone()),
        ..Default::default()
    };
    let id = make_id(
        "member",
        Environment::of_project(&project.project_id),
        state.tokens.uuid(),
    );
    let policy = state.effective_policy(&project.project_id).await?;
    let roles = crate::state::role_ids(&policy);
    let mut m = member::create(id, org, &req, &roles, state.clock.now())?;
    m.status = status.into();
    match state.store.insert_member(&project.project_id, &m).await {
        Ok(()) => Ok((m, true)),
        Err(StoreError::Conflict(Conflict::MemberEmail)) => {
            let other = state
                .store
                .get_member(&org.organization_id, MemberLookup::Email(email))
                .await?
                .ok_or_else(ApiError::member_not_found)?;
            Ok((other, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes and stores a token for `m`; returns the link that carries it.
pub(crate) async fn issue_link(
    state: &AppState,
    project: &Project,
    m: &Member,
    kind: LinkKind,
    redirect: &url::Url,
    challenge: Option<PkceChallenge>,
    minutes: i64,
) -> Result<String, ApiFailure> {
    let link = NewLink {
        kind: kind.as_str(),
        redirect,
        challenge,
        minutes,
    };
    let token = store_link(state, &project.project_id, m, link).await?;
    Ok(ml::link(redirect, &token))
}

/// A single-use emailed link to make: login, signup and invite links, and password resets.
pub(crate) struct NewLink<'a> {
    /// `core::magic_link::LinkKind` or `core::password::reset::LINK_KIND`.
    pub kind: &'a str,
    pub redirect: &'a url::Url,
    pub challenge: Option<PkceChallenge>,
    pub minutes: i64,
}

/// Makes a token for `m` and stores its hash with the link's record; returns the token.
pub(crate) async fn store_link(
    state: &AppState,
    pid: &str,
    m: &Member,
    link: NewLink<'_>,
) -> Result<MagicLinkToken, ApiFailure> {
    let token = MagicLinkToken::generate(state.tokens.as_ref());
    let now = state.clock.now().unix_timestamp();
    let record = MagicLinkRecord {
        project_id: pid.to_owned(),
        organization_id: m.organization_id.clone(),
        member_id: m.member_id.clone(),
        kind: link.kind.into(),
        redirect_url: link.redirect.to_string(),
        pkce_code_challenge: link.challenge.map(|c| c.as_str().to_string()),
        expires_at: now + link.minutes * 60,
        used_at: None,
        created_at: now,
    };
    state
        .store
        .insert_magic_link(&token.hash(), &record)
        .await?;
    Ok(token)
}

/// Plain-text and HTML bodies for each kind of link, sent through the configured mailer.
pub(crate) async fn send_mail(
    state: &AppState,
    project: &Project,
    org: &Organization,
    to: &str,
    kind: LinkKind,
    link: String,
) -> Result<(), ApiFailure> {
    let name = &org.organization_name;
    let (subject, lead, action) = match kind {
        LinkKind::Login => (
            format!("Your login link for {name}"),
            format!("Click the link below to log in to {name}."),
            "Log in",
        ),
        LinkKind::Signup => (
            format!("Finish signing up for {name}"),
            format!("Click the link below to finish joining {name}."),
            "Sign up",
        ),
        LinkKind::Invite => (
            format!("You have been invited to {name}"),
            format!("You have been invited to join {name}. Click the link below to accept."),
            "Accept invite",
        ),
    };
    let text_body =
        format!("{lead}\n\n{link}\n\nIf you did not ask for this email, you can ignore it.\n");
    let html_body = format!(
        "<!doctype html><html><body><p>{}</p><p><a href=\"{}\">{action}</a></p>\
         <p>If you did not ask for this email, you can ignore it.</p></body></html>",
        html_escape(&lead),
        html_escape(&link),
    );
    let mail = Mail {
        project_id: project.project_id.clone(),
        to: to.to_string(),
        subject,
        text_body,
        html_body,
        link,
    };
    let now = state.clock.now().unix_timestamp();
    state.mailer.send(state.store.as_ref(), mail, now).await
}

/// `POST /v1/b2b/magic_links/authenticate`: redeems a link once (atomically), activates a
/// pending or invited member and verifies their email, and starts a session with a
/// `magic_link` factor (or adds it to the session passed in).
pub async fn authenticate(
    State(state): State<AppState>,
    project: Project,
    crate::client_address::ClientAddress(ip): crate::client_address::ClientAddress,
    ApiJson(req): ApiJson<MagicLinkAuthenticateRequest>,
) -> ApiResult<AuthenticateResponse> {
    let pid = &project.project_id;
    let token = required(&req.magic_links_token, "magic_links_token")?;
    let cred = Credential::one_of(req.session_token.as_deref(), req.session_jwt.as_deref())?;
    let minutes = session::duration(req.session_duration_minutes)?;
    let verifier = req
        .pkce_code_verifier
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(PkceVerifier::parse)
        .transpose()
        .map_err(pkce_error)?;
    let now = state.clock.now();
    let redeemed = redeem(&state, pid, token, verifier, cred, now).await;
    crate::metrics::magic_link_login("api", &redeemed);
    crate::audit::magic_link_login(&state, pid, &redeemed, ip).await;
    let (record, existing) = redeemed?;
    let (org, m) = activate_member(&state, pid, &record, now).await?;
    let factor = session::factor("magic_link", "email", &m, now);
    let method_id = factor
        .email_factor
        .as_ref()
        .map(|e| e.email_id.clone())
        .unwrap_or_default();
    let primary = crate::mfa::Primary {
        existing,
        intermediate: req.intermediate_session_token.as_deref(),
        member: &m,
        org: &org,
        factor,
        minutes,
        custom_claims: req.session_custom_claims.as_ref(),
    };
    let answer = crate::mfa::primary_login(&state, pid, primary).await?;
    Ok(ok(AuthenticateResponse {
        member_id: m.member_id.clone(),
        organization_id: org.organization_id.clone(),
        method_id,
        reset_sessions: false,
        answer,
        member: member::render(&m, &org),
        organization: org,
        primary_required: None,
    }))
}

/// Checks the token, its PKCE verifier and the caller's session, then marks the token used.
/// Everything that can fail on the caller's input is checked before the token is used up, so
/// a wrong verifier or a stale session does not burn the link. Returns the session to extend:
/// Stytch ignores a session that belongs to a different member.
pub(crate) async fn redeem<'a>(
    state: &AppState,
    pid: &str,
    token: &str,
    verifier: Option<PkceVerifier>,
    cred: Option<Credential<'a>>,
    now: time::OffsetDateTime,
) -> Result<(MagicLinkRecord, Option<Credential<'a>>), ApiFailure> {
    let hash = MagicLinkToken::hash_of(token);
    let peek = peek_usable(state, pid, &hash, verifier, false, now).await?;
    check_login_policy(state, pid, &peek).await?;
    let existing = match cred {
        Some(c) => {
            let same = live::resolve(state, pid, c).await?.record.member_id == peek.member_id;
            same.then_some(c)
        }
        None => None,
    };
    Ok((consume(state, pid, &hash, now).await?, existing))
}

/// A stored token that is still usable: known, of the wanted family (a password reset link is
/// not a login link and the reverse: both answer as unknown), unused, unexpired, and with the
/// PKCE verifier its challenge asks for. Nothing is used up.
pub(crate) async fn peek_usable(
    state: &AppState,
    pid: &str,
    hash: &latchkey_core::secret::SecretHash,
    verifier: Option<PkceVerifier>,
    reset: bool,
    now: time::OffsetDateTime,
) -> Result<MagicLinkRecord, ApiFailure> {
    let peek = state
        .store
        .magic_link(pid, hash)
        .await?
        .filter(|t| (t.kind == latchkey_core::password::reset::LINK_KIND) == reset)
        .ok_or_else(|| ml::Unusable::NotFound.to_api())?;
    if peek.used_at.is_some() {
        return Err(ml::Unusable::AlreadyUsed.to_api().into());
    }
    if peek.expires_at <= now.unix_timestamp() {
        return Err(ml::Unusable::Expired.to_api().into());
    }
    let stored_challenge = peek
        .pkce_code_challenge
        .as_deref()
        .map(PkceChallenge::parse)
        .transpose()
        .map_err(pkce_error)?;
    pkce::check_code_verifier(stored_challenge.as_ref(), verifier).map_err(pkce_error)?;
    Ok(peek)
}

/// Marks the token used, atomically: of concurrent callers, one gets the record.
pub(crate) async fn consume(
    state: &AppState,
    pid: &str,
    hash: &latchkey_core::secret::SecretHash,
    now: time::OffsetDateTime,
) -> Result<MagicLinkRecord, ApiFailure> {
    let unusable = match state
        .store
        .consume_magic_link(pid, hash, now.unix_timestamp())
        .await?
    {
        Consumed::Ok(record) => return Ok(record),
        Consumed::NotFound => ml::Unusable::NotFound,
        Consumed::AlreadyUsed => ml::Unusable::AlreadyUsed,
        Consumed::Expired => ml::Unusable::Expired,
    };
    Err(unusable.to_api().into())
}

/// The organization still allows magic links (issue 9 #5, #6). Checked before the link is used
/// up, so fixing the policy lets it work. Whether a second factor is needed is the login's
/// decision (`crate::mfa::primary_login`).
async fn check_login_policy(
    state: &AppState,
    pid: &str,
    link: &MagicLinkRecord,
) -> Result<(), ApiFailure> {
    let org = state
        .store
        .get_organization(pid, &link.organization_id)
        .await?
        .ok_or_else(|| ml::Unusable::NotFound.to_api())?;
    // The member must still exist; the link answers as unknown otherwise.
    state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&link.member_id),
        )
        .await?
        .ok_or_else(|| ml::Unusable::NotFound.to_api())?;
    org_policy::require(&org, AuthMethod::MagicLink)?;
    Ok(())
}

/// Loads the link's organization and member; a pending or invited member becomes active with a
/// verified email.
pub(crate) async fn activate_member(
    state: &AppState,
    pid: &str,
    record: &MagicLinkRecord,
    now: time::OffsetDateTime,
) -> Result<(Organization, Member), ApiFailure> {
    let org = state
        .store
        .get_organization(pid, &record.organization_id)
        .await?
        .ok_or_else(ApiError::organization_not_found)?;
    let mut m = state
        .store
        .get_member(
            &org.organization_id,
            MemberLookup::IdOrExternalId(&record.member_id),
        )
        .await?
        .ok_or_else(ApiError::member_not_found)?;
    let before = (m.status.clone(), m.email_address_verified);
    ml::activate(&mut m, now);
    if before != (m.status.clone(), m.email_address_verified) {
        state.store.update_member(&m).await?;
    }
    Ok((org, m))
}
