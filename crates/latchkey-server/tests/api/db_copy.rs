//! `latchkey db copy` and `latchkey db backup` (issue 15 item 4), through the binary: a populated
//! SQLite deployment is copied to PostgreSQL, a server on the copy lets the member log in,
//! refreshes the refresh token and verifies the JWTs signed before the copy; the copy goes back
//! to SQLite with the same row counts; a SQLite backup taken while the server runs is restored.

use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{postgres_admin_url, read, run_id, unique, Backend, TestApp};
use crate::oauth_support::{code_for, create_client, redeem, refresh, userinfo, Subject};
use crate::pages::{org_with_member, PASSWORD};

/// Runs the binary off the runtime (the servers keep serving meanwhile).
pub async fn latchkey(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(&args)
            .env_remove("LATCHKEY_DATABASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A server on an existing database (no new project): base URL and its shutdown.
pub async fn serve_on(url: &str) -> (String, tokio::sync::oneshot::Sender<()>) {
    let config = latchkey_server::config::Config::for_database(url);
    let state = latchkey_server::startup::build_state(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        latchkey_server::startup::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (base, tx)
}

fn at(app: &TestApp, base: &str) -> TestApp {
    app.pointed_at(base)
}

async fn password_login(app: &TestApp, org_id: &str, email: &str) -> Value {
    let (status, body) = app
        .post(
            "/v1/b2b/passwords/authenticate",
            json!({"organization_id": org_id, "email_address": email, "password": PASSWORD,
                   "session_duration_minutes": 60}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Verifies `jwt` with jsonwebtoken against the JWKS `base` publishes for the project.
async fn verify(base: &str, project_id: &str, jwt: &str) {
    let jwks: Value = reqwest::get(format!("{base}/v1/b2b/sessions/jwks/{project_id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let kid = header.kid.clone().unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} not published by the copy: {jwks}"));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &v).unwrap();
}

async fn fresh_postgres() -> (String, String) {
    let name = format!("latchkey_test_{}copy{}", run_id(), &unique()[..8]);
    let url = latchkey_store::postgres::create_database(&postgres_admin_url(), &name)
        .await
        .unwrap();
    (name, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // A member with a password, a Connected App with a consented grant and a refresh token.
    let email = format!("copy-{}@acme.io", unique());
    let org = org_with_member(&app, "Copy Co", &email).await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let login = password_login(&app, &org_id, &email).await;
    let member_id = login["member_id"].as_str().unwrap().to_string();
    let client = create_client(&app, "third_party").await;
    let subject = Subject {
        org_id: org_id.clone(),
        member_id,
        email: email.clone(),
    };
    let code = code_for(&app, &client, &subject, None).await;
    let tokens = redeem(&app, &client, &code, None).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    let session_jwt = login["session_jwt"].as_str().unwrap().to_string();
    let session_token = login["session_token"].as_str().unwrap().to_string();

    // The source is stopped (its pools closed), then copied by the binary.
    app.state.store.close().await;
    let (pg_name, pg_url) = fresh_postgres().await;
    let out = latchkey(vec![
        "db".into(),
        "copy".into(),
        "--from".into(),
        app.database_url.clone(),
        "--to".into(),
        pg_url.clone(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("row counts match"), "{}", text(&out));

    // A second copy into the same (now full) database is refused.
    let again = latchkey(vec![
        "db".into(),
        "copy".into(),
        "--from".into(),
        app.database_url.clone(),
        "--to".into(),
        pg_url.clone(),
    ])
    .await;
    assert!(!again.status.success());
    assert!(text(&again).contains("not empty"), "{}", text(&again));

    // A server on the copy: the member logs in, the refresh token refreshes, the session and
    // the tokens minted before the copy verify against the copy's keys.
    let (base, stop) = serve_on(&pg_url).await;
    let copy = at(&app, &base);
    password_login(&copy, &org_id, &email).await;
    let (status, body) = copy
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": session_token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, refreshed) = refresh(&copy, &client, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert!(refreshed["access_token"].is_string(), "{refreshed}");
    verify(&base, &app.project_id, &session_jwt).await;
    verify(&base, &app.project_id, &access_token).await;
    verify(
        &base,
        &app.project_id,
        refreshed["access_token"].as_str().unwrap(),
    )
    .await;
    let (status, _, info) = userinfo(&copy, &access_token).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["email"], email.as_str());
    // New rows get fresh ids on PostgreSQL (identity sequences moved past the copied ones).
    copy.create_org(json!({"organization_name": "After the copy"}))
        .await;
    drop(stop);

    // And back to SQLite: the same rows.
    let dir = tempfile::tempdir().unwrap();
    let back = format!("sqlite://{}", dir.path().join("back.db").display());
    let out = latchkey(vec![
        "db".into(),
        "copy".into(),
        "--from".into(),
        pg_url.clone(),
        "--to".into(),
        back.clone(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let source = latchkey_store::connect(&pg_url).await.unwrap();
    let target = latchkey_store::connect(&back).await.unwrap();
    assert_eq!(
        source.row_counts().await.unwrap(),
        target.row_counts().await.unwrap()
    );
    let (base, _stop) = serve_on(&back).await;
    password_login(&at(&app, &base), &org_id, &email).await;
    latchkey_store::Store::close(&source).await;
    latchkey_store::postgres::drop_database(&postgres_admin_url(), &pg_name)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_while_serving_and_restore() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let org = app
        .create_org(json!({"organization_name": "Backed Up"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let backup = |to: &std::path::Path| {
        vec![
            "--database-url".to_string(),
            app.database_url.clone(),
            "db".into(),
            "backup".into(),
            "--to".into(),
            to.display().to_string(),
        ]
    };
    // Online: the server keeps its pools open and serving.
    let out = latchkey(backup(&file)).await;
    assert!(out.status.success(), "{}", text(&out));
    let (status, _) = app
        .get(&format!(
            "/v1/b2b/organizations/{}",
            org["organization_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    // An existing file is never overwritten.
    let out = latchkey(backup(&file)).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"), "{}", text(&out));

    // Restore: the backup file is the database of a new server.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&file, &restored).unwrap();
    let (base, _stop) = serve_on(&format!("sqlite://{}", restored.display())).await;
    let resp = reqwest::Client::new()
        .get(format!(
            "{base}/v1/b2b/organizations/{}",
            org["organization_id"].as_str().unwrap()
        ))
        .basic_auth(&app.project_id, Some(&app.secret))
        .send()
        .await
        .unwrap();
    let (status, body) = read(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization"]["organization_name"], "Backed Up");

    // PostgreSQL: the message names pg_dump.
    let out = latchkey(vec![
        "--database-url".into(),
        postgres_admin_url(),
        "db".into(),
        "backup".into(),
        "--to".into(),
        dir.path().join("pg.db").display().to_string(),
    ])
    .await;
    assert!(!out.status.success());
    assert!(text(&out).contains("pg_dump"), "{}", text(&out));
}
