//! Connected App client management: the four client types, secrets shown once and stored
//! hashed, search paging, secret rotation and its errors, redirect URL rules, third-party
//! restrictions, and bad input answered with specific errors.

use latchkey_core::connected_app::authenticate_client;
use latchkey_core::secret::SecretHash;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;

const CLIENTS: &str = "/v1/connected_apps/clients";
const UNKNOWN: &str = "connected-app-test-00000000-0000-4000-8000-000000000000";

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, json) = app.post(CLIENTS, body).await;
    assert_eq!(status, 200, "{json}");
    json["connected_app"].clone()
}

async fn expect_error(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Value,
    error_type: &str,
    status: u16,
) {
    let (got, json) = match method {
        "POST" => app.post(path, body.clone()).await,
        "PUT" => app.put(path, body.clone()).await,
        "GET" => app.get(path).await,
        _ => app.delete(path).await,
    };
    assert_eq!(
        (got.as_u16(), json["error_type"].as_str().unwrap()),
        (status, error_type),
        "{method} {path} {body}: {json}"
    );
}

fn client_path(id: &str) -> String {
    format!("{CLIENTS}/{id}")
}

fn assert_no_secrets(app: &Value) {
    assert!(
        app.get("client_secret").is_none() && app.get("next_client_secret").is_none(),
        "{app}"
    );
}

async fn each_client_type(app: TestApp) {
    for client_type in [
        "first_party",
        "first_party_public",
        "third_party",
        "third_party_public",
    ] {
        let confidential = !client_type.ends_with("_public");
        let first = client_type.starts_with("first");
        let created = create(&app, json!({
            "client_type": client_type,
            "client_name": "Acme CLI",
            "client_description": "Command line",
            "redirect_urls": ["https://app.example.com/cb", "http://127.0.0.1/cb", "com.example.app:/cb"],
            "post_logout_redirect_urls": ["https://app.example.com/bye"],
            "full_access_allowed": first,
            "bypass_consent_for_offline_access": first,
            "access_token_expiry_minutes": 30,
            "access_token_custom_audience": "https://api.example.com",
            "access_token_template_content": "{\"tier\": \"{{ member.trusted_metadata.tier }}\"}",
            "logo_url": "https://cdn.example.com/logo.png",
        })).await;
        let id = created["client_id"].as_str().unwrap().to_string();
        assert!(id.starts_with("connected-app-test-"), "{id}");
        assert_eq!(created["client_type"], client_type);
        assert_eq!(created["status"], "active");
        assert_eq!(created["creation_method"], "api");
        assert_eq!(created["access_token_expiry_minutes"], 30);
        assert_eq!(created["full_access_allowed"], first);
        assert_eq!(created["redirect_urls"].as_array().unwrap().len(), 3);
        assert_eq!(created["id_token_template_content"], "");
        assert!(created["next_client_secret_last_four"].is_null());

        // The secret is shown once, its hash alone is stored, and it authenticates.
        let creds = app
            .state
            .store
            .connected_app_credentials(&id)
            .await
            .unwrap()
            .unwrap()
            .0;
        if confidential {
            let secret = created["client_secret"].as_str().unwrap();
            assert_eq!(secret.len(), 48);
            assert_eq!(
                created["client_secret_last_four"].as_str().unwrap(),
                &secret[44..]
            );
            assert_eq!(creds.secret_hash, Some(SecretHash::of(secret)));
            assert!(authenticate_client(&creds, Some(secret)).is_ok());
            assert!(authenticate_client(&creds, Some("wrong")).is_err());
        } else {
            assert!(
                created["client_secret"].is_null() && created["client_secret_last_four"].is_null()
            );
            assert_eq!(creds.secret_hash, None);
        }

        let (status, got) = app.get(&client_path(&id)).await;
        assert_eq!(status, 200);
        assert_no_secrets(&got["connected_app"]);
        assert_eq!(
            got["connected_app"]["client_secret_last_four"],
            created["client_secret_last_four"]
        );
        assert_eq!(
            got["connected_app"]["logo_url"],
            "https://cdn.example.com/logo.png"
        );

        // Update: given fields change, the rest stay; client_type never changes.
        let (status, upd) = app.put(&client_path(&id), json!({"client_id": id, "client_type": "first_party", "client_name": "Renamed", "redirect_urls": ["https://new.example.com/cb"], "access_token_custom_audience": "", "logo_url": ""})).await;
        assert_eq!(status, 200, "{upd}");
        let upd = &upd["connected_app"];
        assert_no_secrets(upd);
        assert_eq!(
            (upd["client_name"].as_str(), upd["client_type"].as_str()),
            (Some("Renamed"), Some(client_type))
        );
        assert_eq!(upd["redirect_urls"], json!(["https://new.example.com/cb"]));
        assert_eq!(upd["client_description"], "Command line");
        assert!(upd["access_token_custom_audience"].is_null() && upd["logo_url"].is_null());
        assert_eq!(
            upd["client_secret_last_four"],
            created["client_secret_last_four"]
        );

        let (status, del) = app.delete(&client_path(&id)).await;
        assert_eq!(
            (status.as_u16(), del["client_id"].as_str()),
            (200, Some(id.as_str()))
        );
        expect_error(
            &app,
            "GET",
            &client_path(&id),
            json!({}),
            "connected_app_not_found",
            404,
        )
        .await;
        expect_error(
            &app,
            "DELETE",
            &client_path(&id),
            json!({}),
            "connected_app_not_found",
            404,
        )
        .await;
    }
}
both!(each_client_type);

async fn search_with_cursor(app: TestApp) {
    let mut ids = vec![];
    for i in 0..5 {
        ids.push(
            create(
                &app,
                json!({"client_type": "third_party", "client_name": format!("App {i}")}),
            )
            .await["client_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut seen = vec![];
    let mut cursor = Value::Null;
    for _ in 0..10 {
        let (status, page) = app
            .post(
                &format!("{CLIENTS}/search"),
                json!({"limit": 2, "cursor": cursor}),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["results_metadata"]["total"], 5);
        for a in page["connected_apps"].as_array().unwrap() {
            assert_no_secrets(a);
            seen.push(a["client_id"].as_str().unwrap().to_string());
        }
        cursor = page["results_metadata"]["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(seen, ids);
    let (_, all) = app.post(&format!("{CLIENTS}/search"), json!({})).await;
    assert_eq!(all["connected_apps"].as_array().unwrap().len(), 5);
    let search = format!("{CLIENTS}/search");
    expect_error(
        &app,
        "POST",
        &search,
        json!({"cursor": "garbage"}),
        "invalid_cursor",
        400,
    )
    .await;
    expect_error(
        &app,
        "POST",
        &search,
        json!({"limit": 5000}),
        "invalid_limit",
        400,
    )
    .await;
    expect_error(
        &app,
        "POST",
        &search,
        json!({"limit": "ten"}),
        "invalid_field_type",
        400,
    )
    .await;
}
both!(search_with_cursor);

async fn secret_rotation(app: TestApp) {
    let created = create(&app, json!({"client_type": "first_party"})).await;
    let id = created["client_id"].as_str().unwrap();
    let old = created["client_secret"].as_str().unwrap();
    let base = format!("{}/secrets/rotate", client_path(id));
    let (start, complete, cancel) = (
        format!("{base}/start"),
        base.clone(),
        format!("{base}/cancel"),
    );
    expect_error(
        &app,
        "POST",
        &complete,
        json!({}),
        "connected_app_not_rotating_secret",
        400,
    )
    .await;
    expect_error(
        &app,
        "POST",
        &cancel,
        json!({}),
        "connected_app_not_rotating_secret",
        400,
    )
    .await;

    // Start, then cancel: the next secret is dropped.
    let (status, started) = app.post(&start, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let next = started["connected_app"]["next_client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        started["connected_app"]["next_client_secret_last_four"]
            .as_str()
            .unwrap(),
        &next[44..]
    );
    assert!(started["connected_app"].get("client_secret").is_none());
    expect_error(
        &app,
        "POST",
        &start,
        json!({}),
        "connected_app_already_rotating_secret",
        400,
    )
    .await;
    let creds = app
        .state
        .store
        .connected_app_credentials(id)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert!(
        authenticate_client(&creds, Some(old)).is_ok()
            && authenticate_client(&creds, Some(&next)).is_ok()
    );
    let (_, got) = app.get(&client_path(id)).await;
    assert_no_secrets(&got["connected_app"]);
    assert_eq!(
        got["connected_app"]["next_client_secret_last_four"]
            .as_str()
            .unwrap(),
        &next[44..]
    );
    let (status, cancelled) = app.post(&cancel, json!({})).await;
    assert_eq!(status, 200);
    assert!(cancelled["connected_app"]["next_client_secret_last_four"].is_null());
    let creds = app
        .state
        .store
        .connected_app_credentials(id)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert!(authenticate_client(&creds, Some(&next)).is_err());

    // Start, then complete: the next secret replaces the old one.
    let (_, started) = app.post(&start, json!({})).await;
    let next = started["connected_app"]["next_client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, done) = app.post(&complete, json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_no_secrets(&done["connected_app"]);
    assert_eq!(
        done["connected_app"]["client_secret_last_four"]
            .as_str()
            .unwrap(),
        &next[44..]
    );
    assert!(done["connected_app"]["next_client_secret_last_four"].is_null());
    let creds = app
        .state
        .store
        .connected_app_credentials(id)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert!(
        authenticate_client(&creds, Some(old)).is_err()
            && authenticate_client(&creds, Some(&next)).is_ok()
    );

    // Public clients have no secrets; unknown clients are 404 on every step.
    let public = create(&app, json!({"client_type": "third_party_public"})).await;
    let pbase = format!(
        "{}/secrets/rotate",
        client_path(public["client_id"].as_str().unwrap())
    );
    for path in [
        format!("{pbase}/start"),
        pbase.clone(),
        format!("{pbase}/cancel"),
    ] {
        expect_error(
            &app,
            "POST",
            &path,
            json!({}),
            "public_connected_apps_do_not_have_secrets",
            400,
        )
        .await;
    }
    let ubase = format!("{}/secrets/rotate", client_path(UNKNOWN));
    for path in [
        format!("{ubase}/start"),
        ubase.clone(),
        format!("{ubase}/cancel"),
    ] {
        expect_error(
            &app,
            "POST",
            &path,
            json!({}),
            "connected_app_not_found",
            404,
        )
        .await;
    }
}
both!(secret_rotation);

async fn redirect_url_rules(app: TestApp) {
    let existing = create(&app, json!({"client_type": "first_party_public"})).await;
    let path = client_path(existing["client_id"].as_str().unwrap());
    let cases = [
        ("", "connected_app_invalid_redirect_url"),
        (
            "https://app.example.com/cb#frag",
            "connected_app_invalid_redirect_url",
        ),
        (
            "https://user:pw@app.example.com/cb",
            "connected_app_invalid_redirect_url",
        ),
        (
            "https://app.example.com/a/../cb",
            "connected_app_invalid_redirect_url",
        ),
        (
            "https://app.example.com/c b",
            "connected_app_invalid_redirect_url",
        ),
        ("http://127.1/cb", "connected_app_invalid_redirect_url"),
        (
            "https://app.example.com:0/cb",
            "connected_app_invalid_redirect_url",
        ),
        (
            "app.example.com/cb",
            "connected_app_redirect_url_must_include_scheme",
        ),
        (
            "localhost:3000/cb",
            "connected_app_redirect_url_must_include_scheme",
        ),
        (
            "ftp://app.example.com/cb",
            "connected_app_redirect_url_must_use_http_or_https_scheme",
        ),
        (
            "javascript:alert(1)",
            "connected_app_redirect_url_must_use_http_or_https_scheme",
        ),
        (
            "http://app.example.com/cb",
            "connected_app_redirect_url_must_use_https_scheme",
        ),
        (
            "http://10.1.2.3/cb",
            "connected_app_redirect_url_http_scheme_must_use_loopback",
        ),
        (
            "http://localhost:8080/cb",
            "connected_app_redirect_url_cannot_use_localhost",
        ),
        (
            "https://localhost/cb",
            "connected_app_redirect_url_cannot_use_localhost",
        ),
    ];
    for (url, error_type) in cases {
        for field in ["redirect_urls", "post_logout_redirect_urls"] {
            let body =
                json!({"client_type": "first_party", field: ["https://ok.example.com/cb", url]});
            expect_error(&app, "POST", CLIENTS, body.clone(), error_type, 400).await;
            expect_error(&app, "PUT", &path, body, error_type, 400).await;
        }
    }
    let ok = [
        "https://app.example.com/cb?x=1",
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
        "com.example.app:/oauth",
    ];
    let created = create(
        &app,
        json!({"client_type": "first_party_public", "redirect_urls": ok}),
    )
    .await;
    assert_eq!(created["redirect_urls"], json!(ok));
}
both!(redirect_url_rules);

async fn third_party_restrictions(app: TestApp) {
    for client_type in ["third_party", "third_party_public"] {
        expect_error(
            &app,
            "POST",
            CLIENTS,
            json!({"client_type": client_type, "full_access_allowed": true}),
            "third_party_clients_cannot_use_full_access",
            400,
        )
        .await;
        expect_error(
            &app,
            "POST",
            CLIENTS,
            json!({"client_type": client_type, "bypass_consent_for_offline_access": true}),
            "third_party_clients_require_consent_for_offline_access",
            400,
        )
        .await;
        let a = create(
            &app,
            json!({"client_type": client_type, "full_access_allowed": false}),
        )
        .await;
        let path = client_path(a["client_id"].as_str().unwrap());
        expect_error(
            &app,
            "PUT",
            &path,
            json!({"full_access_allowed": true}),
            "third_party_clients_cannot_use_full_access",
            400,
        )
        .await;
        expect_error(
            &app,
            "PUT",
            &path,
            json!({"bypass_consent_for_offline_access": true}),
            "third_party_clients_require_consent_for_offline_access",
            400,
        )
        .await;
    }
}
both!(third_party_restrictions);

async fn bad_input_is_never_500(app: TestApp) {
    let a = create(&app, json!({"client_type": "first_party"})).await;
    let path = client_path(a["client_id"].as_str().unwrap());
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "missing_required_field"),
        (
            json!({"client_type": "confidential"}),
            "invalid_connected_app_type",
        ),
        (json!({"client_type": 3}), "invalid_field_type"),
        (
            json!({"client_type": "first_party", "redirect_urls": "https://a.example/cb"}),
            "invalid_field_type",
        ),
        (
            json!({"client_type": "first_party", "access_token_expiry_minutes": 0}),
            "idp_invalid_access_token_expiry_minutes",
        ),
        (
            json!({"client_type": "first_party", "access_token_expiry_minutes": 100000}),
            "idp_invalid_access_token_expiry_minutes",
        ),
        (
            json!({"client_type": "first_party", "access_token_expiry_minutes": 1e30}),
            "invalid_field_type",
        ),
        (
            json!({"client_type": "first_party", "access_token_custom_audience": "has space"}),
            "idp_invalid_access_token_custom_audience",
        ),
        (
            json!({"client_type": "first_party", "access_token_template_content": "[1,2]"}),
            "idp_invalid_access_token_jwt_template",
        ),
        (
            json!({"client_type": "first_party", "access_token_template_content": "{\"iss\": \"me\"}"}),
            "idp_invalid_access_token_jwt_template",
        ),
        (
            json!({"client_type": "first_party", "id_token_template_content": "{\"nonce\": \"x\"}"}),
            "idp_invalid_access_token_jwt_template",
        ),
        (
            json!({"client_type": "first_party", "logo_url": "not a url"}),
            "bad_request",
        ),
        (
            json!({"client_type": "first_party", "client_name": "x".repeat(10_000)}),
            "bad_request",
        ),
        (
            json!({"client_type": "first_party", "redirect_urls": [format!("https://a.example/{}", "x".repeat(3000))]}),
            "connected_app_invalid_redirect_url",
        ),
    ];
    for (body, error_type) in cases {
        expect_error(&app, "POST", CLIENTS, body.clone(), error_type, 400).await;
        if body.get("client_type").is_some_and(|t| t == "first_party") {
            expect_error(&app, "PUT", &path, body, error_type, 400).await;
        }
    }
    expect_error(
        &app,
        "POST",
        CLIENTS,
        json!({"client_type": "first_party", "client_name": "a\u{0}b"}),
        "invalid_character",
        400,
    )
    .await;
    expect_error(
        &app,
        "GET",
        &format!("{CLIENTS}/a%00b"),
        json!({}),
        "invalid_character",
        400,
    )
    .await;
    // Unknown clients: 404 on each endpoint, including odd ids.
    for id in [UNKNOWN, "x", "%E2%9C%93"] {
        let p = client_path(id);
        expect_error(&app, "GET", &p, json!({}), "connected_app_not_found", 404).await;
        expect_error(
            &app,
            "PUT",
            &p,
            json!({"client_name": "n"}),
            "connected_app_not_found",
            404,
        )
        .await;
        expect_error(
            &app,
            "DELETE",
            &p,
            json!({}),
            "connected_app_not_found",
            404,
        )
        .await;
    }
    // Another project's client is invisible.
    let id = a["client_id"].as_str().unwrap();
    let other = app
        .state
        .store
        .get_connected_app("project-test-other", id)
        .await
        .unwrap();
    assert!(other.is_none());
}
both!(bad_input_is_never_500);
