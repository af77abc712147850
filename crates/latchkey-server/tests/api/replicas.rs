//! Two servers on one database (replicas behind one load balancer), each with its own read
//! cache (`cache.rs`): a change made through one is in force on the other within the cache TTL
//! (here 1 s), and what must hold at once (a revoked token, a revoked consent) holds at once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::oauth_support::{
    code_for, create_client, form, pkce, redeem, refresh, revoke, subject, Client,
};

const TTL_SECS: u64 = 1;

async fn pair(backend: Backend) -> (TestApp, TestApp) {
    let a = TestApp::spawn_with_config(backend, |c| c.cache_ttl_seconds = TTL_SECS).await;
    let b = a.replica(|c| c.cache_ttl_seconds = TTL_SECS).await;
    (a, b)
}

/// Introspection through `app` authenticated as `client`: the status and `active`.
async fn introspect(app: &TestApp, client: &Client, token: &str) -> (u16, bool) {
    let mut fields = client.auth();
    fields.push(("token", token.to_string()));
    let (status, _, body) = form(app, "/v1/oauth2/introspect", &fields).await;
    (status.as_u16(), body["active"] == true)
}

/// Polls `check` until it holds; panics if it does not within the TTL and a margin.
async fn within_ttl<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let bound = Duration::from_secs(TTL_SECS) + Duration::from_millis(1500);
    while !check().await {
        assert!(
            started.elapsed() < bound,
            "{what}: not in force after {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A flow through `a`: the client's tokens for a fresh member.
async fn tokens(a: &TestApp, client: &Client) -> serde_json::Value {
    let s = subject(a).await;
    let (verifier, challenge) = pkce();
    let code = code_for(a, client, &s, Some(&challenge)).await;
    redeem(a, client, &code, Some(&verifier)).await
}

async fn rotated_secret_is_in_force_on_the_other_replica(backend: Backend) {
    let (a, b) = pair(backend).await;
    let client = create_client(&a, "first_party").await;
    let t = tokens(&a, &client).await;
    let access = t["access_token"].as_str().unwrap();
    // B knows (and caches) the client with its first secret.
    assert_eq!(introspect(&b, &client, access).await, (200, true));
    let path = format!("/v1/connected_apps/clients/{}/secrets/rotate", client.id);
    let (status, started) = a.post(&format!("{path}/start"), json!({})).await;
    assert_eq!(status, 200, "{started}");
    let (status, body) = a.post(&path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let new = Client {
        id: client.id.clone(),
        secret: started["connected_app"]["next_client_secret"]
            .as_str()
            .map(str::to_string),
    };
    assert!(new.secret.is_some(), "{started}");
    // Through A at once; through B within the TTL.
    assert_eq!(introspect(&a, &client, access).await.0, 401);
    within_ttl("old secret refused by the replica", || async {
        introspect(&b, &client, access).await.0 == 401
    })
    .await;
    assert_eq!(introspect(&b, &new, access).await, (200, true));
}
crate::both_engines!(rotated_secret_is_in_force_on_the_other_replica);

async fn deleted_client_is_refused_by_the_other_replica(backend: Backend) {
    let (a, b) = pair(backend).await;
    let client = create_client(&a, "first_party").await;
    let t = tokens(&a, &client).await;
    let access = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(introspect(&b, &client, &access).await, (200, true));
    let (status, body) = a
        .delete(&format!("/v1/connected_apps/clients/{}", client.id))
        .await;
    assert_eq!(status, 200, "{body}");
    within_ttl("deleted client refused by the replica", || async {
        introspect(&b, &client, &access).await.0 == 401
    })
    .await;
}
crate::both_engines!(deleted_client_is_refused_by_the_other_replica);

async fn revoked_token_and_consent_are_refused_at_once(backend: Backend) {
    let (a, b) = pair(backend).await;
    let client = create_client(&a, "first_party").await;
    let t = tokens(&a, &client).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(introspect(&b, &client, access).await, (200, true));
    revoke(&a, &client, access).await;
    assert_eq!(introspect(&b, &client, access).await, (200, false));

    // A consent revoked through A ends the refresh token on B at once.
    let s = subject(&a).await;
    let (verifier, challenge) = pkce();
    let code = code_for(&a, &client, &s, Some(&challenge)).await;
    let t = redeem(&a, &client, &code, Some(&verifier)).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&b, &client, rt).await;
    assert_eq!(status, 200, "{body}");
    let path = format!(
        "/v1/b2b/organizations/{}/members/{}/connected_apps/{}/revoke",
        s.org_id, s.member_id, client.id
    );
    let (status, body) = a.post(&path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = refresh(&b, &client, rt).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
}
crate::both_engines!(revoked_token_and_consent_are_refused_at_once);

async fn rotated_keys_verify_on_the_other_replica(backend: Backend) {
    let (a, b) = pair(backend).await;
    let client = create_client(&a, "first_party").await;
    // Both replicas have loaded the first keys.
    let first = tokens(&a, &client).await;
    assert_eq!(
        introspect(&b, &client, first["access_token"].as_str().unwrap()).await,
        (200, true)
    );
    let now = a.state.clock.now().unix_timestamp();
    a.state
        .keys
        .rotate_now(&a.project_id, now, &latchkey_core::clock::OsTokens)
        .await
        .unwrap();
    // A signs with the new key at once; B verifies it (it reloads for an unknown kid, at most
    // once per RELOAD_MIN_INTERVAL).
    let second = tokens(&a, &client).await;
    let access = second["access_token"].as_str().unwrap().to_string();
    let bound = latchkey_server::keys::RELOAD_MIN_INTERVAL + Duration::from_secs(1);
    let started = Instant::now();
    while introspect(&b, &client, &access).await != (200, true) {
        assert!(
            started.elapsed() < bound,
            "new key not verified by the replica"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
crate::both_engines!(rotated_keys_verify_on_the_other_replica);

async fn policy_change_reaches_the_other_replica(backend: Backend) {
    let (a, b) = pair(backend).await;
    let path = format!(
        "/v1/public/{}/.well-known/openid-configuration",
        a.project_id
    );
    let scopes = |doc: serde_json::Value| doc["scopes_supported"].to_string();
    let (status, before) = b.get(&path).await;
    assert_eq!(status, 200, "{before}");
    assert!(!scopes(before).contains("read:documents"));
    // A policy set elsewhere (`latchkey rbac set` writes the database directly).
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/rbac-policy.json");
    let policy = latchkey_server::cli::read_policy_file(&file).unwrap();
    a.state
        .store
        .set_rbac_policy(&a.project_id, &policy, 0)
        .await
        .unwrap();
    within_ttl("new scope in the replica's discovery", || async {
        scopes(b.get(&path).await.1).contains("read:documents")
    })
    .await;
}
crate::both_engines!(policy_change_reaches_the_other_replica);
