//! Email sign-in codes on the hosted page (issue 13 item 5), over HTTP on both engines: the
//! login step offers "Email me a code" where the organization allows `email_otp` (and not where
//! it does not); a wrong code is asked again; the right one signs the member in and the
//! authorization request ends in a code the relying party redeems; forms need the CSRF token.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::otps::outbox_code;
use crate::pages::{authorize_url, client, org_with_member, redeem, start};

async fn email_code_on_the_hosted_page(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("code-{}@acme.io", unique());
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
    assert!(login.body.contains("Email me a code"), "{}", login.body);
    let forged = b
        .post("/oauth2/authorize/email_code", &[("csrf_token", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let step = b
        .submit("/oauth2/authorize/email_code", &[("csrf_token", &csrf)])
        .await;
    assert!(
        step.body.contains("autocomplete=\"one-time-code\""),
        "{}",
        step.body
    );
    let code = outbox_code(&app, &email).await;
    let wrong = format!(
        "{}{}",
        if code.starts_with('9') { '1' } else { '9' },
        &code[1..]
    );
    let r = b
        .post(
            "/oauth2/authorize/email_code/verify",
            &[("csrf_token", &csrf), ("code", &wrong)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    // A resend within 30 s is refused on the page.
    let r = b
        .post("/oauth2/authorize/email_code", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let done = b
        .post(
            "/oauth2/authorize/email_code/verify",
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let end = b.follow(&done.location()).await;
    assert_eq!(end.status, StatusCode::SEE_OTHER, "{}", end.body);
    let q = end.query();
    assert_eq!(q["state"], "st-123");
    let tokens = redeem(&app, &c, &q["code"]).await;
    assert!(tokens["access_token"].as_str().is_some());
}
both!(email_code_on_the_hosted_page);

async fn no_code_where_the_organization_refuses_it(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("nocode-{}@acme.io", unique());
    let org = org_with_member(&app, "Acme", &email).await;
    let (status, body) = app
        .put(
            &format!(
                "/v1/b2b/organizations/{}",
                org["organization_id"].as_str().unwrap()
            ),
            json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["password"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let first = b.follow("/oauth2/authorize/continue").await;
    let csrf = first.csrf();
    let login = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &email)],
        )
        .await;
    assert!(!login.body.contains("Email me a code"), "{}", login.body);
    let r = b
        .post("/oauth2/authorize/email_code", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
both!(no_code_where_the_organization_refuses_it);

/// The second-factor step's SMS code (on the hosted MFA step): a password where the
/// organization requires MFA, then "Text me a code" to the member's number, the code from the
/// outbox, and the relying party's code; the member is enrolled with a verified phone.
async fn sms_code_completes_the_second_factor(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("sms-{}@acme.io", unique());
    let org = org_with_member(&app, "Acme", &email).await;
    let oid = org["organization_id"].as_str().unwrap().to_string();
    let phone = format!("+1202555{:04}", rand_digits());
    let members = app
        .state
        .store
        .members_by_email(&app.project_id, &email)
        .await
        .unwrap();
    let mid = members[0].member_id.clone();
    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{oid}/members/{mid}"),
            json!({"mfa_phone_number": phone}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{oid}"),
            json!({"mfa_policy": "REQUIRED_FOR_ALL"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let first = b.follow("/oauth2/authorize/continue").await;
    let csrf = first.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", &email)],
    )
    .await;
    let step = b
        .submit(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", crate::pages::PASSWORD)],
        )
        .await;
    assert!(step.body.contains("Text me a code at"), "{}", step.body);
    let sent = b
        .submit("/oauth2/authorize/sms", &[("csrf_token", &csrf)])
        .await;
    assert!(sent.body.contains("Code sent by SMS"), "{}", sent.body);
    let code = outbox_code(&app, &phone).await;
    let wrong = format!(
        "{}{}",
        if code.starts_with('9') { '1' } else { '9' },
        &code[1..]
    );
    let r = b
        .post(
            "/oauth2/authorize/sms/verify",
            &[("csrf_token", &csrf), ("code", &wrong)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let done = b
        .post(
            "/oauth2/authorize/sms/verify",
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let end = b.follow(&done.location()).await;
    assert_eq!(end.status, StatusCode::SEE_OTHER, "{}", end.body);
    let tokens = redeem(&app, &c, &end.query()["code"]).await;
    assert!(tokens["access_token"].as_str().is_some());
    let m = app
        .state
        .store
        .get_member_in_project(&app.project_id, &mid)
        .await
        .unwrap()
        .unwrap();
    assert!(m.mfa_phone_number_verified && m.mfa_enrolled);
}
both!(sms_code_completes_the_second_factor);

fn rand_digits() -> u32 {
    u32::from_str_radix(&unique()[..4], 16).unwrap_or(1234) % 10_000
}
