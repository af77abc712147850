//! "Forgot password?" on the hosted page (issue 13 item 5), step by step over HTTP on both
//! engines: the password step links to a form that mails a reset link; the link works only in
//! the browser that asked (PKCE verifier in the pending request); a weak password is asked
//! again without spending the link; the new password signs the member in and the same
//! authorization request ends in a code the relying party redeems; forms need the CSRF token.

use reqwest::StatusCode;

use crate::both;
use crate::browser::Browser;
use crate::helpers::{unique, TestApp};
use crate::magic_links::outbox_link;
use crate::pages::{authorize_url, client, org_with_member, redeem, start, PASSWORD};

const NEW: &str = "violet-Harbor-42-lantern-quietly";

async fn forgot_password_resets_and_resumes_the_request(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("fp-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let first = b.follow("/oauth2/authorize/continue").await;
    let csrf = first.csrf();
    let login = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &email)],
        )
        .await;
    assert!(
        login
            .body
            .contains("href=\"/oauth2/authorize/forgot_password\""),
        "{}",
        login.body
    );
    let forgot = b.follow("/oauth2/authorize/forgot_password").await;
    assert_eq!(forgot.status, 200, "{}", forgot.body);
    assert!(forgot.body.contains(&email), "{}", forgot.body);
    // Without the CSRF token nothing is sent.
    let forged = b
        .post("/oauth2/authorize/forgot_password", &[("csrf_token", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let sent = b
        .submit(
            "/oauth2/authorize/forgot_password",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert!(
        sent.body.contains("We sent a password reset link"),
        "{}",
        sent.body
    );
    let (link, token) = outbox_link(&app, &email).await;
    assert!(
        link.as_str()
            .starts_with(&format!("{}/oauth2/authorize/reset_password?", app.base)),
        "{link}"
    );

    // Another browser cannot use the link.
    let mut other = Browser::new(&app.base);
    let r = other.get(link.as_str()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("browser where you asked"), "{}", r.body);

    let form = b.get(link.as_str()).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("autocomplete=\"new-password\""),
        "{}",
        form.body
    );
    let weak = b
        .post(
            "/oauth2/authorize/reset_password",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("password", "password"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.body);
    assert!(weak.body.contains("stronger password"), "{}", weak.body);
    let forged = b
        .post(
            "/oauth2/authorize/reset_password",
            &[("csrf_token", "x"), ("token", &token), ("password", NEW)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = b
        .post(
            "/oauth2/authorize/reset_password",
            &[("csrf_token", &csrf), ("token", &token), ("password", NEW)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("latchkey_session_")));
    // First party: no consent step; the relying party gets its code.
    let end = b.follow(&done.location()).await;
    assert_eq!(end.status, StatusCode::SEE_OTHER, "{}", end.body);
    assert!(
        end.location().starts_with(crate::pages::RP),
        "{}",
        end.location()
    );
    let q = end.query();
    assert_eq!(q["state"], "st-123");
    let tokens = redeem(&app, &c, &q["code"]).await;
    assert!(tokens["access_token"].as_str().is_some());
    // The old password is gone, the new one works; the link was single use.
    let org_login = |pw: &'static str| {
        let email = email.clone();
        let app = &app;
        async move {
            let orgs = app
                .state
                .store
                .members_by_email(&app.project_id, &email)
                .await
                .unwrap();
            app.post(
                "/v1/b2b/passwords/authenticate",
                serde_json::json!({"organization_id": orgs[0].organization_id,
                    "email_address": email, "password": pw}),
            )
            .await
            .0
        }
    };
    assert_eq!(org_login(PASSWORD).await, 401);
    assert_eq!(org_login(NEW).await, 200);
}
both!(forgot_password_resets_and_resumes_the_request);
