//! Branch mcp (issue 10): RFC 7591 dynamic client registration and RFC 7592 management, on the
//! legacy per-project path (the project-less path is the same handler; see mcp_discovery).
//! Registration requests are shaped like the ones MCP clients send.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::oauth_support::{pkce, subject};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn register_path(app: &TestApp) -> String {
    format!("/v1/public/{}/oauth2/register", app.project_id)
}

async fn register(app: &TestApp, body: Value) -> (StatusCode, Value) {
    send(app, Method::POST, &register_path(app), None, Some(body)).await
}

fn claude_code() -> Value {
    json!({
        "client_name": "Claude Code (latchkey-test)",
        "redirect_uris": ["http://localhost:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

/// A public native registration, deduplicated, then a code flow on another loopback port with
/// no scope at Start / Submit (the defaults apply).
async fn public_native_registration_completes_a_code_flow(app: TestApp) {
    let (status, reg) = register(&app, claude_code()).await;
    assert_eq!(status, 201, "{reg}");
    let client_id = reg["client_id"].as_str().unwrap().to_string();
    assert!(reg["registration_access_token"].is_string(), "{reg}");
    assert!(reg.get("client_secret").is_none(), "{reg}");
    assert_eq!(reg["application_type"], "native");
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(
        reg["registration_client_uri"],
        format!("{}{}/{client_id}", app.base, register_path(&app))
    );
    // Stytch's deduplication: the same metadata, the same client, and no second token.
    let (status, again) = register(&app, claude_code()).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["client_id"], client_id.as_str());
    assert!(again.get("registration_access_token").is_none(), "{again}");
    // Listed by the management API with its creation method.
    let (status, body) = app
        .get(&format!("/v1/connected_apps/clients/{client_id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let c = &body["connected_app"];
    assert_eq!(c["client_type"], "third_party_public");
    assert_eq!(c["creation_method"], "dynamic_client_registration");
    let (_, list) = app
        .post("/v1/connected_apps/clients/search", json!({}))
        .await;
    assert!(list.to_string().contains(&client_id), "{list}");

    let s = subject(&app).await;
    let (verifier, challenge) = pkce();
    let redirect = "http://localhost:51234/callback";
    let mut body = json!({"client_id": client_id, "redirect_uri": redirect, "response_type": "code",
        "scopes": [], "organization_id": s.org_id, "member_id": s.member_id});
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    assert_eq!(start["scope_results"][0]["scope"], "openid", "{start}");
    body["consent_granted"] = true.into();
    body["code_challenge"] = challenge.into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap();
    assert!(out["redirect_uri"].as_str().unwrap().starts_with(redirect));
    let resp = app
        .client
        .post(format!("{}/v1/oauth2/token", app.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string());
    // Another path on the loopback host is not registered.
    let (status, body) = app
        .post(
            "/v1/b2b/idp/oauth/authorize/start",
            json!({"client_id": client_id, "redirect_uri": "http://localhost:51234/other",
                   "response_type": "code", "scopes": [], "organization_id": s.org_id,
                   "member_id": s.member_id}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
}
crate::both!(public_native_registration_completes_a_code_flow);

/// claude.ai registers a confidential client; each such registration is a new client with a
/// secret, which authenticates at the token endpoint.
async fn confidential_registration_gets_a_secret(app: TestApp) {
    let body = json!({
        "client_name": "Claude",
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "openid email offline_access"
    });
    let (status, a) = register(&app, body.clone()).await;
    assert_eq!(status, 201, "{a}");
    assert!(a["client_secret"].is_string(), "{a}");
    assert_eq!(a["client_secret_expires_at"], 0);
    assert_eq!(a["application_type"], "web");
    let (_, b) = register(&app, body).await;
    assert_ne!(a["client_id"], b["client_id"]);
    let id = a["client_id"].as_str().unwrap();
    let (_, c) = app.get(&format!("/v1/connected_apps/clients/{id}")).await;
    assert_eq!(c["connected_app"]["client_type"], "third_party");
    // Its registered `scope` is the default of a request without one.
    let s = subject(&app).await;
    let (status, start) = app
        .post(
            "/v1/b2b/idp/oauth/authorize/start",
            json!({"client_id": id, "redirect_uri": "https://claude.ai/api/mcp/auth_callback",
                   "response_type": "code", "scopes": [], "organization_id": s.org_id,
                   "member_id": s.member_id}),
        )
        .await;
    assert_eq!(status, 200, "{start}");
    let scopes: Vec<&str> = start["scope_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["openid", "email", "offline_access"]);
    assert_eq!(start["consent_required"], true);
}
crate::both!(confidential_registration_gets_a_secret);

/// RFC 7592: read, update and delete with the registration access token, and only with it.
async fn registration_management(app: TestApp) {
    let (_, reg) = register(&app, claude_code()).await;
    let (_, other) = register(
        &app,
        json!({"client_name": "Other", "redirect_uris": ["http://127.0.0.1/cb"]}),
    )
    .await;
    let uri = reg["registration_client_uri"].as_str().unwrap();
    let path = uri.strip_prefix(&app.base).unwrap().to_string();
    let token = reg["registration_access_token"].as_str().unwrap();
    let other_token = other["registration_access_token"].as_str().unwrap();
    let id = reg["client_id"].as_str().unwrap();

    let (status, read) = send(&app, Method::GET, &path, Some(token), None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["client_id"], id);
    assert_eq!(read["redirect_uris"], reg["redirect_uris"]);
    for bearer in [None, Some("wrong"), Some(other_token)] {
        let (status, body) = send(&app, Method::GET, &path, bearer, None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_token");
    }

    let mut update = claude_code();
    update["client_id"] = id.into();
    update["client_name"] = "Claude Code (renamed)".into();
    let (status, body) = send(&app, Method::PUT, &path, Some(token), Some(update.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_name"], "Claude Code (renamed)");
    let (_, c) = app.get(&format!("/v1/connected_apps/clients/{id}")).await;
    assert_eq!(c["connected_app"]["client_name"], "Claude Code (renamed)");
    // The client type is fixed at creation.
    update["token_endpoint_auth_method"] = "client_secret_basic".into();
    let (status, body) = send(&app, Method::PUT, &path, Some(token), Some(update)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata");

    let (status, _) = send(&app, Method::DELETE, &path, Some(token), None).await;
    assert_eq!(status, 204);
    let (status, _) = app.get(&format!("/v1/connected_apps/clients/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::GET, &path, Some(token), None).await;
    assert_eq!(status, 401);
}
crate::both!(registration_management);

/// RFC 7591 §3.2.2 errors, each naming its reason.
async fn registration_refusals(app: TestApp) {
    let cases = [
        (json!({"client_name": "x"}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://localhost:3000/cb"], "application_type": "web"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "logo_uri": "javascript:alert(1)"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (body, error) in cases {
        let (status, out) = register(&app, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {out}");
        assert_eq!(out["error"], error, "{body} -> {out}");
        assert!(!out["error_description"].as_str().unwrap().is_empty());
    }
    let (status, out) = send(&app, Method::POST, &register_path(&app), None, None).await;
    assert_eq!(status, 400, "{out}");
}
crate::both!(registration_refusals);

/// Off in the project: `dynamic_client_registration_not_enabled`. Live projects start off.
async fn registration_can_be_disabled(app: TestApp) {
    let (status, s) = app.get("/v1/connected_apps/registration_settings").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        s["settings"]["idp_dynamic_client_registration_enabled"],
        true
    );
    let (status, _) = app
        .put(
            "/v1/connected_apps/registration_settings",
            json!({"idp_dynamic_client_registration_enabled": false}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, out) = register(&app, claude_code()).await;
    assert_eq!(status, 403, "{out}");
    assert_eq!(out["error"], "dynamic_client_registration_not_enabled");

    let (live, _) = latchkey_server::cli::new_project(
        app.state.store.as_ref(),
        "live",
        latchkey_core::ids::Environment::Live,
        &latchkey_core::clock::SystemClock,
        &latchkey_core::clock::OsTokens,
    )
    .await
    .unwrap();
    let path = format!("/v1/public/{}/oauth2/register", live.project_id);
    let (status, out) = send(&app, Method::POST, &path, None, Some(claude_code())).await;
    assert_eq!(status, 403, "{out}");
    assert_eq!(out["error"], "dynamic_client_registration_not_enabled");
    // Bad settings are refused.
    let (status, _) = app
        .put(
            "/v1/connected_apps/registration_settings",
            json!({"dynamic_client_registration_max_clients": 0}),
        )
        .await;
    assert_eq!(status, 400);
}
crate::both!(registration_can_be_disabled);

/// Abuse limits: per-address rate, per-project cap, removal of unused clients.
async fn registration_limits(app: TestApp) {
    let (status, _) = app
        .put(
            "/v1/connected_apps/registration_settings",
            json!({"dynamic_client_registration_per_address_per_hour": 3,
                   "dynamic_client_registration_max_clients": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let named =
        |n: u32| json!({"client_name": format!("c{n}"), "redirect_uris": ["http://127.0.0.1/cb"]});
    assert_eq!(register(&app, named(1)).await.0, 201);
    assert_eq!(register(&app, named(2)).await.0, 201);
    let (status, out) = register(&app, named(3)).await;
    assert_eq!(status, 403, "{out}");
    assert_eq!(out["error"], "access_denied");
    let (status, out) = register(&app, named(4)).await;
    assert_eq!(status, 429, "{out}");

    // Never used: removed once older than the unused-days setting (30 by default).
    let now = app.state.clock.now().unix_timestamp();
    let store = app.state.store.as_ref();
    let purge = latchkey_server::oauth::registration_settings::purge_unused;
    assert_eq!(purge(store, &app.project_id, now).await.unwrap(), 0);
    assert_eq!(
        purge(store, &app.project_id, now + 31 * 86_400)
            .await
            .unwrap(),
        2
    );
    let (_, list) = app
        .post("/v1/connected_apps/clients/search", json!({}))
        .await;
    assert!(
        !list.to_string().contains("dynamic_client_registration"),
        "{list}"
    );
}
crate::both!(registration_limits);

/// Registration requests shaped like those of MCP clients (reconstructed from their public
/// behaviour, not captured traffic), each completing a code flow at the token endpoint. The
/// redirect used is the first registered one, on another port when it is a loopback URL.
async fn mcp_client_registrations_complete_code_flows(app: TestApp) {
    let fixtures = [
        (
            json!({"client_name": "Visual Studio Code", "client_uri": "https://code.visualstudio.com",
                   "grant_types": ["authorization_code", "refresh_token",
                                   "urn:ietf:params:oauth:grant-type:device_code"],
                   "response_types": ["code"], "token_endpoint_auth_method": "none",
                   "application_type": "native",
                   "redirect_uris": ["http://127.0.0.1:33418/", "http://localhost:33418/",
                                     "https://vscode.dev/redirect"]}),
            "http://127.0.0.1:40123/",
        ),
        (
            json!({"client_name": "Cursor", "grant_types": ["authorization_code", "refresh_token"],
                   "response_types": ["code"], "token_endpoint_auth_method": "none",
                   "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-latchkey/callback"]}),
            "cursor://anysphere.cursor-retrieval/oauth/user-latchkey/callback",
        ),
        (
            json!({"client_name": "Codex", "grant_types": ["authorization_code", "refresh_token"],
                   "response_types": ["code"], "token_endpoint_auth_method": "none",
                   "redirect_uris": ["http://127.0.0.1:43117/callback"]}),
            "http://127.0.0.1:50111/callback",
        ),
        (
            json!({"client_name": "ChatGPT", "grant_types": ["authorization_code", "refresh_token"],
                   "response_types": ["code"], "token_endpoint_auth_method": "client_secret_post",
                   "redirect_uris": ["https://chatgpt.com/connector_platform_oauth_redirect"]}),
            "https://chatgpt.com/connector_platform_oauth_redirect",
        ),
    ];
    let s = subject(&app).await;
    for (fixture, redirect) in fixtures {
        let (status, reg) = register(&app, fixture.clone()).await;
        assert_eq!(status, 201, "{fixture} -> {reg}");
        let client_id = reg["client_id"].as_str().unwrap();
        let (verifier, challenge) = pkce();
        let body = json!({"client_id": client_id, "redirect_uri": redirect,
            "response_type": "code", "scopes": ["openid", "offline_access"],
            "organization_id": s.org_id, "member_id": s.member_id, "consent_granted": true,
            "code_challenge": challenge});
        let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
        assert_eq!(status, 200, "{fixture} -> {out}");
        let code = out["authorization_code"].as_str().unwrap();
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("client_id", client_id.to_string()),
            ("code", code.to_string()),
            ("redirect_uri", redirect.to_string()),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = reg["client_secret"].as_str() {
            form.push(("client_secret", secret.to_string()));
        }
        let resp = app
            .client
            .post(format!("{}/v1/oauth2/token", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let tokens: Value = resp.json().await.unwrap();
        assert_eq!(status, 200, "{fixture} -> {tokens}");
        assert!(tokens["refresh_token"].is_string(), "{tokens}");
    }
}
crate::both!(mcp_client_registrations_complete_code_flows);

/// A registered `scope` may name scopes of other servers: a request without `scope` gets the
/// ones this project knows, or the project's default when it knows none of them.
async fn unknown_registered_scopes_are_left_out_of_the_default(app: TestApp) {
    let s = subject(&app).await;
    for (scope, want) in [
        ("openid email claudeai", vec!["openid", "email"]),
        ("claudeai other:thing", vec!["openid"]),
    ] {
        let (status, reg) = register(
            &app,
            json!({"client_name": "Agent", "redirect_uris": ["http://127.0.0.1/callback"],
                   "scope": scope}),
        )
        .await;
        assert_eq!(status, 201, "{reg}");
        let (status, start) = app
            .post(
                "/v1/b2b/idp/oauth/authorize/start",
                json!({"client_id": reg["client_id"], "redirect_uri": "http://127.0.0.1:40123/callback",
                       "response_type": "code", "scopes": [], "organization_id": s.org_id,
                       "member_id": s.member_id}),
            )
            .await;
        assert_eq!(status, 200, "{scope}: {start}");
        let got: Vec<&str> = start["scope_results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["scope"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{scope}");
    }
}
crate::both!(unknown_registered_scopes_are_left_out_of_the_default);
