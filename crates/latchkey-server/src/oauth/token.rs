//! The token endpoint (RFC 6749 §3.2, Stytch §6) at `/v1/oauth2/token` and
//! `/v1/public/{project_id}/oauth2/token`: the `authorization_code` grant (single-use codes,
//! PKCE; a replayed code revokes what the first redemption issued) and the `refresh_token`
//! grant (public clients rotate with reuse detection and a grace window for parallel
//! refreshes; confidential clients slide).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use latchkey_core::oauth::code;
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::refresh::{self, RefreshDecision, RefreshPolicy, RefreshRecord};
use latchkey_core::oauth::resource::{self, TokenTarget};
use latchkey_core::oauth::scope::BuiltinScope;
use latchkey_core::oauth::token_request::{self, RawTokenRequest, TokenGrant};
use latchkey_core::oauth::OAuthError;
use latchkey_core::secret::SecretHash;
use latchkey_store::{CodeRedemption, NewRefresh};
use latchkey_types::{Member, Organization};
use serde_json::json;

use super::clients::AuthedClient;
use super::envelope::{oauth_ok, OAuthBody, OAuthFailure};
use super::tokens::{issuer, mint, AccessSettings, Minted};
use crate::state::AppState;

/// RFC 9700 §4.14.2: a spent refresh token presented again revokes its whole family.
const REFRESH_REUSED: &str =
    "The refresh token was already used; every token of this authorization has been revoked.";

pub async fn token(
    state: State<AppState>,
    headers: HeaderMap,
    body: OAuthBody<RawTokenRequest>,
) -> Result<Response, OAuthFailure> {
    handle(state, headers, None, body).await
}

pub async fn legacy_token(
    state: State<AppState>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
    body: OAuthBody<RawTokenRequest>,
) -> Result<Response, OAuthFailure> {
    handle(state, headers, Some(project_id), body).await
}

async fn handle(
    State(state): State<AppState>,
    headers: HeaderMap,
    path_project: Option<String>,
    OAuthBody(raw): OAuthBody<RawTokenRequest>,
) -> Result<Response, OAuthFailure> {
    let (grant, creds) = token_request::parse(raw)?;
    let iss = issuer(&state, &headers)?;
    // RFC 9449 §4.3: `htu` is this endpoint's URL under the issuer.
    let htu = match &path_project {
        Some(p) => format!("{iss}/v1/public/{p}/oauth2/token"),
        None => format!("{iss}{}", super::paths::TOKEN),
    };
    let proof = super::dpop::proof(&state, &headers, "POST", &htu, None).await?;
    let jkt = proof.as_ref().map(|p| p.jkt.as_str());
    if let TokenGrant::ClientCredentials { scope, .. } = &grant {
        let path = path_project.as_deref();
        let m2m =
            super::m2m_token::try_grant(&state, &headers, path, &creds, scope.as_deref(), jkt);
        if let Some(resp) = m2m.await? {
            return Ok(resp);
        }
    }
    let client = super::clients::authenticate_any(
        &state,
        &headers,
        creds.client_id.as_deref(),
        creds.client_secret.as_deref(),
        creds
            .client_assertion
            .as_ref()
            .map(|(t, a)| (t.as_str(), a.as_str())),
        path_project.as_deref(),
    )
    .await?;
    let grant_type = grant.name();
    let out = match grant {
        TokenGrant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
            resources,
        } => {
            let now = state.clock.now().unix_timestamp();
            let record = match state
                .store
                .redeem_code(SecretHash::of(&code).as_str(), &client.app.client_id, now)
                .await?
            {
                CodeRedemption::Fresh(r) => r,
                CodeRedemption::AlreadyUsed(r) => {
                    // RFC 6749 §4.1.2: a replayed code revokes the tokens it produced. The store
                    // answers only for codes of this client, so no other client can do this.
                    state.store.revoke_grant(&r.grant.grant_id, now).await?;
                    return Err(OAuthError::invalid_grant(
                        "The authorization code has already been used.",
                    )
                    .into());
                }
                CodeRedemption::NotFound => {
                    return Err(
                        OAuthError::invalid_grant("The authorization code is not valid.").into(),
                    )
                }
            };
            let grant = code::redeem(
                &record,
                &client.app.client_id,
                redirect_uri.as_deref(),
                verifier,
                now,
            )?;
            issue_new(&state, &client, &grant, &resources, &iss, jkt).await
        }
        TokenGrant::RefreshToken {
            refresh_token,
            scope,
            resources,
        } => {
            let req = RefreshRequest {
                presented: &refresh_token,
                scope: scope.as_deref(),
                resources: &resources,
                jkt,
            };
            refresh_grant(&state, &client, req, &iss).await
        }
        TokenGrant::ClientCredentials { scope, resources } => {
            let scope = scope.as_deref();
            super::client_credentials::grant(&state, &client, scope, &resources, &iss, jkt).await
        }
        TokenGrant::JwtBearer {
            assertion,
            scope,
            resources,
        } => {
            let req = super::jwt_bearer::Request {
                assertion: &assertion,
                scope: scope.as_deref(),
                resources: &resources,
            };
            super::jwt_bearer::grant(&state, &client, &req, &iss, jkt).await
        }
        TokenGrant::TokenExchange(req) => {
            super::token_exchange::grant(&state, &client, &req, &iss, jkt).await
        }
        TokenGrant::DeviceCode { device_code } => {
            super::device::grant(&state, &client, &device_code, &iss, jkt).await
        }
    };
    if out.is_ok() {
        crate::metrics::token_issued(grant_type, client.client_type());
    }
    out
}

/// Tokens on a grant just made (a redeemed code, an approved device request): an access token,
/// an ID token under `openid`, a refresh token under `offline_access`, recorded on the grant.
pub(super) async fn issue_on_grant(
    state: &AppState,
    client: &AuthedClient,
    grant: &Grant,
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    issue_new(state, client, grant, &[], iss, jkt).await
}

async fn issue_new(
    state: &AppState,
    client: &AuthedClient,
    grant: &Grant,
    resources: &[String],
    iss: &str,
    jkt: Option<&str>,
) -> Result<Response, OAuthFailure> {
    let now = state.clock.now().unix_timestamp();
    let (member, org) = load_member(state, grant).await?;
    let target = target_for(state, grant, resources, &grant.scopes).await?;
    let scopes = token_scopes(&target, &grant.scopes);
    let minted = mint_for(
        state,
        &Issue {
            client,
            grant,
            scopes: &scopes,
            iss,
            member: &member,
            org: &org,
            target: &target,
            jkt,
        },
    )
    .await?;
    // RFC 9449 §5: a public client's refresh token is bound to the proof's key.
    let bound = jkt.filter(|_| client.client_type().is_public());
    let refresh = grant.has(BuiltinScope::OfflineAccess).then(|| {
        let token = crate::api::idp::random_token(state);
        let record = RefreshRecord {
            grant: grant.clone(),
            expires_at: now + refresh::REFRESH_LIFETIME_SECS,
            rotated_at: None,
            jkt: bound.map(str::to_string),
        };
        (
            token.clone(),
            NewRefresh {
                token_hash: SecretHash::of(&token).as_str().to_string(),
                record,
            },
        )
    });
    // A replay racing this redemption may have revoked the family already: the tokens are
    // then recorded revoked, and the response still answers this first redemption.
    state
        .store
        .issue_tokens(&minted.row, refresh.as_ref().map(|(_, r)| r))
        .await?;
    Ok(respond(minted, &scopes, refresh.map(|(t, _)| t), jkt))
}

/// A refresh request's own parameters.
struct RefreshRequest<'a> {
    presented: &'a str,
    scope: Option<&'a str>,
    /// RFC 8707: none means every resource of the grant (carried through refresh).
    resources: &'a [String],
    /// The request's DPoP key (RFC 9449), if it carried a proof.
    jkt: Option<&'a str>,
}

async fn refresh_grant(
    state: &AppState,
    client: &AuthedClient,
    req: RefreshRequest<'_>,
    iss: &str,
) -> Result<Response, OAuthFailure> {
    let RefreshRequest {
        presented,
        scope,
        resources,
        jkt,
    } = req;
    let now = state.clock.now().unix_timestamp();
    let hash = SecretHash::of(presented).as_str().to_string();
    let stored = state
        .store
        .get_refresh(&hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("The refresh token is not valid."))?;
    if stored.revoked {
        return Err(OAuthError::invalid_grant("The refresh token has been revoked.").into());
    }
    refresh::check_binding(stored.record.jkt.as_deref(), jkt)?;
    let policy = RefreshPolicy::for_client(client.client_type());
    let grace = state.config.refresh_grace_seconds;
    let decision = refresh::decide(&stored.record, &client.app.client_id, policy, now, grace)?;
    let grant = stored.record.grant.clone();
    let scopes = refresh::narrow_scopes(&grant, scope)?;
    let target = target_for(state, &grant, resources, &scopes).await?;
    let scopes = token_scopes(&target, &scopes);
    let (member, org) = load_member(state, &grant).await?;
    let issue = Issue {
        client,
        grant: &grant,
        scopes: &scopes,
        iss,
        member: &member,
        org: &org,
        target: &target,
        jkt,
    };
    match decision {
        RefreshDecision::Slide { expires_at } => {
            let minted = mint_for(state, &issue).await?;
            if !state
                .store
                .slide_refresh(&hash, expires_at, &minted.row)
                .await?
            {
                return Err(
                    OAuthError::invalid_grant("The refresh token has been revoked.").into(),
                );
            }
            // Confidential clients keep their token: no refresh_token in the response (Stytch §6.5).
            Ok(respond(minted, &scopes, None, jkt))
        }
        RefreshDecision::Rotate { expires_at } => {
            let successor = successor_of(state, &grant.project_id, presented).await?;
            let minted = mint_for(state, &issue).await?;
            let next = NewRefresh {
                token_hash: SecretHash::of(&successor).as_str().to_string(),
                record: RefreshRecord {
                    grant: grant.clone(),
                    expires_at,
                    rotated_at: None,
                    jkt: stored.record.jkt.clone(),
                },
            };
            if state
                .store
                .rotate_refresh(&hash, now, &next, &minted.row)
                .await?
            {
                return Ok(respond(minted, &scopes, Some(successor), jkt));
            }
            // A parallel refresh won the race a moment ago: the grace rule applies.
            replay(state, &issue, &successor, now, grace).await
        }
        RefreshDecision::ReplaySuccessor => {
            let successor = successor_of(state, &grant.project_id, presented).await?;
            replay(state, &issue, &successor, now, grace).await
        }
        RefreshDecision::Reuse => {
            state.store.revoke_grant(&grant.grant_id, now).await?;
            Err(OAuthError::invalid_grant(REFRESH_REUSED).into())
        }
    }
}

/// Within the grace window, a spent token's holder gets its successor again, provided the
/// successor itself is still live; otherwise this is reuse.
async fn replay(
    state: &AppState,
    issue: &Issue<'_>,
    successor: &str,
    now: i64,
    grace: i64,
) -> Result<Response, OAuthFailure> {
    let live = state
        .store
        .get_refresh(SecretHash::of(successor).as_str())
        .await?
        .filter(|s| {
            !s.revoked
                && s.record
                    .rotated_at
                    .is_none_or(|t| refresh::within_grace(t, now, grace))
        })
        // Grace 0 disables the window: a parallel refresh that lost the race is reuse too.
        .filter(|_| grace > 0);
    if live.is_none() {
        state.store.revoke_grant(&issue.grant.grant_id, now).await?;
        return Err(OAuthError::invalid_grant(REFRESH_REUSED).into());
    }
    let minted = mint_for(state, issue).await?;
    if !state.store.record_access(&minted.row).await? {
        return Err(OAuthError::invalid_grant("This authorization has been revoked.").into());
    }
    Ok(respond(
        minted,
        issue.scopes,
        Some(successor.to_string()),
        issue.jkt,
    ))
}

/// Everything an access token is minted from: the authenticated client, the grant, the scopes
/// and resource it carries, and the member and organization it speaks for.
struct Issue<'a> {
    client: &'a AuthedClient,
    grant: &'a Grant,
    scopes: &'a [String],
    iss: &'a str,
    member: &'a Member,
    org: &'a Organization,
    target: &'a Option<TokenTarget>,
    /// RFC 9449: the DPoP key the access token is bound to (`cnf.jkt`).
    jkt: Option<&'a str>,
}

async fn mint_for(state: &AppState, issue: &Issue<'_>) -> Result<Minted, OAuthFailure> {
    let Issue {
        client,
        grant,
        scopes,
        iss,
        member,
        org,
        target,
        jkt,
    } = *issue;
    // A resource's own lifetime wins over the client's (docs/resources.md).
    let minutes = target
        .as_ref()
        .and_then(|t| t.expiry_minutes)
        .unwrap_or(client.app.access_token_expiry_minutes);
    let settings = AccessSettings {
        lifetime_secs: minutes.max(1) * 60,
        custom_audience: client.app.access_token_custom_audience.as_deref(),
        template: &client.app.access_token_template_content,
        resource_audience: target.as_ref().map(|t| t.audience(&grant.project_id)),
        act: None,
        jkt,
    };
    mint(state, grant, scopes, iss, &settings, member, org).await
}

/// What the access token is bound to (RFC 8707 §2.2). Grants without resources and requests
/// naming none read nothing more than before.
async fn target_for(
    state: &AppState,
    grant: &Grant,
    requested: &[String],
    scopes: &[String],
) -> Result<Option<TokenTarget>, OAuthFailure> {
    if grant.resources.is_empty() && requested.is_empty() {
        return Ok(None);
    }
    let registered = crate::api::resources::registered(state, &grant.project_id).await?;
    Ok(resource::token_target(grant, requested, &registered, scopes).map_err(OAuthError::from)?)
}

/// The scopes of the access token: the target's when bound, else the grant's.
fn token_scopes(target: &Option<TokenTarget>, scopes: &[String]) -> Vec<String> {
    target
        .as_ref()
        .map_or_else(|| scopes.to_vec(), |t| t.scopes.clone())
}

async fn load_member(
    state: &AppState,
    grant: &Grant,
) -> Result<(Member, Organization), OAuthFailure> {
    let gone = || {
        OAuthFailure::from(OAuthError::invalid_grant(
            "The member of this authorization no longer exists.",
        ))
    };
    let (org, member) = state
        .store
        .member_with_organization(&grant.project_id, &grant.organization_id, &grant.member_id)
        .await?
        .ok_or_else(gone)?;
    let member = member.filter(|m| m.status == "active").ok_or_else(gone)?;
    Ok((member, org))
}

/// The successor of a rotating refresh token. Only rotation and its replay need it: sliding
/// (confidential) refreshes never read the project's successor key.
async fn successor_of(
    state: &AppState,
    project_id: &str,
    presented: &str,
) -> Result<String, OAuthFailure> {
    let key = refresh_key(state, project_id).await?;
    Ok(refresh::successor(&key, presented))
}

/// The project's key for deriving refresh-token successors: created on first use, sealed at
/// rest with the master key like the signing keys.
async fn refresh_key(state: &AppState, project_id: &str) -> Result<Vec<u8>, OAuthFailure> {
    use latchkey_core::jwt;
    let label = format!("refresh-successor-{project_id}");
    let master = state.config.master_key.as_deref();
    let mut candidate = [0u8; 32];
    state.tokens.fill(&mut candidate);
    let mut nonce = [0u8; 12];
    state.tokens.fill(&mut nonce);
    let sealed = jwt::seal_private_key_with_nonce(master, &label, &candidate, nonce)
        .map_err(|_| OAuthFailure::server_error())?;
    let stored = state.store.refresh_key(project_id, &sealed).await?;
    let key = jwt::open_private_key(master, &label, &stored).map_err(|e| {
        tracing::error!(error = %e, "refresh key cannot be opened (master key changed?)");
        OAuthFailure::server_error()
    })?;
    Ok(key.as_bytes().to_vec())
}

/// The token response (RFC 6749 §5.1; Stytch's lowercase `bearer`).
fn respond(
    minted: Minted,
    scopes: &[String],
    refresh_token: Option<String>,
    jkt: Option<&str>,
) -> Response {
    let mut body = json!({
        "access_token": minted.access_token,
        "token_type": super::dpop::token_type(jkt),
        "expires_in": minted.expires_in,
        "scope": scopes.join(" "),
    });
    if let Some(id) = minted.id_token {
        body["id_token"] = id.into();
    }
    if let Some(r) = refresh_token {
        body["refresh_token"] = r.into();
    }
    oauth_ok(body)
}
