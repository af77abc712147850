//! Issue 13 items 1, 2, 4, 7 over HTTP on both engines: intermediate sessions from passwords
//! and magic links, TOTP create / authenticate / migrate, recovery codes, every refusal
//! (expired or reused intermediate session, wrong or reused code, too many attempts, a method
//! the organization does not allow, MFA skipped at the token endpoint or Connected Apps
//! authorize), and the factors a completed session records.

use std::sync::Arc;

use latchkey_core::mfa::totp::TotpSecret;
use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::oauth_support::{create_client, token, REDIRECT};
use crate::{both, both_engines};

const PW_AUTH: &str = "/v1/b2b/passwords/authenticate";
const MIGRATE: &str = "/v1/b2b/passwords/migrate";
const TOTP: &str = "/v1/b2b/totp";
const TOTP_AUTH: &str = "/v1/b2b/totp/authenticate";
const TOTP_MIGRATE: &str = "/v1/b2b/totp/migrate";
const RECOVER: &str = "/v1/b2b/recovery_codes/recover";
const ROTATE: &str = "/v1/b2b/recovery_codes/rotate";
const SESSIONS_AUTH: &str = "/v1/b2b/sessions/authenticate";
const START: &str = "/v1/b2b/idp/oauth/authorize/start";
const BCRYPT: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD: &str = "Kk4DQuMMfZL9o";

fn kind(got: &(reqwest::StatusCode, Value)) -> (u16, String) {
    (
        got.0.as_u16(),
        got.1["error_type"].as_str().unwrap_or("").to_string(),
    )
}

fn refused(status: u16, t: &str) -> (u16, String) {
    (status, t.to_string())
}

/// An organization with `settings`, and a member with a password: (org id, member id, email).
async fn setup(app: &TestApp, settings: Value) -> (String, String, String) {
    let mut body =
        json!({"organization_name": "MFA", "organization_slug": format!("mfa-{}", unique())});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let org = app.create_org(body).await["organization_id"]
        .as_str()
        .unwrap()
        .to_string();
    let email = format!("mfa-{}@acme.io", unique());
    let (status, b) = app
        .post(
            MIGRATE,
            json!({"organization_id": org, "email_address": email, "hash_type": "bcrypt", "hash": BCRYPT}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    (org, b["member_id"].as_str().unwrap().to_string(), email)
}

/// Password authenticate; asserts the intermediate answer and returns its token.
async fn intermediate(app: &TestApp, org: &str, email: &str) -> String {
    let (status, b) = app
        .post(
            PW_AUTH,
            json!({"organization_id": org, "email_address": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["member_authenticated"], false, "{b}");
    assert_eq!(b["session_token"], "");
    assert_eq!(b["session_jwt"], "");
    assert!(b["member_session"].is_null());
    assert!(b["mfa_required"]["member_options"].is_object(), "{b}");
    b["intermediate_session_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// TOTP create for the member: (registration id, secret, recovery codes).
async fn create_totp(
    app: &TestApp,
    org: &str,
    member: &str,
    ist: Option<&str>,
) -> (String, TotpSecret, Vec<String>) {
    let mut body = json!({"organization_id": org, "member_id": member});
    if let Some(t) = ist {
        body["intermediate_session_token"] = t.into();
    }
    let (status, b) = app.post(TOTP, body).await;
    assert_eq!(status, 200, "{b}");
    assert!(b["qr_code"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBOR"));
    let codes: Vec<String> = serde_json::from_value(b["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    let secret = TotpSecret::from_base32(b["secret"].as_str().unwrap()).unwrap();
    (
        b["totp_registration_id"].as_str().unwrap().to_string(),
        secret,
        codes,
    )
}

fn code(app: &TestApp, secret: &TotpSecret) -> String {
    secret.code_at(app.state.clock.now().unix_timestamp())
}

async fn totp_auth(
    app: &TestApp,
    org: &str,
    member: &str,
    code: &str,
    ist: &str,
) -> (reqwest::StatusCode, Value) {
    app.post(
        TOTP_AUTH,
        json!({"organization_id": org, "member_id": member, "code": code, "intermediate_session_token": ist}),
    )
    .await
}

fn factor_types(b: &Value) -> Vec<String> {
    b["member_session"]["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect()
}

/// Password → intermediate → TOTP create and authenticate → a session with both factors;
/// the intermediate token is spent, the code too; the member is enrolled.
async fn password_then_totp(app: TestApp) {
    let (org, member, email) = setup(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let ist = intermediate(&app, &org, &email).await;
    let (reg, secret, _) = create_totp(&app, &org, &member, Some(&ist)).await;
    let c = code(&app, &secret);
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, "000000", &ist).await),
        refused(401, "otp_code_not_found")
    );
    let (status, b) = totp_auth(&app, &org, &member, &c, &ist).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(factor_types(&b), ["password", "totp"]);
    assert_eq!(b["member"]["totp_registration_id"], reg.as_str());
    let session_token = b["session_token"].as_str().unwrap().to_string();
    assert!(!b["session_jwt"].as_str().unwrap().is_empty());
    // The intermediate session was exchanged once.
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, &c, &ist).await),
        refused(404, "intermediate_session_not_found")
    );
    // The same code again, with a fresh intermediate session: spent.
    let ist2 = intermediate(&app, &org, &email).await;
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, &c, &ist2).await),
        refused(401, "otp_code_not_found")
    );
    // sessions/authenticate with an authorization check works on the MFA session.
    let (status, s) = app
        .post(
            SESSIONS_AUTH,
            json!({"session_token": session_token, "authorization_check": {"organization_id": org, "resource_id": "stytch.member", "action": "search"}}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), s["error_type"].as_str()),
        (403, Some("session_authorization_error"))
    );
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org}/members/{member}"),
            json!({"roles": ["stytch_admin"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, s) = app
        .post(
            SESSIONS_AUTH,
            json!({"session_token": session_token, "authorization_check": {"organization_id": org, "resource_id": "stytch.member", "action": "delete"}}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["verdict"]["authorized"], true, "{s}");
    let (status, s) = app
        .post(SESSIONS_AUTH, json!({"session_token": session_token}))
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(factor_types(&s), ["password", "totp"]);
    // A second TOTP create: the member has an active one.
    let (status, b) = app
        .post(TOTP, json!({"organization_id": org, "member_id": member}))
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str().unwrap()),
        (400, "active_totp_exists")
    );
}
both!(password_then_totp);

/// A recovery code completes MFA once; `get` no longer shows it; rotate replaces them all.
async fn recovery_code_login(app: TestApp) {
    let (org, member, email) = setup(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let ist = intermediate(&app, &org, &email).await;
    let (_, secret, codes) = create_totp(&app, &org, &member, Some(&ist)).await;
    let (status, b) = totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await;
    assert_eq!(status, 200, "{b}");
    let ist = intermediate(&app, &org, &email).await;
    let recover = |c: &str, ist: &str| json!({"organization_id": org, "member_id": member, "recovery_code": c, "intermediate_session_token": ist});
    assert_eq!(
        kind(&app.post(RECOVER, recover("aaaa-bbbb-cccc", &ist)).await),
        refused(401, "unauthorized_credentials")
    );
    let (status, b) = app
        .post(RECOVER, recover(&codes[0].to_uppercase(), &ist))
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["recovery_codes_remaining"], 9);
    assert_eq!(factor_types(&b), ["password", "recovery_codes"]);
    let ist = intermediate(&app, &org, &email).await;
    assert_eq!(
        kind(&app.post(RECOVER, recover(&codes[0], &ist)).await),
        refused(401, "unauthorized_credentials")
    );
    let (status, got) = app
        .get(&format!("/v1/b2b/recovery_codes/{org}/{member}"))
        .await;
    assert_eq!(status, 200, "{got}");
    let left: Vec<String> = serde_json::from_value(got["recovery_codes"].clone()).unwrap();
    assert_eq!(left, codes[1..]);
    let (status, rotated) = app
        .post(ROTATE, json!({"organization_id": org, "member_id": member}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let fresh: Vec<String> = serde_json::from_value(rotated["recovery_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    assert_eq!(
        kind(&app.post(RECOVER, recover(&codes[1], &ist)).await),
        refused(401, "unauthorized_credentials")
    );
    let (status, b) = app.post(RECOVER, recover(&fresh[3], &ist)).await;
    assert_eq!(status, 200, "{b}");
    // Concurrent uses of one code: exactly one wins.
    let (ia, ib) = (
        intermediate(&app, &org, &email).await,
        intermediate(&app, &org, &email).await,
    );
    let (ra, rb) = tokio::join!(
        app.post(RECOVER, recover(&fresh[4], &ia)),
        app.post(RECOVER, recover(&fresh[4], &ib))
    );
    assert_eq!(
        [ra.0, rb.0].iter().filter(|s| **s == 200).count(),
        1,
        "{ra:?} {rb:?}"
    );
}
both!(recovery_code_login);

/// An intermediate session expires after ten minutes; too many wrong codes answer 429.
async fn expired_intermediate_and_attempts(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, member, email) = setup(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let ist = intermediate(&app, &org, &email).await;
    let (_, secret, _) = create_totp(&app, &org, &member, Some(&ist)).await;
    clock.advance(601);
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await),
        refused(404, "intermediate_session_not_found")
    );
    let ist = intermediate(&app, &org, &email).await;
    for _ in 0..5 {
        assert_eq!(
            kind(&totp_auth(&app, &org, &member, "123456", &ist).await).0,
            401
        );
    }
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await),
        refused(429, "too_many_requests")
    );
    // The window passes: the right code works again, and the intermediate was not spent.
    clock.advance(601);
    let ist = intermediate(&app, &org, &email).await;
    let (status, b) = totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await;
    assert_eq!(status, 200, "{b}");
    // No second factor at all: Stytch's error.
    let (status, b) = app
        .post(
            TOTP_AUTH,
            json!({"organization_id": org, "member_id": member, "code": "123456"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str().unwrap()),
        (
            400,
            "action_available_only_once_primary_authentication_is_met"
        )
    );
}
both_engines!(expired_intermediate_and_attempts);

/// `mfa_methods: RESTRICTED` to SMS refuses TOTP and recovery codes; `auth_methods`
/// restricting passwords refuses before any intermediate session.
async fn methods_the_organization_does_not_allow(app: TestApp) {
    let (org, member, email) = setup(
        &app,
        json!({"mfa_policy": "REQUIRED_FOR_ALL", "mfa_methods": "RESTRICTED", "allowed_mfa_methods": ["sms_otp"]}),
    )
    .await;
    let ist = intermediate(&app, &org, &email).await;
    let (status, b) = app
        .post(
            TOTP,
            json!({"organization_id": org, "member_id": member, "intermediate_session_token": ist}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str().unwrap()),
        (403, "unauthorized_mfa_method")
    );
    assert_eq!(
        kind(&totp_auth(&app, &org, &member, "123456", &ist).await),
        refused(403, "unauthorized_mfa_method")
    );
    let (status, b) = app
        .post(RECOVER, json!({"organization_id": org, "member_id": member, "recovery_code": "x", "intermediate_session_token": ist}))
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str().unwrap()),
        (403, "unauthorized_mfa_method")
    );

    let (org, _, email) = setup(
        &app,
        json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["magic_link"]}),
    )
    .await;
    let got = app
        .post(
            PW_AUTH,
            json!({"organization_id": org, "email_address": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(kind(&got), refused(403, "unauthorized_auth_method"));
    for path in [
        "/v1/b2b/magic_links/email/login_or_signup",
        "/v1/b2b/magic_links/email/invite",
    ] {
        let (org, _, email) = setup(
            &app,
            json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["password"]}),
        )
        .await;
        let got = app
            .post(
                path,
                json!({"organization_id": org, "email_address": email}),
            )
            .await;
        assert_eq!(
            kind(&got),
            refused(403, "unauthorized_auth_method"),
            "{path}"
        );
    }
}
both!(methods_the_organization_does_not_allow);

/// MFA cannot be skipped: an intermediate token is no session (Connected Apps authorize, the
/// token endpoint, sessions/authenticate), and a one-factor session of an organization that
/// now requires MFA may not authorize a Connected App.
async fn mfa_cannot_be_skipped(app: TestApp) {
    let (org, member, email) = setup(&app, json!({})).await;
    // A one-factor session while MFA was optional.
    let (status, b) = app
        .post(
            PW_AUTH,
            json!({"organization_id": org, "email_address": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["member_authenticated"], true);
    let one_factor = b["session_token"].as_str().unwrap().to_string();
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org}"),
            json!({"mfa_policy": "REQUIRED_FOR_ALL"}),
        )
        .await;
    assert_eq!(status, 200);
    let client = create_client(&app, "first_party").await;
    let start = |who: Value| {
        let mut body = json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code", "scopes": ["openid"]});
        for (k, v) in who.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    assert_eq!(
        kind(
            &app.post(START, start(json!({"session_token": one_factor})))
                .await
        ),
        refused(403, "mfa_required")
    );
    let ist = intermediate(&app, &org, &email).await;
    assert_eq!(
        kind(&app.post(START, start(json!({"session_token": ist}))).await),
        refused(404, "session_not_found")
    );
    assert_eq!(
        kind(&app.post(SESSIONS_AUTH, json!({"session_token": ist})).await),
        refused(404, "session_not_found")
    );
    for fields in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", ist.as_str()),
            ("redirect_uri", REDIRECT),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", ist.as_str()),
        ],
    ] {
        let (status, _, body) = token(&app, &client, &fields).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    // With TOTP done, the session authorizes.
    let (_, secret, _) = create_totp(&app, &org, &member, Some(&ist)).await;
    let (status, b) = totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await;
    assert_eq!(status, 200, "{b}");
    let full = b["session_token"].as_str().unwrap();
    let (status, b) = app.post(START, start(json!({"session_token": full}))).await;
    assert_eq!(status, 200, "{b}");
}
both!(mfa_cannot_be_skipped);

/// TOTP migrate: an imported secret is the member's verified TOTP at once; `mfa_enrolled`
/// members get intermediate sessions; `set_mfa_enrollment: unenroll` lets them in with one
/// factor again.
async fn migrate_and_enrollment(app: TestApp) {
    let (org, member, email) = setup(&app, json!({})).await;
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let (status, b) = app
        .post(
            TOTP_MIGRATE,
            json!({"organization_id": org, "member_id": member, "secret": secret, "recovery_codes": ["ckss-2skx-ebow"]}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["recovery_codes"], json!(["ckss-2skx-ebow"]));
    assert_eq!(
        b["member"]["totp_registration_id"],
        b["totp_registration_id"]
    );
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org}/members/{member}"),
            json!({"mfa_enrolled": true}),
        )
        .await;
    assert_eq!(status, 200);
    let ist = intermediate(&app, &org, &email).await;
    let s = TotpSecret::from_base32(secret).unwrap();
    let (status, b) = app
        .post(
            TOTP_AUTH,
            json!({"organization_id": org, "member_id": member, "code": code(&app, &s), "intermediate_session_token": ist, "set_mfa_enrollment": "unenroll", "set_default_mfa": true}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["member"]["mfa_enrolled"], false);
    assert_eq!(b["member"]["default_mfa_method"], "totp");
    let (status, b) = app
        .post(
            PW_AUTH,
            json!({"organization_id": org, "email_address": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["member_authenticated"], true, "{b}");
    assert_eq!(factor_types(&b), ["password"]);
    let (status, b) = app
        .post(
            TOTP_MIGRATE,
            json!({"organization_id": org, "member_id": member, "secret": "!!"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str().unwrap()),
        (400, "invalid_totp_secret")
    );
}
both!(migrate_and_enrollment);

/// One TOTP code, two intermediate sessions, at once: exactly one session (RFC 6238 §5.2).
async fn totp_code_single_use_under_concurrency(app: TestApp) {
    let (org, member, email) = setup(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let ist = intermediate(&app, &org, &email).await;
    let (_, secret, _) = create_totp(&app, &org, &member, Some(&ist)).await;
    let (status, b) = totp_auth(&app, &org, &member, &code(&app, &secret), &ist).await;
    assert_eq!(status, 200, "{b}");
    // The next step's code, so the first one's spent step does not interfere.
    let next = secret.code_at(app.state.clock.now().unix_timestamp() + 30);
    let (ia, ib) = (
        intermediate(&app, &org, &email).await,
        intermediate(&app, &org, &email).await,
    );
    let (ra, rb) = tokio::join!(
        totp_auth(&app, &org, &member, &next, &ia),
        totp_auth(&app, &org, &member, &next, &ib)
    );
    assert_eq!(
        [ra.0, rb.0].iter().filter(|s| **s == 200).count(),
        1,
        "{ra:?} {rb:?}"
    );
}
both!(totp_code_single_use_under_concurrency);
