//! Resource servers and RFC 8707 resource indicators: the management API, protected resource
//! metadata, `invalid_target` on every authorization path, `aud` bound to the resource,
//! down-scoping at the token endpoint, resources carried through refresh, and projects without
//! resources unchanged.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::oauth_support::{
    authorize_body, create_client, introspect, subject, token, Client, Subject, REDIRECT,
};
use crate::pages::{authorize_url, claims};

pub const DOCS: &str = "https://docs.example.com/mcp";
pub const BILLING: &str = "https://billing.example.com";

/// Registers a resource; returns it.
pub async fn create_resource(app: &TestApp, body: Value) -> Value {
    let (status, out) = app.post("/v1/connected_apps/resources", body).await;
    assert_eq!(status, 200, "{out}");
    out["resource"].clone()
}

/// Docs (read, write; 5-minute tokens) and Billing (invoices; carries the project id too).
pub async fn two_resources(app: &TestApp) -> (Value, Value) {
    let docs = create_resource(
        app,
        json!({"url": DOCS, "name": "Docs MCP", "access_token_expiry_minutes": 5,
               "scopes": [{"scope": "read", "description": "Read your documents"},
                          {"scope": "write", "description": "Edit your documents"}]}),
    )
    .await;
    let billing = create_resource(
        app,
        json!({"url": "https://BILLING.example.com:443/", "name": "Billing API",
               "audience_includes_project_id": true,
               "scopes": [{"scope": "invoices", "description": "See your invoices"}]}),
    )
    .await;
    (docs, billing)
}

async fn resource_crud_and_search(app: TestApp) {
    let (docs, billing) = two_resources(&app).await;
    assert_eq!(billing["url"], BILLING, "canonical form");
    assert!(docs["resource_id"]
        .as_str()
        .unwrap()
        .starts_with("resource-test-"));
    let path = format!(
        "/v1/connected_apps/resources/{}",
        docs["resource_id"].as_str().unwrap()
    );
    let (status, got) = app.get(&path).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["resource"], docs);
    // Update: absent fields unchanged.
    let (status, up) = app
        .put(
            &path,
            json!({"name": "Docs", "access_token_expiry_minutes": 0}),
        )
        .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["resource"]["name"], "Docs");
    assert_eq!(up["resource"]["access_token_expiry_minutes"], Value::Null);
    assert_eq!(up["resource"]["scopes"], docs["scopes"]);
    // Search: by URL in any form, and cursor pagination.
    let (status, found) = app
        .post(
            "/v1/connected_apps/resources/search",
            json!({"url": "https://billing.EXAMPLE.com/"}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["resources"].as_array().unwrap().len(), 1);
    assert_eq!(found["resources"][0]["resource_id"], billing["resource_id"]);
    let (_, page1) = app
        .post("/v1/connected_apps/resources/search", json!({"limit": 1}))
        .await;
    assert_eq!(page1["results_metadata"]["total"], 2);
    let cursor = page1["results_metadata"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, page2) = app
        .post(
            "/v1/connected_apps/resources/search",
            json!({"limit": 1, "cursor": cursor}),
        )
        .await;
    assert_eq!(page2["resources"][0]["resource_id"], billing["resource_id"]);
    assert_eq!(page2["results_metadata"]["next_cursor"], Value::Null);
    // Errors in the Stytch envelope.
    for (body, error_type) in [
        (
            json!({"url": DOCS, "name": "again"}),
            "duplicate_resource_url",
        ),
        (
            json!({"url": "http://docs.example.com", "name": "x"}),
            "invalid_resource_url",
        ),
        (
            json!({"url": "https://x.example.com#f", "name": "x"}),
            "invalid_resource_url",
        ),
        (json!({"name": "x"}), "missing_required_field"),
        (
            json!({"url": "https://x.example.com", "name": "x", "scopes": [{"scope": "offline_access"}]}),
            "invalid_resource_scope",
        ),
    ] {
        let (status, e) = app.post("/v1/connected_apps/resources", body).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error_type"], error_type, "{e}");
    }
    let (status, e) = app.put(&path, json!({"url": BILLING})).await;
    assert_eq!(
        (status.as_u16(), e["error_type"].as_str()),
        (400, Some("duplicate_resource_url"))
    );
    // Delete.
    let (status, del) = app.delete(&path).await;
    assert_eq!(status, 200, "{del}");
    assert_eq!(del["resource_id"], docs["resource_id"]);
    let (status, e) = app.get(&path).await;
    assert_eq!(
        (status.as_u16(), e["error_type"].as_str()),
        (404, Some("resource_not_found"))
    );
    // Project credentials are required.
    let r = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
both!(resource_crud_and_search);

async fn protected_resource_metadata(app: TestApp) {
    let (docs, _) = two_resources(&app).await;
    let url = format!(
        "{}/v1/connected_apps/resources/{}/oauth-protected-resource",
        app.base,
        docs["resource_id"].as_str().unwrap()
    );
    let r = app
        .client
        .get(&url)
        .header("origin", "https://inspector.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["resource"], DOCS);
    assert_eq!(doc["authorization_servers"], json!([app.base]));
    assert_eq!(doc["scopes_supported"], json!(["read", "write"]));
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    let r = app
        .client
        .get(format!(
            "{}/v1/connected_apps/resources/resource-test-nope/oauth-protected-resource",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
both!(protected_resource_metadata);

pub fn with_resources(client: &Client, s: &Subject, scopes: &str, resources: &[&str]) -> Value {
    let mut body = authorize_body(client, s, scopes);
    body["resources"] = json!(resources);
    body
}

/// Submit with consent; returns the code.
pub async fn code(app: &TestApp, body: &Value) -> String {
    let mut body = body.clone();
    body["consent_granted"] = true.into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    out["authorization_code"].as_str().unwrap().to_string()
}

pub async fn redeem_with(
    app: &TestApp,
    c: &Client,
    code: &str,
    resource: Option<&str>,
) -> (StatusCode, Value) {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(r) = resource {
        fields.push(("resource", r));
    }
    let (s, _, b) = token(app, c, &fields).await;
    (s, b)
}

async fn unregistered_resource_is_invalid_target(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let evil = "https://evil.example.com/mcp";
    for path in [
        "/v1/b2b/idp/oauth/authorize/start",
        "/v1/b2b/idp/oauth/authorize",
    ] {
        let mut body = with_resources(&c, &s, "openid read", &[DOCS, evil]);
        body["consent_granted"] = true.into();
        let (status, e) = app.post(path, body).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error_type"], "invalid_target", "{e}");
    }
    // The hosted page refuses it at once, with an error redirect to the client.
    let pc = crate::pages::client(&app, "third_party_public").await;
    let mut b = crate::browser::Browser::new(&app.base);
    let url = format!(
        "{}&resource={}",
        authorize_url(&pc.id, &[]),
        urlencode(evil)
    );
    let r = b.get(&url).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.query()["error"], "invalid_target");
    // A registered one (in another spelling) is accepted.
    let url = format!(
        "{}&resource={}",
        authorize_url(&pc.id, &[]),
        urlencode("https://DOCS.example.com:443/mcp")
    );
    let r = b.get(&url).await;
    assert_eq!(r.location(), "/oauth2/authorize/continue", "{}", r.body);
}
both!(unregistered_resource_is_invalid_target);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn aud_is_the_resource_and_tokens_are_down_scoped(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let body = with_resources(
        &c,
        &s,
        "openid offline_access read write invoices",
        &[DOCS, BILLING],
    );
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    let by_scope: Vec<(String, Value)> = start["scope_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scope"].as_str().unwrap().to_string(),
                r.get("resources").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        by_scope,
        [
            ("openid".to_string(), Value::Null),
            ("offline_access".to_string(), Value::Null),
            ("read".to_string(), json!([DOCS])),
            ("write".to_string(), json!([DOCS])),
            ("invoices".to_string(), json!([BILLING])),
        ]
    );
    assert_eq!(
        start["scope_results"][2]["description"],
        "Read your documents"
    );
    // The token request names one resource: aud and scopes are narrowed to it.
    let code1 = code(&app, &body).await;
    let (status, tok) = redeem_with(&app, &c, &code1, Some(DOCS)).await;
    assert_eq!(status, 200, "{tok}");
    let at = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([DOCS]));
    assert_eq!(at["scope"], "openid offline_access read write");
    assert_eq!(tok["scope"], "openid offline_access read write");
    assert_eq!(tok["expires_in"], 300, "the resource's lifetime");
    assert!(tok["id_token"].is_string());
    let info = introspect(&app, &c, tok["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["aud"], json!([DOCS]));
    // Refresh without `resource`: every granted resource, the project id because Billing opts in.
    let rt = tok["refresh_token"].as_str().unwrap().to_string();
    let (status, _, all) = token(
        &app,
        &c,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(status, 200, "{all}");
    let at = claims(all["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([DOCS, BILLING, app.project_id]));
    assert_eq!(at["scope"], "openid offline_access read write invoices");
    // Refresh naming Billing: down-scoped to it.
    let (status, _, bill) = token(
        &app,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("resource", BILLING),
        ],
    )
    .await;
    assert_eq!(status, 200, "{bill}");
    let at = claims(bill["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([BILLING, app.project_id]));
    assert_eq!(at["scope"], "openid offline_access invoices");
    assert_eq!(bill["expires_in"], 3600, "the client's lifetime");
    let info = introspect(&app, &c, bill["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true, "{info}");
    // A resource outside the grant, at either grant type.
    let (status, _, e) = token(
        &app,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("resource", "https://other.example.com"),
        ],
    )
    .await;
    assert_eq!(
        (status.as_u16(), e["error"].as_str()),
        (400, Some("invalid_target")),
        "{e}"
    );
    let code2 = code(&app, &with_resources(&c, &s, "read", &[DOCS])).await;
    let (status, e) = redeem_with(&app, &c, &code2, Some(BILLING)).await;
    assert_eq!(
        (status.as_u16(), e["error"].as_str()),
        (400, Some("invalid_target")),
        "{e}"
    );
}
both!(aud_is_the_resource_and_tokens_are_down_scoped);

async fn scopes_are_narrowed_to_the_resource(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    // `invoices` belongs to Billing, which is not requested: it is not granted.
    let body = with_resources(&c, &s, "openid read invoices", &[DOCS]);
    let (_, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    let invoices = &start["scope_results"][2];
    assert_eq!(invoices["scope"], "invoices");
    assert_eq!(invoices["is_grantable"], false, "{start}");
    let (status, tok) = redeem_with(&app, &c, &code(&app, &body).await, None).await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(tok["scope"], "openid read");
    assert_eq!(
        claims(tok["access_token"].as_str().unwrap())["aud"],
        json!([DOCS])
    );
}
both!(scopes_are_narrowed_to_the_resource);

async fn resources_are_carried_through_refresh_rotation(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party_public").await;
    let s = subject(&app).await;
    let (verifier, challenge) = crate::oauth_support::pkce();
    let mut body = with_resources(&c, &s, "offline_access read", &[DOCS]);
    body["code_challenge"] = challenge.into();
    let code = code(&app, &body).await;
    let (status, _, tok) = token(
        &app,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tok}");
    let mut rt = tok["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, _, next) = token(
            &app,
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
        assert_eq!(status, 200, "{next}");
        assert_eq!(
            claims(next["access_token"].as_str().unwrap())["aud"],
            json!([DOCS])
        );
        rt = next["refresh_token"].as_str().unwrap().to_string();
    }
}
both!(resources_are_carried_through_refresh_rotation);

async fn project_without_resources_is_unchanged(app: TestApp) {
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let body = with_resources(
        &c,
        &s,
        "openid offline_access",
        &[
            "https://anything.example.com/mcp",
            "http://intranet.example",
        ],
    );
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    assert!(
        start["scope_results"][0].get("resources").is_none(),
        "{start}"
    );
    let (status, tok) = redeem_with(
        &app,
        &c,
        &code(&app, &body).await,
        Some("https://anything.example.com/mcp"),
    )
    .await;
    assert_eq!(status, 200, "{tok}");
    let at = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([app.project_id]));
    assert_eq!(tok["scope"], "openid offline_access");
    let rt = tok["refresh_token"].as_str().unwrap();
    let (status, _, r) = token(
        &app,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("resource", "https://else.example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        claims(r["access_token"].as_str().unwrap())["aud"],
        json!([app.project_id])
    );
}
both!(project_without_resources_is_unchanged);

async fn a_grant_without_resources_stays_unbound_once_resources_exist(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let body = authorize_body(&c, &s, "openid");
    let (status, tok) = redeem_with(&app, &c, &code(&app, &body).await, None).await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(
        claims(tok["access_token"].as_str().unwrap())["aud"],
        json!([app.project_id])
    );
}
both!(a_grant_without_resources_stays_unbound_once_resources_exist);

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            c.env_remove(k);
        }
    }
    c.args(args)
        .args([
            "--database-url",
            &app.database_url,
            "--project",
            &app.project_id,
        ])
        .output()
        .unwrap()
}

async fn cli_create_list_delete(app: TestApp) {
    let out = cli(
        &app,
        &[
            "resource",
            "create",
            "--url",
            "https://MCP.example.com/",
            "--name",
            "MCP",
            "--scope",
            "read=Read things",
            "--scope",
            "write",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["url"], "https://mcp.example.com");
    assert_eq!(
        r["scopes"],
        json!([{"scope": "read", "description": "Read things"}, {"scope": "write", "description": ""}])
    );
    // The API sees it.
    let (_, found) = app
        .post("/v1/connected_apps/resources/search", json!({}))
        .await;
    assert_eq!(found["resources"][0]["resource_id"], r["resource_id"]);
    let again = cli(
        &app,
        &[
            "resource",
            "create",
            "--url",
            "https://mcp.example.com",
            "--name",
            "x",
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = cli(
        &app,
        &[
            "resource",
            "create",
            "--url",
            "http://mcp.example.com",
            "--name",
            "x",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("https"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let list = cli(&app, &["resource", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let del = cli(&app, &["resource", "delete", "https://mcp.example.com/"]);
    assert!(
        del.status.success(),
        "{}",
        String::from_utf8_lossy(&del.stderr)
    );
    let list = cli(&app, &["resource", "list", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&list.stdout).unwrap(),
        json!([])
    );
}
both!(cli_create_list_delete);

async fn step_up_adds_to_the_consent_per_resource(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let start = |body: Value| {
        let app = &app;
        async move {
            let (status, out) = app.post("/v1/b2b/idp/oauth/authorize/start", body).await;
            assert_eq!(status, 200, "{out}");
            out["consent_required"].as_bool().unwrap()
        }
    };
    let read = with_resources(&c, &s, "read", &[DOCS]);
    assert!(start(read.clone()).await, "first authorization");
    code(&app, &read).await;
    assert!(!start(read.clone()).await, "granted before");
    // Step-up: MCP clients send the union of old and new scopes.
    let both = with_resources(&c, &s, "read write", &[DOCS]);
    assert!(start(both.clone()).await, "write is new");
    let (status, tok) = redeem_with(&app, &c, &code(&app, &both).await, None).await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(tok["scope"], "read write");
    // Asking for `read` alone again does not prompt, nor does it shrink the consent.
    assert!(!start(read.clone()).await);
    code(&app, &read).await;
    let (status, apps) = app
        .get(&format!(
            "/v1/b2b/organizations/{}/members/{}/connected_apps",
            s.org_id, s.member_id
        ))
        .await;
    assert_eq!(status, 200, "{apps}");
    let granted = &apps["connected_apps"][0];
    assert_eq!(granted["scopes_granted"], "read write");
    assert_eq!(
        granted["resources"],
        json!([{"resource": DOCS, "scopes": ["read", "write"]}])
    );
    // The same scope at another resource is a new consent.
    let (_, rbac) = app
        .get(&format!(
            "/v1/b2b/organizations/{}/connected_apps/{}",
            s.org_id, c.id
        ))
        .await;
    assert_eq!(
        rbac["active_members"][0]["granted_scopes"],
        json!(["read", "write"])
    );
    let (docs2, _) = (
        create_resource(&app, json!({"url": "https://docs2.example.com", "name": "Docs 2", "scopes": [{"scope": "read"}]})).await,
        (),
    );
    assert!(
        start(with_resources(
            &c,
            &s,
            "read",
            &[docs2["url"].as_str().unwrap()]
        ))
        .await
    );
}
both!(step_up_adds_to_the_consent_per_resource);

async fn hosted_page_names_the_resource_and_binds_the_token(app: TestApp) {
    two_resources(&app).await;
    let c = crate::pages::client(&app, "third_party").await;
    let email = format!("ann-{}@acme.io", unique());
    crate::pages::org_with_member(&app, "Acme", &email).await;
    let url = format!(
        "{}&resource={}",
        authorize_url(&c.id, &[("scope", "openid read write")]),
        urlencode(DOCS)
    );
    let mut b = crate::pages::start(&app, &url).await;
    let consent = crate::pages::log_in(&mut b, &email, None).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(
        consent
            .body
            .contains("Access is limited to <strong>Docs MCP</strong>"),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("Read your documents") && consent.body.contains("at Docs MCP"),
        "{}",
        consent.body
    );
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let tokens = crate::pages::redeem(&app, &c, &done.query()["code"]).await;
    let at = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([DOCS]));
    assert_eq!(at["scope"], "openid read write");
}
both!(hosted_page_names_the_resource_and_binds_the_token);
