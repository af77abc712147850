//! OpenID Connect RP-Initiated Logout 1.0, the loading half shared by the hosted
//! `/oauth2/logout` page (`ui::logout`) and the frontend SDK's
//! `POST /sdk/v1/b2b/oauth/logout/start` (`sdk::idp`): find the client the request names,
//! check its `post_logout_redirect_uri`, verify its `id_token_hint`. Every decision is
//! `latchkey_core::oauth::logout`, so the page and the SDK can never disagree.

use axum::http::HeaderMap;
use latchkey_core::jwt::{self, Expectations};
use latchkey_core::oauth::logout::{self as rules, LogoutError, Subject};
use latchkey_core::session::SessionRecord;
use latchkey_store::StoreError;
use latchkey_types::ConnectedApp;

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// The parameters of a logout request (§2), as the page's query or the SDK's body carries them.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogoutRequest<'a> {
    pub id_token_hint: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// What a valid logout request names.
pub struct LogoutTarget {
    /// The client, with its project.
    pub app: Option<(String, ConnectedApp)>,
    /// Where to go afterwards, `state` appended.
    pub redirect: Option<url::Url>,
    /// The subject of the `id_token_hint`, when this issuer signed it for the client.
    pub hint: Option<Subject>,
}

impl LogoutTarget {
    /// Whether the member of `session` (the one the logout would end) must confirm.
    pub fn confirmation_required(&self, session: Option<&SessionRecord>) -> bool {
        let session = session.map(|s| Subject {
            member_id: s.member_id.clone(),
            organization_id: s.organization_id.clone(),
        });
        rules::confirmation_required(self.hint.as_ref(), session.as_ref())
    }
}

/// Why a logout request stops: a rule refused it, or the store failed.
pub enum LogoutFailure {
    Refused(LogoutError),
    Api(ApiFailure),
}

impl From<LogoutError> for LogoutFailure {
    fn from(e: LogoutError) -> Self {
        Self::Refused(e)
    }
}

impl From<StoreError> for LogoutFailure {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

/// Loads and checks what `req` names. `project`: the project the client must belong to (the
/// SDK's public token names it); `None` for the hosted page, which finds it from the client.
pub async fn target(
    state: &AppState,
    headers: &HeaderMap,
    req: LogoutRequest<'_>,
    project: Option<&str>,
) -> Result<LogoutTarget, LogoutFailure> {
    let hint = req.id_token_hint.filter(|h| !h.is_empty());
    let hint_aud = hint.and_then(rules::unverified_audience);
    let app = match rules::logout_client(req.client_id, hint_aud.as_deref())? {
        None => None,
        // A metadata document URL resolves in the request's project (else the default one).
        Some(c) => match super::cimd::find(state, &c, project).await {
            Ok(Some((cr, a))) if project.is_none_or(|p| p == cr.project_id) => {
                Some((cr.project_id, a))
            }
            Err(super::cimd::CimdError::Store(e)) => return Err(e.into()),
            _ => return Err(LogoutError::UnknownClient.into()),
        },
    };
    let registered = app
        .as_ref()
        .map(|(_, a)| a.post_logout_redirect_urls.as_slice());
    let redirect =
        rules::post_logout_redirect(req.post_logout_redirect_uri, registered, req.state)?;
    let hint = match (hint, &app) {
        (Some(h), Some((pid, a))) => verify_hint(state, headers, pid, &a.client_id, h).await,
        _ => None,
    };
    Ok(LogoutTarget {
        app,
        redirect,
        hint,
    })
}

/// The subject of an ID token this issuer signed for this client; expired ones count (§2: the
/// hint may be old).
async fn verify_hint(
    state: &AppState,
    headers: &HeaderMap,
    pid: &str,
    client_id: &str,
    hint: &str,
) -> Option<Subject> {
    let now = state.clock.now().unix_timestamp();
    // No trusted issuer, no verified hint: the member confirms instead.
    let issuer = crate::issuer::issuer(state, headers).ok()?;
    let keys = state
        .keys
        .verifying_set(pid, now, state.tokens.as_ref())
        .await
        .ok()?;
    let expect = Expectations::new([issuer], client_id).with_leeway(30);
    let claims = jwt::verify_jwt_allow_expired(hint, &keys, now, &expect).ok()?;
    Subject::of_claims(&claims)
}
