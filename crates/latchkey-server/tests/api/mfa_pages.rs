//! The hosted page's second-factor step (issue 13 item 5) over HTTP on both engines: a
//! password where the organization requires MFA leads to TOTP enrolment (QR code and key,
//! a confirming code, the recovery codes shown once), then consent and a code the relying
//! party redeems; a later login asks for the TOTP and accepts a recovery code instead.

use latchkey_core::mfa::totp::TotpSecret;
use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::browser::{Browser, Resp};
use crate::helpers::{unique, TestApp};
use crate::pages::{authorize_url, claims, client, redeem, start, PASSWORD};

const BCRYPT_HASH: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";

fn between<'a>(body: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    body.split(open)
        .skip(1)
        .filter_map(|s| s.split(close).next())
        .collect()
}

/// Email then password; returns the response to the password form.
async fn password(b: &mut Browser, email: &str) -> Resp {
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    let page = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", email)],
        )
        .await;
    assert!(page.body.contains("name=\"password\""), "{}", page.body);
    b.post(
        "/oauth2/authorize/password",
        &[("csrf_token", &csrf), ("password", PASSWORD)],
    )
    .await
}

fn no_session_cookie(r: &Resp) -> bool {
    !r.headers
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("latchkey_session_"))
}

/// Consent (the first time) and the code the relying party redeems.
async fn consent_and_redeem(app: &TestApp, b: &mut Browser, c: &crate::pages::Client, page: Resp) {
    let done = if page.status == StatusCode::SEE_OTHER {
        // Consent was given before: straight back to the client with a code.
        page
    } else {
        assert!(page.body.contains("wants access"), "{}", page.body);
        let csrf = page.csrf();
        b.post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await
    };
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let tokens = redeem(app, c, &done.query()["code"]).await;
    assert!(claims(tokens["id_token"].as_str().unwrap())["sub"].is_string());
}

async fn enrol_then_sign_in_with_totp_and_recovery_code(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("mfa-page-{}@acme.io", unique());
    let org = app
        .create_org(json!({"organization_name": "Strict", "mfa_policy": "REQUIRED_FOR_ALL"}))
        .await;
    let (status, body) = app
        .post(
            "/v1/b2b/passwords/migrate",
            json!({"organization_id": org["organization_id"], "email_address": email, "hash_type": "bcrypt", "hash": BCRYPT_HASH}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let r = password(&mut b, &email).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(no_session_cookie(&r), "no session before the second factor");
    let step = b.follow(&r.location()).await;
    assert_eq!(step.status, 200, "{}", step.body);
    assert!(
        step.body.contains("Set up an authenticator app"),
        "{}",
        step.body
    );
    assert!(step.body.contains("src=\"data:image"), "{}", step.body);
    let key = between(&step.body, "<code class=\"secret\">", "</code>")[0].to_string();
    let secret = TotpSecret::from_base32(&key).unwrap();
    let csrf = step.csrf();
    let wrong = b
        .post(
            "/oauth2/authorize/totp",
            &[("csrf_token", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);
    let forged = b
        .post(
            "/oauth2/authorize/totp",
            &[("csrf_token", "forged"), ("code", "000000")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let code = secret.code_at(app.state.clock.now().unix_timestamp());
    let saved = b
        .post(
            "/oauth2/authorize/totp",
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(!no_session_cookie(&saved));
    let codes: Vec<String> = between(&saved.body, "<li><code>", "</code>")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10, "{}", saved.body);
    let consent = b.follow("/oauth2/authorize/continue").await;
    consent_and_redeem(&app, &mut b, &c, consent).await;

    // A new browser: password, then the TOTP form (no enrolment); a recovery code instead.
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let r = password(&mut b, &email).await;
    let step = b.follow(&r.location()).await;
    assert!(step.body.contains("Second sign-in step"), "{}", step.body);
    assert!(!step.body.contains("data:image"), "{}", step.body);
    let csrf = step.csrf();
    let r = b
        .post(
            "/oauth2/authorize/recovery_code",
            &[("csrf_token", &csrf), ("recovery_code", &codes[0])],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let consent = b.follow(&r.location()).await;
    consent_and_redeem(&app, &mut b, &c, consent).await;
}
both!(enrol_then_sign_in_with_totp_and_recovery_code);
