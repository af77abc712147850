//! Issue 14 item 2: `client_credentials` (RFC 6749 §4.4) for Connected Apps confidential
//! clients that are allowed to use it: off by default, `client_secret_*` or `private_key_jwt`,
//! the client as subject (no member, no organization), scopes limited to
//! `client_credentials_scopes`, audience-bound to a registered resource (RFC 8707).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;
use crate::mcp_private_key_jwt::{assertion, post_form, with, X};
use crate::oauth_support::{create_client, form};

fn payload(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

async fn cc(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut f = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", id.to_string()),
        ("client_secret", secret.to_string()),
    ];
    f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let (s, _, b) = form(app, "/v1/oauth2/token", &f).await;
    (s, b)
}

async fn allow(app: &TestApp, id: &str, body: Value) -> (StatusCode, Value) {
    app.put(&format!("/v1/connected_apps/clients/{id}"), body)
        .await
}

async fn secret_clients(app: TestApp) {
    let c = create_client(&app, "third_party").await;
    let (id, secret) = (c.id.as_str(), c.secret.clone().unwrap());
    // Off by default.
    let (s, e) = cc(&app, id, &secret, &[]).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
        "{e}"
    );
    let (s, got) = app.get(&format!("/v1/connected_apps/clients/{id}")).await;
    assert_eq!(
        (s, &got["connected_app"]["client_credentials_allowed"]),
        (StatusCode::OK, &json!(false))
    );

    let (s, upd) = allow(&app, id, json!({"client_credentials_allowed": true, "client_credentials_scopes": ["reports:read", "reports:write"]})).await;
    assert_eq!(s, 200, "{upd}");
    assert_eq!(
        upd["connected_app"]["client_credentials_scopes"],
        json!(["reports:read", "reports:write"])
    );
    let (s, t) = cc(&app, id, &secret, &[("scope", "reports:read")]).await;
    assert_eq!(s, 200, "{t}");
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let claims = payload(t["access_token"].as_str().unwrap());
    assert_eq!(
        (claims["sub"].as_str(), claims["client_id"].as_str()),
        (Some(id), Some(id))
    );
    assert_eq!(claims["aud"], json!([app.project_id]));
    assert_eq!(claims["scope"], "reports:read");
    assert!(
        claims.get("https://stytch.com/organization").is_none(),
        "{claims}"
    );

    // Not a configured scope; a member scope; a bad secret.
    for scope in ["admin", "openid"] {
        let (s, e) = cc(&app, id, &secret, &[("scope", scope)]).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_scope")),
            "{e}"
        );
    }
    let (s, _) = cc(&app, id, "wrong", &[]).await;
    assert_eq!(s, 401);
    // Settings refused: built-in scopes, public clients.
    let (s, _) = allow(
        &app,
        id,
        json!({"client_credentials_scopes": ["offline_access"]}),
    )
    .await;
    assert_eq!(s, 400);
    let public = create_client(&app, "third_party_public").await;
    let (s, e) = allow(
        &app,
        &public.id,
        json!({"client_credentials_allowed": true}),
    )
    .await;
    assert_eq!(
        (s, e["error_type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("client_credentials_requires_confidential_client")
        )
    );
}
both!(secret_clients);

async fn audience_bound_to_a_resource(app: TestApp) {
    let (s, r) = app
        .post(
            "/v1/connected_apps/resources",
            json!({"url": "https://reports.example.com/mcp", "name": "Reports", "scopes": [{"scope": "reports:read"}]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let c = create_client(&app, "first_party").await;
    let secret = c.secret.clone().unwrap();
    allow(&app, &c.id, json!({"client_credentials_allowed": true, "client_credentials_scopes": ["reports:read", "other:write"]})).await;
    let (s, t) = cc(
        &app,
        &c.id,
        &secret,
        &[("resource", "https://reports.example.com/mcp")],
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let claims = payload(t["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], json!(["https://reports.example.com/mcp"]));
    assert_eq!(claims["scope"], "reports:read");
    let (s, e) = cc(
        &app,
        &c.id,
        &secret,
        &[("resource", "https://unknown.example.com")],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target")),
        "{e}"
    );
}
both!(audience_bound_to_a_resource);

async fn private_key_jwt_client(app: TestApp) {
    let resp = app
        .client
        .post(format!("{}/v1/public/{}/oauth2/register", app.base, app.project_id))
        .json(&json!({"client_name": "Agent", "redirect_uris": ["https://agent.example/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": X, "kid": "k1", "use": "sig"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let reg: Value = resp.json().await.unwrap();
    let id = reg["client_id"].as_str().unwrap().to_string();
    let (s, e) = allow(
        &app,
        &id,
        json!({"client_credentials_allowed": true, "client_credentials_scopes": ["jobs:run"]}),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let path = format!("/v1/public/{}/oauth2/token", app.project_id);
    let a = assertion(&app, &id, json!(app.base), 60, "cc-1");
    let (s, t) = post_form(
        &app,
        &path,
        &with(a, &[("grant_type", "client_credentials".into())]),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        payload(t["access_token"].as_str().unwrap())["sub"],
        id.as_str()
    );
    // The assertion is single-use (RFC 7523 §3).
    let a = assertion(&app, &id, json!(app.base), 60, "cc-1");
    let (s, _) = post_form(
        &app,
        &path,
        &with(a, &[("grant_type", "client_credentials".into())]),
    )
    .await;
    assert_eq!(s, 401);
}
both!(private_key_jwt_client);

async fn discovery_lists_the_grant(app: TestApp) {
    let doc: Value = app
        .client
        .get(format!(
            "{}/v1/public/{}/.well-known/openid-configuration",
            app.base, app.project_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_credentials")),
        "{doc}"
    );
}
both!(discovery_lists_the_grant);
