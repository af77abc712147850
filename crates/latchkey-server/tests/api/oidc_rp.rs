//! The `openidconnect` crate as a relying party, for each of the four client types: discovery,
//! an authorization request with PKCE S256, nonce and state, the consent half through the
//! Stytch API (Start + Submit), the code exchange (client_secret_basic or none), strict ID token
//! validation (issuer, audience, signature via the JWKS, nonce, at_hash), UserInfo, refresh
//! (public clients rotate, confidential ones keep their token), then introspection and
//! revocation.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::oauth_support::{
    create_client, introspect, is_public, query, revoke, subject, Client, CLIENT_TYPES, REDIRECT,
};

async fn flow(app: &TestApp, client_type: &str) {
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let registered = create_client(app, client_type).await;
    let who = subject(app).await;
    let issuer = IssuerUrl::new(app.base.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery ({client_type}): {e:?}"));
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in ["email", "profile", "offline_access"] {
        request = request.add_scope(Scope::new(s.into()));
    }
    let (auth_url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let params = query(auth_url.as_str());
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["response_type"], "code");

    // The customer's consent page: Start, then Submit with the request's parameters.
    let mut body = json!({
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "response_type": params["response_type"],
        "scopes": params["scope"].split(' ').collect::<Vec<_>>(),
        "organization_id": who.org_id,
        "member_id": who.member_id,
    });
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    assert_eq!(start["client"]["client_id"], registered.id.as_str());
    body["consent_granted"] = true.into();
    body["state"] = params["state"].clone().into();
    body["nonce"] = params["nonce"].clone().into();
    body["code_challenge"] = params["code_challenge"].clone().into();
    let (status, submitted) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{submitted}");
    let back = query(submitted["redirect_uri"].as_str().unwrap());
    assert_eq!(&back["state"], csrf.secret());
    assert_eq!(back["iss"], app.base);
    assert_eq!(
        back["code"],
        submitted["authorization_code"].as_str().unwrap()
    );

    let tokens = client
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange ({client_type}): {e:?}"));
    let id_token = tokens.id_token().expect("an ID token for openid");
    let id_verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .unwrap_or_else(|e| panic!("ID token ({client_type}): {e:?}"));
    assert_eq!(claims.subject().as_str(), who.member_id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some(who.email.as_str()));
    let expected_hash = claims.access_token_hash().expect("at_hash");
    let actual_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual_hash, expected_hash);

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo ({client_type}): {e:?}"));
    assert_eq!(info.email().map(|e| e.as_str()), Some(who.email.as_str()));
    let name = info.name().and_then(|n| n.get(None)).map(|n| n.as_str());
    assert_eq!(name, Some("Ada Lovelace"));

    let first_refresh = tokens.refresh_token().expect("offline_access").clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("refresh ({client_type}): {e:?}"));
    let current_refresh: RefreshToken = if is_public(client_type) {
        let next = refreshed.refresh_token().expect("public clients rotate");
        assert_ne!(next.secret(), first_refresh.secret());
        next.clone()
    } else {
        assert!(
            refreshed.refresh_token().is_none(),
            "confidential clients keep their refresh token"
        );
        first_refresh.clone()
    };
    // A refreshed ID token carries no nonce: validate it without one.
    let refreshed_id = refreshed.id_token().expect("openid again on refresh");
    refreshed_id
        .claims(&id_verifier, |_: Option<&Nonce>| Ok(()))
        .unwrap_or_else(|e| panic!("refreshed ID token ({client_type}): {e:?}"));

    let raw = Client {
        id: registered.id.clone(),
        secret: registered.secret.clone(),
    };
    let access = refreshed.access_token().secret().clone();
    let live = introspect(app, &raw, &access).await;
    assert_eq!(live["active"], true, "{live}");
    assert_eq!(live["client_id"], registered.id.as_str());
    assert_eq!(live["sub"], who.member_id.as_str());
    let live_refresh = introspect(app, &raw, current_refresh.secret()).await;
    assert_eq!(live_refresh["active"], true, "{live_refresh}");
    assert_eq!(live_refresh["token_type"], "refresh_token");

    revoke(app, &raw, current_refresh.secret()).await;
    for t in [access.as_str(), current_refresh.secret()] {
        let dead = introspect(app, &raw, t).await;
        assert_eq!(dead["active"], false, "{client_type}: {dead}");
    }
    let again = client
        .exchange_refresh_token(&current_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(
        again.is_err(),
        "a revoked refresh token must not refresh ({client_type})"
    );
}

async fn every_client_type(backend: Backend) {
    let app = TestApp::spawn_default_project(backend).await;
    for client_type in CLIENT_TYPES {
        flow(&app, client_type).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_type_sqlite() {
    every_client_type(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_type_postgres() {
    every_client_type(Backend::Postgres).await
}
