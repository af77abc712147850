//! Attacks and mistakes against the authorization server, each answered with its specific
//! error: unregistered redirect URIs, PKCE failures, replayed, expired and foreign codes,
//! client authentication failures, consent withdrawal, ungrantable scopes, denial, and races
//! on codes and rotating refresh tokens.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::oauth_support::*;

async fn confidential_code(app: &TestApp) -> (Client, Subject, String) {
    let client = create_client(app, "first_party").await;
    let s = subject(app).await;
    let code = code_for(app, &client, &s, None).await;
    (client, s, code)
}

fn assert_oauth_error(status: reqwest::StatusCode, body: &Value, want: (u16, &str)) {
    assert_eq!(
        (status.as_u16(), body["error"].as_str().unwrap_or_default()),
        want,
        "{body}"
    );
}

async fn wrong_redirect_uri(app: TestApp) {
    let client = create_client(&app, "first_party").await;
    let s = subject(&app).await;
    let mut body = authorize_body(&client, &s, SCOPES);
    body["redirect_uri"] = "https://evil.example.com/cb".into();
    let (status, err) = app.post("/v1/b2b/idp/oauth/authorize/start", body).await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str().unwrap()),
        (
            401,
            "connected_app_supplied_redirect_url_not_found_in_client"
        )
    );
    let code = code_for(&app, &client, &s, None).await;
    let (status, _, err) = token(
        &app,
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example.com/other"),
        ],
    )
    .await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
}
both!(wrong_redirect_uri);

async fn missing_or_wrong_verifier(app: TestApp) {
    let client = create_client(&app, "third_party_public").await;
    let s = subject(&app).await;
    let (_, challenge) = pkce();
    for verifier in [None, Some(VERIFIER)] {
        let code = code_for(&app, &client, &s, Some(&challenge)).await;
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if let Some(v) = verifier {
            fields.push(("code_verifier", v));
        }
        let (status, _, err) = token(&app, &client, &fields).await;
        assert_oauth_error(status, &err, (400, "invalid_grant"));
    }
}
both!(missing_or_wrong_verifier);

async fn reused_code_revokes_its_tokens(app: TestApp) {
    let (client, _, code) = confidential_code(&app).await;
    let first = redeem(&app, &client, &code, None).await;
    let (status, _, err) = token(
        &app,
        &client,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let (status, err) = refresh(&app, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
}
both!(reused_code_revokes_its_tokens);

async fn expired_code(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (client, _, code) = confidential_code(&app).await;
    clock.advance(301);
    let (status, _, err) = token(
        &app,
        &client,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_code_sqlite() {
    expired_code(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_code_postgres() {
    expired_code(Backend::Postgres).await
}

async fn code_of_another_client(app: TestApp) {
    let (_, _, code) = confidential_code(&app).await;
    let thief = create_client(&app, "first_party").await;
    let (status, _, err) = token(
        &app,
        &thief,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
}
both!(code_of_another_client);

async fn client_authentication_failures(app: TestApp) {
    let (client, _, code) = confidential_code(&app).await;
    let unknown = Client {
        id: "connected-app-test-00000000-0000-4000-8000-000000000000".into(),
        secret: Some("nope".into()),
    };
    let wrong_secret = Client {
        id: client.id.clone(),
        secret: Some(format!("{}x", client.secret.clone().unwrap())),
    };
    for c in [&unknown, &wrong_secret] {
        let (status, headers, err) = token(
            &app,
            c,
            &[("grant_type", "authorization_code"), ("code", &code)],
        )
        .await;
        assert_oauth_error(status, &err, (401, "invalid_client"));
        assert!(
            headers.contains_key(reqwest::header::WWW_AUTHENTICATE),
            "{headers:?}"
        );
    }
    // A confidential client without its secret is refused too.
    let no_secret = Client {
        id: client.id.clone(),
        secret: None,
    };
    let (status, _, err) = token(
        &app,
        &no_secret,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_oauth_error(status, &err, (401, "invalid_client"));
    // None of the failures spent the code.
    redeem(&app, &client, &code, None).await;
}
both!(client_authentication_failures);

async fn public_client_needs_pkce(app: TestApp) {
    let client = create_client(&app, "first_party_public").await;
    let s = subject(&app).await;
    let mut body = authorize_body(&client, &s, SCOPES);
    body["consent_granted"] = true.into();
    let (status, err) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str().unwrap()),
        (400, "pkce_required_for_idp_authorization_flow")
    );
}
both!(public_client_needs_pkce);

async fn consent_revocation_ends_the_grant(app: TestApp) {
    let (client, s, code) = confidential_code(&app).await;
    let tokens = redeem(&app, &client, &code, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.0, 200);
    let (status, body) = app
        .post(
            &format!(
                "/v1/b2b/organizations/{}/members/{}/connected_apps/{}/revoke",
                s.org_id, s.member_id, client.id
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, err) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let (status, headers, _) = userinfo(&app, access).await;
    assert_eq!(status, 401);
    let challenge = headers[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
}
both!(consent_revocation_ends_the_grant);

async fn ungrantable_scopes_are_left_out(app: TestApp) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policy =
        latchkey_server::cli::read_policy_file(&root.join("docs/examples/rbac-policy.json"))
            .unwrap();
    app.state
        .store
        .set_rbac_policy(&app.project_id, &policy, 1)
        .await
        .unwrap();
    let client = create_client(&app, "third_party").await;
    let org = app
        .create_org(
            json!({"organization_name": "Scopes", "organization_slug": format!("sc-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let m = app
        .create_member(
            org_id,
            json!({"email_address": format!("v-{}@example.com", unique()), "roles": ["viewer"]}),
        )
        .await;
    let s = Subject {
        org_id: org_id.to_string(),
        member_id: m["member_id"].as_str().unwrap().to_string(),
        email: String::new(),
    };
    let scopes = "openid read:documents write:documents";
    let mut body = authorize_body(&client, &s, scopes);
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    let grantable = |scope: &str| {
        start["scope_results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["scope"] == scope)
            .map(|r| r["is_grantable"].clone())
    };
    assert_eq!(grantable("read:documents"), Some(json!(true)), "{start}");
    assert_eq!(grantable("write:documents"), Some(json!(false)), "{start}");
    body["consent_granted"] = true.into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap();
    let tokens = redeem(&app, &client, code, None).await;
    let granted: Vec<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
    assert!(granted.contains(&"read:documents"), "{tokens}");
    assert!(!granted.contains(&"write:documents"), "{tokens}");
}
both!(ungrantable_scopes_are_left_out);

async fn consent_denied(app: TestApp) {
    let client = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let mut body = authorize_body(&client, &s, SCOPES);
    body["consent_granted"] = false.into();
    body["state"] = "xyz".into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    assert!(out.get("authorization_code").is_none(), "{out}");
    let uri = out["redirect_uri"].as_str().unwrap();
    assert!(uri.starts_with(REDIRECT), "{uri}");
    let q = query(uri);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["iss"], app.base);
    assert!(!q.contains_key("code"), "{uri}");
}
both!(consent_denied);

async fn concurrent_redemptions(app: TestApp) {
    let (client, _, code) = confidential_code(&app).await;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, client, code) = (app.clone(), client.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let (status, _, body) = token(
                &app,
                &client,
                &[("grant_type", "authorization_code"), ("code", &code)],
            )
            .await;
            (status.as_u16(), body)
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => wins += 1,
            _ => assert_oauth_error(
                reqwest::StatusCode::from_u16(status).unwrap(),
                &body,
                (400, "invalid_grant"),
            ),
        }
    }
    assert_eq!(wins, 1);
}
both!(concurrent_redemptions);

async fn concurrent_refreshes_then_reuse(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let client = create_client(&app, "third_party_public").await;
    let s = subject(&app).await;
    let (verifier, challenge) = pkce();
    let code = code_for(&app, &client, &s, Some(&challenge)).await;
    let first = redeem(&app, &client, &code, Some(&verifier)).await;
    let rt = first["refresh_token"].as_str().unwrap().to_string();
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, client, rt) = (app.clone(), client.clone(), rt.clone());
        tasks.push(tokio::spawn(
            async move { refresh(&app, &client, &rt).await },
        ));
    }
    let mut successors = std::collections::HashSet::new();
    let mut access = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        successors.insert(body["refresh_token"].as_str().unwrap().to_string());
        access.push(body["access_token"].as_str().unwrap().to_string());
    }
    assert_eq!(successors.len(), 1, "one successor for all: {successors:?}");
    let next = successors.into_iter().next().unwrap();
    assert_ne!(next, rt);
    // After the grace window, the spent token is reuse: the whole family goes.
    clock.advance(app.state.config.refresh_grace_seconds + 1);
    let (status, err) = refresh(&app, &client, &rt).await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
    let (status, err) = refresh(&app, &client, &next).await;
    assert_oauth_error(status, &err, (400, "invalid_grant"));
    assert_eq!(introspect(&app, &client, &access[0]).await["active"], false);
    assert_eq!(introspect(&app, &client, &next).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_then_reuse_sqlite() {
    concurrent_refreshes_then_reuse(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_then_reuse_postgres() {
    concurrent_refreshes_then_reuse(Backend::Postgres).await
}

/// The Python SDK sends the project's Basic credentials along with the client's form fields:
/// the project credentials are no client authentication and must not get in the way.
async fn project_basic_beside_client_fields(app: TestApp) {
    let (client, _, code) = confidential_code(&app).await;
    let tokens = redeem(&app, &client, &code, None).await;
    let mut fields = client.auth();
    fields.push((
        "token",
        tokens["access_token"].as_str().unwrap().to_string(),
    ));
    let resp = app
        .client
        .post(format!("{}/v1/oauth2/introspect", app.base))
        .basic_auth(&app.project_id, Some(&app.secret))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
}
both!(project_basic_beside_client_fields);
