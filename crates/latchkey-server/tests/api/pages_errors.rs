//! Error paths of `/oauth2/authorize`: client and redirect problems are pages, everything else
//! is an OAuth error redirect with `state` and `iss`.

use reqwest::StatusCode;

use crate::both;
use crate::browser::Browser;
use crate::helpers::{unique, TestApp};
use crate::pages::{authorize_url, client, org_with_member, start, RP};

async fn client_and_redirect_errors_are_pages(app: TestApp) {
    let c = client(&app, "third_party_public").await;
    let mut b = Browser::new(&app.base);
    for url in [
        authorize_url(
            "connected-app-test-00000000-0000-4000-8000-000000000000",
            &[],
        ),
        authorize_url("", &[("client_id", "")]),
        authorize_url(&c.id, &[("redirect_uri", "https://evil.example/cb")]),
        authorize_url(&c.id, &[("redirect_uri", "")]),
        format!(
            "{}&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
            authorize_url(&c.id, &[])
        ),
    ] {
        let r = b.get(&url).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert!(r.headers.get("location").is_none(), "{url}");
        assert!(r.body.contains("<h1>"), "{}", r.body);
        assert!(r.csp().contains("frame-ancestors 'none'"));
    }
}
both!(client_and_redirect_errors_are_pages);

async fn other_errors_redirect_with_state_and_iss(app: TestApp) {
    let c = client(&app, "third_party_public").await;
    let mut b = Browser::new(&app.base);
    for (extra, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("response_type", "")], "unsupported_response_type"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "short")], "invalid_request"),
        (vec![("scope", "openid\temail")], "invalid_scope"),
        (vec![("prompt", "none consent")], "invalid_request"),
        (vec![("prompt", "create")], "invalid_request"),
        (vec![("max_age", "-5")], "invalid_request"),
        (vec![("resource", "not a uri")], "invalid_target"),
    ] {
        let r = b.get(&authorize_url(&c.id, &extra)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{extra:?}: {}", r.body);
        assert!(r.location().starts_with(RP), "{extra:?}");
        let q = r.query();
        assert_eq!(q["error"], error, "{extra:?}: {q:?}");
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], app.base);
    }
    let r = b
        .get(&format!("{}&state=again", authorize_url(&c.id, &[])))
        .await;
    let q = r.query();
    assert_eq!(q["error"], "invalid_request");
    assert!(!q.contains_key("state"), "a repeated state is not echoed");
}
both!(other_errors_redirect_with_state_and_iss);

async fn session_and_form_errors(app: TestApp) {
    let c = client(&app, "third_party").await;
    let mut nobody = Browser::new(&app.base);
    // No pending request in this browser.
    let r = nobody.get("/oauth2/authorize/continue").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("has ended"), "{}", r.body);
    let r = nobody
        .post(
            "/oauth2/authorize/email",
            &[("csrf_token", "x"), ("email_address", "a@b.io")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Bad email, unknown email, missing consent decision.
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    let r = b
        .post(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", "not-an-email")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("aria-invalid=\"true\""), "{}", r.body);
    let r = b
        .submit(
            "/oauth2/authorize/email",
            &[
                ("csrf_token", &csrf),
                ("email_address", &format!("nobody-{}@x.io", unique())),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("could not find an account"), "{}", r.body);
    let r = b
        .post("/oauth2/authorize/consent", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A garbage session cookie is ignored (and cleared): the login step shows.
    b.cookies.insert(app.session_cookie(), "garbage".into());
    let email = format!("gil-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let r = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &email)],
        )
        .await;
    assert!(r.body.contains("name=\"password\""), "{}", r.body);
    assert!(!b.cookies.contains_key(&app.session_cookie()));
    // Restart goes back to the email step.
    let r = b
        .submit("/oauth2/authorize/restart", &[("csrf_token", &csrf)])
        .await;
    assert!(r.body.contains("name=\"email_address\""), "{}", r.body);
}
both!(session_and_form_errors);

async fn organization_policy_denial_redirects(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("hal-{}@acme.io", unique());
    let org = org_with_member(&app, "Closed", &email).await;
    let (status, body) = app
        .put(
            &format!(
                "/v1/b2b/organizations/{}",
                org["organization_id"].as_str().unwrap()
            ),
            serde_json::json!({"third_party_connected_apps_allowed_type": "NOT_ALLOWED"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", &email)],
    )
    .await;
    let r = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", crate::pages::PASSWORD)],
        )
        .await;
    let r = b.get(&r.location()).await;
    let q = r.query();
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("access_denied", "st-123")
    );
}
both!(organization_policy_denial_redirects);

async fn assets_and_theme(app: TestApp) {
    let mut b = Browser::new(&app.base);
    let css = b.get("/oauth2/assets/latchkey.css").await;
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let theme = b.get("/oauth2/assets/theme.css").await;
    assert!(theme.body.contains("--accent: #3b5bdb"), "{}", theme.body);
}
both!(assets_and_theme);
