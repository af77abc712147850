//! Stytch M2M (issue 14): `/v1/m2m/clients` management and the `client_credentials` grant at
//! both token endpoint paths (RFC 6749 §4.4; https://stytch.com/docs/b2b/api/m2m-token).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;
use crate::oauth_support::form;

fn payload(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

async fn create(app: &TestApp, body: Value) -> Value {
    let (s, b) = app.post("/v1/m2m/clients", body).await;
    assert_eq!(s, 200, "{b}");
    b["m2m_client"].clone()
}

async fn cc(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut all = vec![("grant_type", "client_credentials".to_string())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let (s, _, b) = form(app, path, &all).await;
    (s, b)
}

async fn crud_and_search(app: TestApp) {
    let c = create(
        &app,
        json!({"client_name": "billing", "scopes": ["read:users", "write:users"], "trusted_metadata": {"team": "ops"}}),
    )
    .await;
    let id = c["client_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("m2m-client-test-"), "{id}");
    let secret = c["client_secret"].as_str().unwrap();
    assert_eq!(c["client_secret_last_four"], &secret[secret.len() - 4..]);
    assert_eq!(c["status"], "active");
    assert_eq!(c["next_client_secret_last_four"], Value::Null);

    let (s, got) = app.get(&format!("/v1/m2m/clients/{id}")).await;
    assert_eq!(s, 200);
    assert!(got["m2m_client"].get("client_secret").is_none());
    assert_eq!(got["m2m_client"]["trusted_metadata"]["team"], "ops");

    let (s, upd) = app
        .put(
            &format!("/v1/m2m/clients/{id}"),
            json!({"client_description": "d", "status": "inactive"}),
        )
        .await;
    assert_eq!(s, 200, "{upd}");
    assert_eq!(upd["m2m_client"]["status"], "inactive");
    assert_eq!(upd["m2m_client"]["client_name"], "billing");
    let (s, bad) = app
        .put(
            &format!("/v1/m2m/clients/{id}"),
            json!({"status": "paused"}),
        )
        .await;
    assert_eq!(s, 400, "{bad}");

    let other = create(&app, json!({"client_name": "other", "scopes": ["admin"]})).await;
    let (s, found) = app
        .post(
            "/v1/m2m/clients/search",
            json!({"query": {"operator": "AND", "operands": [{"filter_name": "scopes", "filter_value": ["admin"]}]}}),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    let ids: Vec<&str> = found["m2m_clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [other["client_id"].as_str().unwrap()]);
    let (_, page) = app
        .post("/v1/m2m/clients/search", json!({"limit": 1}))
        .await;
    assert_eq!(page["results_metadata"]["total"], 2);
    assert!(page["results_metadata"]["next_cursor"].is_string());

    let (s, del) = app.delete(&format!("/v1/m2m/clients/{id}")).await;
    assert_eq!(
        (s, del["client_id"].as_str()),
        (StatusCode::OK, Some(id.as_str()))
    );
    let (s, gone) = app.get(&format!("/v1/m2m/clients/{id}")).await;
    assert_eq!(
        (s, gone["error_type"].as_str()),
        (StatusCode::NOT_FOUND, Some("m2m_client_not_found"))
    );
    let (s, e) = app
        .post("/v1/m2m/clients", json!({"client_name": "x"}))
        .await;
    assert_eq!(s, 400, "{e}");
}
both!(crud_and_search);

async fn import_and_duplicate_id(app: TestApp) {
    let id = format!("legacy-{}", crate::helpers::unique());
    let secret = "imported-secret-0123456789abcdefghijkl";
    let c = create(
        &app,
        json!({"client_id": id, "client_secret": secret, "scopes": ["a"]}),
    )
    .await;
    assert_eq!(c["client_secret"], secret);
    let (s, e) = app
        .post("/v1/m2m/clients", json!({"client_id": id, "scopes": []}))
        .await;
    assert_eq!(
        (s, e["error_type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("duplicate_m2m_client_id"))
    );
    let (s, t) = cc(
        &app,
        "/v1/oauth2/token",
        &[("client_id", &id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(s, 200, "{t}");
}
both!(import_and_duplicate_id);

async fn client_credentials_grant(app: TestApp) {
    let c = create(
        &app,
        json!({"scopes": ["read:users", "write:users"], "trusted_metadata": {"team": "ops", "sub": "spoof"}}),
    )
    .await;
    let (id, secret) = (
        c["client_id"].as_str().unwrap(),
        c["client_secret"].as_str().unwrap(),
    );
    let legacy = format!("/v1/public/{}/oauth2/token", app.project_id);

    // Body credentials, all scopes by default.
    let (s, t) = cc(
        &app,
        &legacy,
        &[("client_id", id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        (t["token_type"].as_str(), t["expires_in"].as_i64()),
        (Some("bearer"), Some(3600))
    );
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let claims = payload(t["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], id);
    assert_eq!(claims["aud"], json!([app.project_id]));
    assert_eq!(claims["scope"], "read:users write:users");
    assert_eq!(claims["team"], "ops");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    // HTTP Basic, a subset of scopes, at the project-domain path.
    let resp = app
        .client
        .post(format!("{}/v1/oauth2/token", app.base))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read:users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let t: Value = resp.json().await.unwrap();
    assert_eq!(
        payload(t["access_token"].as_str().unwrap())["scope"],
        "read:users"
    );

    // A scope the client was not created with; a wrong secret; another project's path.
    let (s, e) = cc(
        &app,
        &legacy,
        &[
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "admin"),
        ],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let (s, e) = cc(
        &app,
        &legacy,
        &[("client_id", id), ("client_secret", "wrong")],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (s, _) = cc(
        &app,
        "/v1/public/project-test-00000000-0000-0000-0000-000000000000/oauth2/token",
        &[("client_id", id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(s, 401);

    // Inactive clients get no new tokens.
    app.put(
        &format!("/v1/m2m/clients/{id}"),
        json!({"status": "inactive"}),
    )
    .await;
    let (s, e) = cc(
        &app,
        &legacy,
        &[("client_id", id), ("client_secret", secret)],
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{e}"
    );
}
both!(client_credentials_grant);

async fn secret_rotation(app: TestApp) {
    let c = create(&app, json!({"scopes": ["a"]})).await;
    let (id, old) = (
        c["client_id"].as_str().unwrap(),
        c["client_secret"].as_str().unwrap().to_string(),
    );
    let base = format!("/v1/m2m/clients/{id}/secrets");
    let (s, e) = app.post(&format!("{base}/rotate"), json!({})).await;
    assert_eq!(
        (s, e["error_type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("m2m_client_not_rotating_secret")
        )
    );
    let (s, started) = app.post(&format!("{base}/rotate/start"), json!({})).await;
    assert_eq!(s, 200, "{started}");
    let next = started["m2m_client"]["next_client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        started["m2m_client"]["next_client_secret_last_four"],
        &next[next.len() - 4..]
    );
    let (s, e) = app.post(&format!("{base}/rotate/start"), json!({})).await;
    assert_eq!(
        (s, e["error_type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("m2m_client_already_rotating_secret")
        )
    );
    for secret in [&old, &next] {
        let (s, t) = cc(
            &app,
            "/v1/oauth2/token",
            &[("client_id", id), ("client_secret", secret)],
        )
        .await;
        assert_eq!(s, 200, "{t}");
    }
    let (s, done) = app.post(&format!("{base}/rotate"), json!({})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(
        done["m2m_client"]["client_secret_last_four"],
        &next[next.len() - 4..]
    );
    assert_eq!(
        done["m2m_client"]["next_client_secret_last_four"],
        Value::Null
    );
    let (s, _) = cc(
        &app,
        "/v1/oauth2/token",
        &[("client_id", id), ("client_secret", &old)],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = app.post(&format!("{base}/rotate/start"), json!({})).await;
    assert_eq!(s, 200);
    let (s, cancelled) = app.post(&format!("{base}/rotate/cancel"), json!({})).await;
    assert_eq!(
        (s, &cancelled["m2m_client"]["next_client_secret_last_four"]),
        (StatusCode::OK, &Value::Null)
    );
}
both!(secret_rotation);
