//! Branch mcp (issue 10): what MCP clients read before they register: discovery members on
//! both documents and both path families, path-insertion well-known URLs, CORS preflights on
//! the public OAuth endpoints only, and authorization requests without `scope`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::oauth_support::{create_client, pkce, subject, REDIRECT};

macro_rules! both_default {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(TestApp::spawn_default_project(Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(TestApp::spawn_default_project(Backend::Postgres).await).await
            }
            use super::{Backend, TestApp};
        }
    };
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

fn assert_mcp_members(doc: &Value, registration_endpoint: &str) {
    assert_eq!(doc["registration_endpoint"], registration_endpoint, "{doc}");
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let methods = doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&json!("none")), "{doc}");
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("offline_access")), "{doc}");
}

async fn discovery_for_mcp_clients(app: TestApp) {
    let b = &app.base;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let (status, doc) = get_json(&app, path).await;
        assert_eq!(status, 200, "{doc}");
        assert_mcp_members(&doc, &format!("{b}/v1/oauth2/register"));
    }
    let p = &app.project_id;
    for path in [
        format!("/v1/public/{p}/.well-known/oauth-authorization-server"),
        format!("/v1/public/{p}/.well-known/openid-configuration"),
    ] {
        let (status, doc) = get_json(&app, &path).await;
        assert_eq!(status, 200, "{doc}");
        // The served default project registers on the project-less path.
        assert_mcp_members(&doc, &format!("{b}/v1/oauth2/register"));
    }
    // Registration switched off: no registration_endpoint.
    let (status, _) = app
        .put(
            "/v1/connected_apps/registration_settings",
            json!({"idp_dynamic_client_registration_enabled": false}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, doc) = get_json(&app, "/.well-known/oauth-authorization-server").await;
    assert!(doc.get("registration_endpoint").is_none(), "{doc}");
}
both_default!(discovery_for_mcp_clients);

async fn path_insertion(backend: Backend) {
    let app = TestApp::spawn_default_project_with_config(backend, |c| {
        c.issuer = Some("https://idp.example/tenant".into());
    })
    .await;
    let (status, doc) = get_json(&app, "/.well-known/oauth-authorization-server/tenant").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["issuer"], "https://idp.example/tenant");
    assert_eq!(
        doc["registration_endpoint"],
        "https://idp.example/tenant/v1/oauth2/register"
    );
    let (status, doc) = get_json(&app, "/.well-known/openid-configuration/tenant").await;
    assert_eq!(status, 200, "{doc}");
    let (status, doc) = get_json(&app, "/.well-known/oauth-authorization-server/other").await;
    assert_eq!(status, 400, "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_insertion_sqlite() {
    path_insertion(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_insertion_postgres() {
    path_insertion(Backend::Postgres).await
}

async fn preflight(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}{path}", app.base))
        .header("Origin", "https://inspector.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, mcp-protocol-version",
        )
        .send()
        .await
        .unwrap()
}

async fn cors_preflights(app: TestApp) {
    let p = &app.project_id;
    let public = [
        "/.well-known/oauth-authorization-server".to_string(),
        "/.well-known/openid-configuration".into(),
        "/.well-known/jwks.json".into(),
        format!("/v1/b2b/sessions/jwks/{p}"),
        "/v1/oauth2/register".into(),
        "/v1/oauth2/token".into(),
        "/v1/oauth2/revoke".into(),
        "/v1/oauth2/introspect".into(),
        "/v1/oauth2/userinfo".into(),
        format!("/v1/public/{p}/oauth2/token"),
        format!("/v1/public/{p}/oauth2/register"),
        format!("/v1/public/{p}/.well-known/openid-configuration"),
    ];
    for path in &public {
        let resp = preflight(&app, path).await;
        assert_eq!(resp.status(), 204, "{path}");
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert!(
            h.get("access-control-allow-credentials").is_none(),
            "{path}"
        );
        let allowed = h["access-control-allow-headers"].to_str().unwrap();
        assert!(allowed.contains("authorization"), "{path}: {allowed}");
        assert!(h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST"));
    }
    // The actual responses carry the header too (JWKS is served by the management router).
    let resp = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.base))
        .header("Origin", "https://inspector.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    // Never on management endpoints or pages.
    for path in [
        "/v1/b2b/organizations",
        "/v1/connected_apps/clients",
        "/v1/connected_apps/registration_settings",
        "/v1/b2b/idp/oauth/authorize",
        "/oauth2/authorize",
    ] {
        let resp = preflight(&app, path).await;
        assert_ne!(resp.status(), 204, "{path}");
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
}
both_default!(cors_preflights);

/// No `scope` on the hosted page: the project's default (`openid`), not `invalid_scope`.
async fn authorize_without_scope(app: TestApp) {
    let client = create_client(&app, "third_party_public").await;
    let (_, challenge) = pkce();
    let url = reqwest::Url::parse_with_params(
        &format!("{}/oauth2/authorize", app.base),
        &[
            ("client_id", client.id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
        ],
    )
    .unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirects.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().unwrap();
    assert!(!loc.contains("invalid_scope"), "{loc}");
    assert!(loc.starts_with("/oauth2/authorize/continue"), "{loc}");
    // Stytch's Start keeps its rule for management-API clients: an empty list is an error.
    let s = subject(&app).await;
    let (status, body) = app
        .post(
            "/v1/b2b/idp/oauth/authorize/start",
            json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code",
                   "scopes": [], "organization_id": s.org_id, "member_id": s.member_id}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}
crate::both!(authorize_without_scope);
