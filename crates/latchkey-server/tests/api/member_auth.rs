//! Member-scoped authorization headers on the management API (security review finding #3):
//! `X-Stytch-Member-Session` / `X-Stytch-Member-SessionJWT` run the request with the member's
//! RBAC permissions: 401 for a session that is not live, 403 for a denied action or another
//! organization, and the project's full rights only without the headers.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{read, unique, Backend, TestApp, TestClock};
use crate::sessions::{logged_in, session_for};

async fn as_member(
    app: &TestApp,
    method: Method,
    path: &str,
    header: (&str, &str),
    body: Option<Value>,
) -> (reqwest::StatusCode, Value) {
    let req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .basic_auth(&app.project_id, Some(&app.secret))
        .header(header.0, header.1);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    read(req.send().await.unwrap()).await
}

const TOKEN: &str = "X-Stytch-Member-Session";
const JWT: &str = "X-Stytch-Member-SessionJWT";

both!(plain_member_cannot_escalate_or_delete);
async fn plain_member_cannot_escalate_or_delete(app: TestApp) {
    let (org, bob, bob_s) = logged_in(&app, json!([])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let bob_id = bob["member_id"].as_str().unwrap();
    let other = app
        .create_member(
            org_id,
            json!({"email_address": format!("o-{}@x.io", unique())}),
        )
        .await;
    let other_id = other["member_id"].as_str().unwrap();
    let bob_path = format!("/v1/b2b/organizations/{org_id}/members/{bob_id}");

    // The review's reproduction: bob grants himself stytch_admin.
    let escalate = json!({"roles": ["stytch_admin"]});
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &bob_path,
        (TOKEN, &bob_s.session_token),
        Some(escalate.clone()),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (403, Some("session_authorization_error")),
        "{b}"
    );
    let (_, got) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?member_id={bob_id}"
        ))
        .await;
    assert!(
        !got["member"]["roles"].to_string().contains("stytch_admin"),
        "{got}"
    );

    // ... and deletes another member with his JWT.
    let other_path = format!("/v1/b2b/organizations/{org_id}/members/{other_id}");
    let (s, b) = as_member(
        &app,
        Method::DELETE,
        &other_path,
        (JWT, &bob_s.session_jwt),
        None,
    )
    .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?member_id={other_id}"
        ))
        .await;
    assert_eq!(s, 200, "the member survived");

    // Organization settings are admin actions.
    let org_path = format!("/v1/b2b/organizations/{org_id}");
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &org_path,
        (TOKEN, &bob_s.session_token),
        Some(json!({"organization_name": "Mine"})),
    )
    .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = as_member(
        &app,
        Method::DELETE,
        &org_path,
        (TOKEN, &bob_s.session_token),
        None,
    )
    .await;
    assert_eq!(s, 403);

    // What stytch.self allows still works: his own name.
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &bob_path,
        (TOKEN, &bob_s.session_token),
        Some(json!({"name": "Bob"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["member"]["name"], "Bob");
    // Another member's name is not his to change.
    let (s, _) = as_member(
        &app,
        Method::PUT,
        &other_path,
        (TOKEN, &bob_s.session_token),
        Some(json!({"name": "X"})),
    )
    .await;
    assert_eq!(s, 403);
    // Nor may he invite or search.
    let (s, _) = as_member(
        &app,
        Method::POST,
        "/v1/b2b/organizations/members/search",
        (TOKEN, &bob_s.session_token),
        Some(json!({"organization_ids": [org_id]})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = as_member(
        &app,
        Method::POST,
        &format!("/v1/b2b/organizations/{org_id}/members"),
        (TOKEN, &bob_s.session_token),
        Some(json!({"email_address": format!("n-{}@x.io", unique())})),
    )
    .await;
    assert_eq!(s, 403);
}

both!(bad_sessions_are_401_not_full_rights);
async fn bad_sessions_are_401_not_full_rights(app: TestApp) {
    let (org, _bob, bob_s) = logged_in(&app, json!([])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let org_path = format!("/v1/b2b/organizations/{org_id}");
    let body = Some(json!({"organization_name": "Pwned"}));
    for header in [(TOKEN, "garbage"), (JWT, "garbage"), (TOKEN, "")] {
        let (s, b) = as_member(&app, Method::PUT, &org_path, header, body.clone()).await;
        assert_eq!(s, 401, "{header:?}: {b}");
    }
    // Both headers (the SDKs send both when given both) must name one session.
    let (_, _, other_s) = logged_in(&app, json!(["stytch_admin"])).await;
    let req = app
        .client
        .put(format!("{}{org_path}", app.base))
        .basic_auth(&app.project_id, Some(&app.secret))
        .header(TOKEN, &bob_s.session_token)
        .header(JWT, &other_s.session_jwt)
        .json(&json!({"organization_name": "Mixed"}));
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_eq!(s, 401, "{b}");
    // A revoked session no longer acts.
    let (s, _) = app
        .post(
            "/v1/b2b/sessions/revoke",
            json!({"session_token": bob_s.session_token}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &org_path,
        (TOKEN, &bob_s.session_token),
        body.clone(),
    )
    .await;
    assert_eq!(s, 401, "{b}");
    let (_, got) = app.get(&org_path).await;
    assert_ne!(got["organization"]["organization_name"], "Pwned");
}

/// An expired session (an admin's, 60 minutes) no longer acts.
async fn expired_session(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, _, admin_s) = logged_in(&app, json!(["stytch_admin"])).await;
    let org_path = format!(
        "/v1/b2b/organizations/{}",
        org["organization_id"].as_str().unwrap()
    );
    clock.advance(2 * 3600);
    for header in [
        (TOKEN, admin_s.session_token.as_str()),
        (JWT, admin_s.session_jwt.as_str()),
    ] {
        let body = Some(json!({"organization_name": "Late"}));
        let (s, b) = as_member(&app, Method::PUT, &org_path, header, body).await;
        assert_eq!(s, 401, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_sqlite() {
    expired_session(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_postgres() {
    expired_session(Backend::Postgres).await
}

both!(admin_is_allowed_in_own_organization_only);
async fn admin_is_allowed_in_own_organization_only(app: TestApp) {
    let (org, _admin, admin_s) = logged_in(&app, json!(["stytch_admin"])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let bob = app
        .create_member(
            org_id,
            json!({"email_address": format!("b-{}@x.io", unique())}),
        )
        .await;
    let bob_id = bob["member_id"].as_str().unwrap();
    let bob_path = format!("/v1/b2b/organizations/{org_id}/members/{bob_id}");
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &bob_path,
        (TOKEN, &admin_s.session_token),
        Some(json!({"roles": ["stytch_admin"]})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &format!("/v1/b2b/organizations/{org_id}"),
        (JWT, &admin_s.session_jwt),
        Some(json!({"organization_name": "Renamed"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // Trusted metadata is never set as a member.
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &bob_path,
        (TOKEN, &admin_s.session_token),
        Some(json!({"trusted_metadata": {"x": 1}})),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    // Another organization: tenancy.
    let other = app.create_org(json!({"organization_name": "Other"})).await;
    let other_id = other["organization_id"].as_str().unwrap();
    let (s, b) = as_member(
        &app,
        Method::PUT,
        &format!("/v1/b2b/organizations/{other_id}"),
        (TOKEN, &admin_s.session_token),
        Some(json!({"organization_name": "Mine"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (403, Some("session_authorization_tenancy_error")),
        "{b}"
    );
    // Revoking another member's sessions is an admin action: carol (plain) may not.
    let carol = app
        .create_member(
            org_id,
            json!({"email_address": format!("c-{}@x.io", unique())}),
        )
        .await;
    let carol_s = session_for(&app, org_id, carol["member_id"].as_str().unwrap()).await;
    let (s, b) = as_member(
        &app,
        Method::POST,
        "/v1/b2b/sessions/revoke",
        (TOKEN, &carol_s.session_token),
        Some(json!({"member_id": admin_s.member_session.member_id})),
    )
    .await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = as_member(
        &app,
        Method::POST,
        "/v1/b2b/sessions/revoke",
        (TOKEN, &admin_s.session_token),
        Some(json!({"member_id": bob_id})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // Deleting as admin works.
    let (s, b) = as_member(
        &app,
        Method::DELETE,
        &bob_path,
        (TOKEN, &admin_s.session_token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
}
