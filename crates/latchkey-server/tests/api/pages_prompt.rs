//! OpenID Connect interaction parameters on the hosted page (OIDC Core §3.1.2.1, §3.1.2.6):
//! `prompt=none` (silent authentication), `prompt=login` / `select_account`, `max_age`, and
//! `login_hint`.

use std::sync::Arc;

use reqwest::StatusCode;

use crate::both;
use crate::browser::{Browser, Resp};
use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::pages::{authorize_url, claims, client, log_in, org_with_member, redeem, start, RP};

/// GET the authorize URL in `b` and follow it to where it ends (a page or the client).
async fn go(b: &mut Browser, url: &str) -> Resp {
    b.follow(url).await
}

fn assert_error(r: &Resp, app: &TestApp, error: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with(RP), "{}", r.location());
    let q = r.query();
    assert_eq!(q.get("error").map(String::as_str), Some(error), "{q:?}");
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], app.base);
    assert!(!q.contains_key("code"));
}

fn code_of(r: &Resp) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with(RP), "{}", r.location());
    r.query()
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {}", r.location()))
}

async fn prompt_none(app: TestApp) {
    let first = client(&app, "first_party").await;
    let third = client(&app, "third_party").await;
    let email = format!("nia-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let none = [("prompt", "none")];

    // No session: login_required, without showing a page.
    let mut b = Browser::new(&app.base);
    let r = go(&mut b, &authorize_url(&first.id, &none)).await;
    assert_error(&r, &app, "login_required");

    // Signed in through a first-party app (no consent needed): silent code.
    let mut b = start(&app, &authorize_url(&first.id, &[])).await;
    let done = log_in(&mut b, &email, None).await;
    redeem(&app, &first, &code_of(&done)).await;
    let r = go(&mut b, &authorize_url(&first.id, &none)).await;
    let tokens = redeem(&app, &first, &code_of(&r)).await;
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["nonce"],
        "n-456"
    );

    // A third-party app the member never approved: consent_required.
    let r = go(&mut b, &authorize_url(&third.id, &none)).await;
    assert_error(&r, &app, "consent_required");
    // Once approved, silent again.
    let page = go(&mut b, &authorize_url(&third.id, &[])).await;
    assert!(page.body.contains("Allow"), "{}", page.body);
    let csrf = page.csrf();
    let r = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    redeem(&app, &third, &code_of(&r)).await;
    let r = go(&mut b, &authorize_url(&third.id, &none)).await;
    redeem(&app, &third, &code_of(&r)).await;

    // Another browser, without the session cookie: login_required.
    let mut signed_out = Browser::new(&app.base);
    let r = go(&mut signed_out, &authorize_url(&third.id, &none)).await;
    assert_error(&r, &app, "login_required");
}
both!(prompt_none);

async fn prompt_login_forces_a_new_sign_in(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("lou-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let done = log_in(&mut b, &email, None).await;
    let t1 = redeem(&app, &c, &code_of(&done)).await;
    let sid1 = claims(t1["id_token"].as_str().unwrap())["auth_time"].clone();

    for prompt in ["login", "select_account"] {
        // The login steps show again, the email prefilled with the member's address.
        let page = go(&mut b, &authorize_url(&c.id, &[("prompt", prompt)])).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("name=\"email_address\"")
                && page.body.contains(&format!("value=\"{email}\"")),
            "{}",
            page.body
        );
        let done = log_in(&mut b, &email, None).await;
        let t = redeem(&app, &c, &code_of(&done)).await;
        let auth_time = claims(t["id_token"].as_str().unwrap())["auth_time"].clone();
        assert!(auth_time.as_i64() >= sid1.as_i64(), "{auth_time} {sid1}");
    }
    // prompt=none cannot be combined.
    let r = go(&mut b, &authorize_url(&c.id, &[("prompt", "none login")])).await;
    assert_error(&r, &app, "invalid_request");
}
both!(prompt_login_forces_a_new_sign_in);

async fn login_hint_prefills_the_email(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("hal-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = Browser::new(&app.base);
    let page = go(&mut b, &authorize_url(&c.id, &[("login_hint", &email)])).await;
    assert!(
        page.body.contains(&format!("value=\"{email}\"")),
        "{}",
        page.body
    );
    // A hint that is not an email address is ignored.
    let mut b = Browser::new(&app.base);
    let page = go(
        &mut b,
        &authorize_url(&c.id, &[("login_hint", "x\"><script>")]),
    )
    .await;
    assert!(!page.body.contains("<script>"), "{}", page.body);
}
both!(login_hint_prefills_the_email);

/// `max_age`: a session older than it signs in again (or, silently, `login_required`).
async fn max_age(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let c = client(&app, "first_party").await;
    let email = format!("max-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[("max_age", "0")])).await;
    // max_age=0 right after signing in within the request: no loop, a code.
    let done = log_in(&mut b, &email, None).await;
    redeem(&app, &c, &code_of(&done)).await;
    clock.advance(120);
    let r = go(&mut b, &authorize_url(&c.id, &[("max_age", "300")])).await;
    redeem(&app, &c, &code_of(&r)).await;
    let r = go(
        &mut b,
        &authorize_url(&c.id, &[("max_age", "60"), ("prompt", "none")]),
    )
    .await;
    assert_error(&r, &app, "login_required");
    let page = go(&mut b, &authorize_url(&c.id, &[("max_age", "60")])).await;
    assert!(
        page.body.contains("name=\"email_address\""),
        "{}",
        page.body
    );
    let done = log_in(&mut b, &email, None).await;
    let t = redeem(&app, &c, &code_of(&done)).await;
    let id = claims(t["id_token"].as_str().unwrap());
    let now = latchkey_core::clock::Clock::now(clock.as_ref()).unix_timestamp();
    assert!((id["auth_time"].as_i64().unwrap() - now).abs() < 30, "{id}");
    let r = go(&mut b, &authorize_url(&c.id, &[("max_age", "soon")])).await;
    assert_error(&r, &app, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_sqlite() {
    max_age(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_postgres() {
    max_age(Backend::Postgres).await
}

/// Discovery advertises what the hosted page honours, and the logout endpoint.
async fn discovery_advertises_prompts_and_logout(app: TestApp) {
    let url = format!(
        "{}/v1/public/{}/.well-known/openid-configuration",
        app.base, app.project_id
    );
    let doc: serde_json::Value = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["prompt_values_supported"],
        serde_json::json!(["none", "login", "consent", "select_account"])
    );
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{}/oauth2/authorize", app.base)
    );
    assert_eq!(
        doc["end_session_endpoint"],
        format!("{}/oauth2/logout", app.base)
    );
}
both!(discovery_advertises_prompts_and_logout);
