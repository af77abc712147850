//! Member-scoped authorization of the management API (security review finding #3): when a
//! request carries `X-Stytch-Member-Session` (a session token) or `X-Stytch-Member-SessionJWT`
//! (a session JWT), Stytch "run[s] the request with the given member's permissions" (OpenAPI
//! header parameters of every endpoint that takes them). [`MemberActor`] reads the headers;
//! [`MemberActor::authorize`] resolves the session (401 when it is invalid or expired) and runs
//! `core::rbac::authorize_actor` on the endpoint's requirements (403 otherwise). The frontend
//! SDK surface (`/sdk/v1`) acts as a member the same way, through [`Acting::authorize`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use latchkey_core::rbac::{authorize_actor, requirements, Operation};
use latchkey_core::ApiError;
use latchkey_types::Organization;

use crate::envelope::ApiFailure;
use crate::sessions::{self, Credential, Loaded};
use crate::state::AppState;

pub const SESSION_HEADER: &str = "x-stytch-member-session";
pub const SESSION_JWT_HEADER: &str = "x-stytch-member-sessionjwt";

/// The session a request acts as, if it names one.
#[derive(Debug, Clone)]
enum Named {
    Token(String),
    Jwt(String),
    /// The SDKs send both when the application passes both: they must name one session.
    Both(String, String),
}

/// The member-scoped headers of a management request; `None` inside when neither was sent.
#[derive(Debug, Clone)]
pub struct MemberActor(Option<Named>);

impl<S: Send + Sync> FromRequestParts<S> for MemberActor {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| -> Result<Option<String>, ApiFailure> {
            match parts.headers.get(name) {
                None => Ok(None),
                Some(v) => v
                    .to_str()
                    .map(|s| Some(s.trim().to_owned()))
                    .map_err(|_| invalid_session().into()),
            }
        };
        let named = match (header(SESSION_HEADER)?, header(SESSION_JWT_HEADER)?) {
            (None, None) => None,
            (Some(t), None) => Some(Named::Token(t)),
            (None, Some(j)) => Some(Named::Jwt(j)),
            (Some(t), Some(j)) => Some(Named::Both(t, j)),
        };
        Ok(MemberActor(named))
    }
}

/// A resolved member acting on the request.
pub struct Acting {
    pub loaded: Loaded,
}

/// 401 for a session header that names no live session: the request must not run with the
/// project's full rights instead.
fn invalid_session() -> ApiError {
    ApiError::new(401, "session_not_found", INVALID_SESSION)
}

const INVALID_SESSION: &str =
    "The member session in X-Stytch-Member-Session / X-Stytch-Member-SessionJWT is invalid or expired.";

impl MemberActor {
    /// No acting member: the project's own rights (for an SDK call that acts only on the
    /// caller's own session, such as logging out).
    pub fn none() -> Self {
        MemberActor(None)
    }

    /// Acting as the member of this session token (the frontend SDK surface, whose every call
    /// carries the member's session).
    pub fn session_token(token: &str) -> Self {
        MemberActor(Some(Named::Token(token.to_owned())))
    }

    /// Whether the request acts as a member.
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// The acting member's session, `None` when no header was sent.
    pub async fn resolve(
        &self,
        state: &AppState,
        project_id: &str,
    ) -> Result<Option<Acting>, ApiFailure> {
        let cred = match &self.0 {
            None => return Ok(None),
            Some(Named::Token(t)) if !t.is_empty() => Credential::Token(t),
            Some(Named::Jwt(j)) if !j.is_empty() => Credential::Jwt(j),
            Some(Named::Both(t, j)) if !t.is_empty() && !j.is_empty() => {
                let by_token = resolve_one(state, project_id, Credential::Token(t)).await?;
                let by_jwt = resolve_one(state, project_id, Credential::Jwt(j)).await?;
                if by_token.record.member_session_id != by_jwt.record.member_session_id {
                    return Err(ApiError::new(401, "session_not_found", DIFFERENT_SESSIONS).into());
                }
                return Ok(Some(Acting { loaded: by_token }));
            }
            Some(_) => return Err(invalid_session().into()),
        };
        let loaded = resolve_one(state, project_id, cred).await?;
        Ok(Some(Acting { loaded }))
    }
}

const DIFFERENT_SESSIONS: &str =
    "X-Stytch-Member-Session and X-Stytch-Member-SessionJWT name different sessions.";

/// One header's session. Any client-side failure (unknown, expired, bad JWT) is a 401 here; a
/// server failure stays what it is.
async fn resolve_one(
    state: &AppState,
    project_id: &str,
    cred: Credential<'_>,
) -> Result<Loaded, ApiFailure> {
    match sessions::resolve(state, project_id, cred).await {
        Ok(loaded) => Ok(loaded),
        Err(ApiFailure(e)) if e.status < 500 => Err(ApiFailure(ApiError { status: 401, ..e })),
        Err(e) => Err(e),
    }
}

/// Checks `op` on `target_member_id` (when the operation acts on a member) in `org` for the
/// acting member, if any. Without one this allows everything: the project's credentials
/// already did. Handlers resolve the actor before loading the target, so a bad session is a 401
/// whatever the path names.
pub async fn check(
    acting: Option<&Acting>,
    state: &AppState,
    project_id: &str,
    org: &Organization,
    target_member_id: Option<&str>,
    op: Operation<'_>,
) -> Result<(), ApiFailure> {
    match acting {
        None => Ok(()),
        Some(a) => {
            a.authorize(state, project_id, org, target_member_id, op)
                .await
        }
    }
}

impl Acting {
    pub fn member_id(&self) -> &str {
        &self.loaded.member.member_id
    }

    pub fn organization_id(&self) -> &str {
        &self.loaded.org.organization_id
    }

    /// The decision for `op` in `org`: tenancy, then every requirement under the project's
    /// effective policy and the organization's own roles.
    pub async fn authorize(
        &self,
        state: &AppState,
        project_id: &str,
        org: &Organization,
        target_member_id: Option<&str>,
        op: Operation<'_>,
    ) -> Result<(), ApiFailure> {
        let is_self = target_member_id == Some(self.member_id());
        let reqs = requirements(op, is_self)?;
        let policy = state.effective_policy(project_id).await?;
        let roles =
            latchkey_core::member::effective_role_ids(&self.loaded.member, &self.loaded.org);
        authorize_actor(
            &policy,
            &self.loaded.org.custom_roles,
            &roles,
            self.organization_id(),
            &org.organization_id,
            &reqs,
        )?;
        Ok(())
    }
}

/// `POST /v1/b2b/sessions/revoke` as a member: the target is the member named by `member_id`
/// or the owner of the named session; their organization must be the actor's and the actor
/// needs `revoke-sessions` on `stytch.member` (or on `stytch.self` for their own sessions).
/// Malformed bodies are left to the handler, which answers them as without a header.
pub async fn check_session_revoke(
    acting: Option<&Acting>,
    state: &AppState,
    project_id: &str,
    req: &latchkey_types::SessionRevokeRequest,
) -> Result<(), ApiFailure> {
    let Some(acting) = acting else {
        return Ok(());
    };
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let (member_id, org_id) = if let Some(id) = given(&req.member_id) {
        let m = state
            .store
            .get_member_in_project(project_id, &id)
            .await?
            .ok_or_else(ApiError::member_not_found)?;
        (m.member_id, m.organization_id)
    } else if let Some(id) = given(&req.member_session_id) {
        let r = state
            .store
            .session_by_id(project_id, &id)
            .await?
            .ok_or_else(latchkey_core::session::session_not_found)?;
        (r.member_id, r.organization_id)
    } else {
        let (token, jwt) = (given(&req.session_token), given(&req.session_jwt));
        match Credential::one_of(token.as_deref(), jwt.as_deref()) {
            Ok(Some(cred)) => {
                let l = sessions::resolve(state, project_id, cred).await?;
                (l.record.member_id, l.record.organization_id)
            }
            _ => return Ok(()),
        }
    };
    let org = state
        .store
        .get_organization(project_id, &org_id)
        .await?
        .ok_or_else(ApiError::organization_not_found)?;
    let op = Operation::SessionsRevoke;
    acting
        .authorize(state, project_id, &org, Some(&member_id), op)
        .await
}
