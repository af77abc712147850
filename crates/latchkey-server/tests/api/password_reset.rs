//! Password reset over HTTP (issue 13 item 6): a reset link read from the outbox sets a new
//! password, verifies the email, starts a session and ends the others; the link is single use,
//! expires, needs its PKCE verifier and cannot log in (nor a login link reset); weak passwords
//! and unregistered redirect URLs are refused; session reset keeps the caller's session and needs
//! a recent factor; existing-password reset checks the old one through the lockout; require_reset
//! refuses a correct password until the reset; each reset is an audit event.

use std::sync::Arc;

use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use serde_json::{json, Value};

use crate::both;
use crate::both_engines;
use crate::helpers::{Backend, TestApp, TestClock};
use crate::magic_links::outbox_link;
use crate::passwords::member_with_password;

const START: &str = "/v1/b2b/passwords/email/reset/start";
const RESET: &str = "/v1/b2b/passwords/email/reset";
const SESSION_RESET: &str = "/v1/b2b/passwords/session/reset";
const EXISTING_RESET: &str = "/v1/b2b/passwords/existing_password/reset";
const REQUIRE_RESET: &str = "/v1/b2b/passwords/email/require_reset";
const AUTHENTICATE: &str = "/v1/b2b/passwords/authenticate";
const SESSIONS_AUTH: &str = "/v1/b2b/sessions/authenticate";
const MAGIC_AUTH: &str = "/v1/b2b/magic_links/authenticate";
const CB: &str = "http://localhost:3000/reset";
const OLD: &str = "Kk4DQuMMfZL9o";
const NEW: &str = "violet-Harbor-42-lantern-quietly";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn err(r: &(reqwest::StatusCode, Value)) -> (u16, String) {
    (
        r.0.as_u16(),
        r.1["error_type"].as_str().unwrap_or("").to_string(),
    )
}

async fn login(
    app: &TestApp,
    org: &Value,
    m: &Value,
    password: &str,
) -> (reqwest::StatusCode, Value) {
    app.post(
        AUTHENTICATE,
        json!({"organization_id": org["organization_id"], "email_address": m["email_address"], "password": password}),
    )
    .await
}

async fn start(
    app: &TestApp,
    org: &Value,
    m: &Value,
    extra: Value,
) -> (reqwest::StatusCode, Value) {
    let mut body = json!({"organization_id": org["organization_id"], "email_address": m["email_address"],
        "reset_password_redirect_url": CB});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.post(START, body).await
}

async fn session_alive(app: &TestApp, token: &str) -> bool {
    app.post(SESSIONS_AUTH, json!({"session_token": token}))
        .await
        .0
        == 200
}

async fn email_reset_sets_password_and_ends_other_sessions(app: TestApp) {
    let (org, m) = member_with_password(&app, json!([])).await;
    let (status, before) = login(&app, &org, &m, OLD).await;
    assert_eq!(status, 200, "{before}");
    let old_session = before["session_token"].as_str().unwrap().to_string();

    let (status, body) = start(&app, &org, &m, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_id"], m["member_id"]);
    assert!(body["member_email_id"]
        .as_str()
        .unwrap()
        .starts_with("email-"));
    let (link, token) = outbox_link(&app, m["email_address"].as_str().unwrap()).await;
    assert!(link.as_str().starts_with(CB), "{link}");
    assert!(link
        .query_pairs()
        .any(|(k, v)| k == "stytch_token_type" && v == "multi_tenant_passwords"));
    // A reset link does not log in through magic links.
    let r = app
        .post(MAGIC_AUTH, json!({"magic_links_token": token}))
        .await;
    assert_eq!(err(&r), (404, "magic_link_not_found".into()));
    // A weak password is refused and does not burn the link.
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": "password"}),
        )
        .await;
    assert_eq!(err(&r), (400, "weak_password".into()));

    let (status, body) = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW, "session_duration_minutes": 30}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_authenticated"], true);
    assert_eq!(body["member"]["email_address_verified"], true);
    assert_eq!(body["organization_id"], org["organization_id"]);
    let new_session = body["session_token"].as_str().unwrap().to_string();
    assert!(!body["session_jwt"].as_str().unwrap().is_empty());
    assert_eq!(
        body["member_session"]["authentication_factors"][0]["type"],
        "password"
    );
    assert!(session_alive(&app, &new_session).await);
    assert!(
        !session_alive(&app, &old_session).await,
        "other sessions end"
    );
    // Old password gone, new one works; the link is single use.
    assert_eq!(err(&login(&app, &org, &m, OLD).await).0, 401);
    assert_eq!(login(&app, &org, &m, NEW).await.0, 200);
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW}),
        )
        .await;
    assert_eq!(err(&r), (401, "unable_to_auth_magic_link".into()));
    // Both the start and the reset are in the audit trail.
    let events = app
        .get(&format!(
            "/v1/audit_events?organization_id={}",
            org["organization_id"].as_str().unwrap()
        ))
        .await;
    let text = events.1.to_string();
    assert!(text.contains("member.password_reset_started"), "{text}");
    assert!(text.contains("\"member.password_reset\""), "{text}");
}
both!(email_reset_sets_password_and_ends_other_sessions);

async fn email_reset_refusals(app: TestApp) {
    let (org, m) = member_with_password(&app, json!([])).await;
    // Unregistered redirect (not loopback), bad expiration, unknown member.
    let r = start(
        &app,
        &org,
        &m,
        json!({"reset_password_redirect_url": "https://evil.example/x"}),
    )
    .await;
    assert_eq!(
        err(&r),
        (400, "no_match_for_provided_magic_link_url".into())
    );
    let r = start(
        &app,
        &org,
        &m,
        json!({"reset_password_expiration_minutes": 1}),
    )
    .await;
    assert_eq!(err(&r), (400, "invalid_expiration".into()));
    let r = app
        .post(START, json!({"organization_id": org["organization_id"], "email_address": "nobody@x.io", "reset_password_redirect_url": CB}))
        .await;
    assert_eq!(err(&r), (404, "member_not_found".into()));
    let r = app
        .post(START, json!({"organization_id": org["organization_id"]}))
        .await;
    assert_eq!(err(&r).0, 400);
    // PKCE: the link needs the verifier of its challenge.
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(VERIFIER).unwrap());
    let r = start(
        &app,
        &org,
        &m,
        json!({"code_challenge": challenge.as_str()}),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    let (_, token) = outbox_link(&app, m["email_address"].as_str().unwrap()).await;
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW}),
        )
        .await;
    assert_eq!(err(&r).0, 400, "{}", r.1);
    let wrong = "x".repeat(43);
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW, "code_verifier": wrong}),
        )
        .await;
    assert_eq!(err(&r).0, 400, "{}", r.1);
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW, "code_verifier": VERIFIER}),
        )
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    // Unknown token; missing fields.
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": "nope", "password": NEW}),
        )
        .await;
    assert_eq!(err(&r), (404, "magic_link_not_found".into()));
    let r = app.post(RESET, json!({"password": NEW})).await;
    assert_eq!(err(&r).0, 400);
}
both!(email_reset_refusals);

async fn expired_reset_link(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, m) = member_with_password(&app, json!([])).await;
    let r = start(
        &app,
        &org,
        &m,
        json!({"reset_password_expiration_minutes": 5}),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    let (_, token) = outbox_link(&app, m["email_address"].as_str().unwrap()).await;
    clock.advance(6 * 60);
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW}),
        )
        .await;
    assert_eq!(err(&r), (401, "unable_to_auth_magic_link".into()));
}
both_engines!(expired_reset_link);

async fn session_reset_keeps_the_callers_session(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, m) = member_with_password(&app, json!([])).await;
    let a = login(&app, &org, &m, OLD).await.1["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let b = login(&app, &org, &m, OLD).await.1["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(SESSION_RESET, json!({"organization_id": org["organization_id"], "session_token": a, "password": "password"}))
        .await;
    assert_eq!(err(&r), (400, "weak_password".into()));
    let r = app
        .post(
            SESSION_RESET,
            json!({"organization_id": org["organization_id"], "password": NEW}),
        )
        .await;
    assert_eq!(err(&r).0, 400);
    let (status, body) = app
        .post(
            SESSION_RESET,
            json!({"organization_id": org["organization_id"], "session_token": a, "password": NEW}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_id"], m["member_id"]);
    assert_eq!(body["session_token"], a.as_str());
    assert!(session_alive(&app, &a).await);
    assert!(!session_alive(&app, &b).await);
    assert_eq!(login(&app, &org, &m, NEW).await.0, 200);
    // A factor older than five minutes is not enough.
    clock.advance(6 * 60);
    let r = app
        .post(SESSION_RESET, json!({"organization_id": org["organization_id"], "session_token": a, "password": "another-Sturdy-77-password"}))
        .await;
    assert_eq!(err(&r), (400, "session_too_old_to_reset_password".into()));
}
both_engines!(session_reset_keeps_the_callers_session);

async fn existing_password_reset(app: TestApp) {
    let (org, m) = member_with_password(&app, json!([])).await;
    let old_session = login(&app, &org, &m, OLD).await.1["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = |existing: &str, new: &str| {
        json!({"organization_id": org["organization_id"], "email_address": m["email_address"],
            "existing_password": existing, "new_password": new})
    };
    let r = app.post(EXISTING_RESET, body("wrong-password", NEW)).await;
    assert_eq!(err(&r), (401, "unauthorized_credentials".into()));
    let r = app.post(EXISTING_RESET, body(OLD, "password")).await;
    assert_eq!(err(&r), (400, "weak_password".into()));
    let (status, r) = app.post(EXISTING_RESET, body(OLD, NEW)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["member_authenticated"], true);
    assert!(session_alive(&app, r["session_token"].as_str().unwrap()).await);
    assert!(!session_alive(&app, &old_session).await);
    assert_eq!(err(&login(&app, &org, &m, OLD).await).0, 401);
    assert_eq!(login(&app, &org, &m, NEW).await.0, 200);
    let r = app
        .post(
            EXISTING_RESET,
            json!({"organization_id": org["organization_id"]}),
        )
        .await;
    assert_eq!(err(&r).0, 400);
}
both!(existing_password_reset);

async fn require_reset_refuses_password_until_reset(app: TestApp) {
    let (org, m) = member_with_password(&app, json!([])).await;
    let (status, body) = app
        .post(
            REQUIRE_RESET,
            json!({"organization_id": org["organization_id"], "email_address": m["email_address"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_id"], m["member_id"]);
    // A correct password is refused with Stytch's error; a wrong one stays a plain 401.
    assert_eq!(
        err(&login(&app, &org, &m, OLD).await),
        (401, "member_reset_password".into())
    );
    assert_eq!(err(&login(&app, &org, &m, "nope-nope").await).0, 401);
    let r = app
        .post(
            REQUIRE_RESET,
            json!({"organization_id": org["organization_id"], "email_address": "nobody@x.io"}),
        )
        .await;
    assert_eq!(err(&r), (404, "member_not_found".into()));
    // The emailed reset lifts it.
    assert_eq!(start(&app, &org, &m, json!({})).await.0, 200);
    let (_, token) = outbox_link(&app, m["email_address"].as_str().unwrap()).await;
    let r = app
        .post(
            RESET,
            json!({"password_reset_token": token, "password": NEW}),
        )
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(login(&app, &org, &m, NEW).await.0, 200);
}
both!(require_reset_refuses_password_until_reset);

/// The `/sdk/v1` twins, with the bodies `@stytch/vanilla-js` sends (`resetByEmailStart`,
/// `resetByEmail`, `resetByExistingPassword`, `resetBySession`).
async fn sdk_password_resets(app: TestApp) {
    use crate::sdk::{public_token, Sdk, PAGE};
    let (org, m) = member_with_password(&app, json!([])).await;
    let email = m["email_address"].as_str().unwrap().to_string();
    let mut sdk = Sdk {
        app: &app,
        public_token: public_token(&app).await,
        session: None,
        origin: PAGE,
    };
    let (s, b) = sdk
        .post(
            "/b2b/passwords/email/reset/start",
            json!({"organization_id": org["organization_id"],
            "email_address": email, "reset_password_redirect_url": CB, "captcha_token": null}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member_id"], m["member_id"]);
    let (_, token) = outbox_link(&app, &email).await;
    let (s, b) = sdk
        .post(
            "/b2b/passwords/email/reset",
            json!({"password_reset_token": token, "password": NEW,
            "session_duration_minutes": 60, "dfp_telemetry_id": null}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let session = b["data"]["session_token"].as_str().unwrap().to_string();
    let (s, b) = sdk
        .post("/b2b/passwords/existing_password/reset", json!({"organization_id": org["organization_id"],
            "email_address": email, "existing_password": NEW, "new_password": "second-Lantern-83-quietly",
            "session_duration_minutes": 60}))
        .await;
    assert_eq!(s, 200, "{b}");
    // Session reset needs the caller's session.
    let (s, _) = sdk
        .post(
            "/b2b/passwords/session/reset",
            json!({"password": "third-Harbor-19-violet"}),
        )
        .await;
    assert_eq!(s, 401);
    sdk.session = Some(b["data"]["session_token"].as_str().unwrap().to_string());
    let (s, b) = sdk
        .post(
            "/b2b/passwords/session/reset",
            json!({"password": "third-Harbor-19-violet"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member_id"], m["member_id"]);
    // The existing-password reset ended the first session.
    assert!(!session_alive(&app, &session).await);
    assert_eq!(login(&app, &org, &m, "third-Harbor-19-violet").await.0, 200);
}
both!(sdk_password_resets);
