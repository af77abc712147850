//! One-time passcodes over HTTP (issue 13 item 3), on both engines: email codes log a member in
//! (JIT signup, `email_otp` factor, the member activated); SMS codes step a session up (`otp`
//! factor, `mfa_phone_number_verified`); wrong, expired, reused and dead codes, the resend
//! interval, and methods the organization does not allow are refused; SMS land in the outbox
//! (and `latchkey outbox`), or at a webhook with a correct signature.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::both;
use crate::both_engines;
use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::passwords::member_with_password;

pub const EMAIL_SEND: &str = "/v1/b2b/otps/email/login_or_signup";
pub const EMAIL_AUTH: &str = "/v1/b2b/otps/email/authenticate";
pub const SMS_SEND: &str = "/v1/b2b/otps/sms/send";
pub const SMS_AUTH: &str = "/v1/b2b/otps/sms/authenticate";
const PHONE: &str = "+12025550123";
const PASSWORD: &str = "Kk4DQuMMfZL9o";

fn err(r: &(reqwest::StatusCode, Value)) -> (u16, String) {
    (
        r.0.as_u16(),
        r.1["error_type"].as_str().unwrap_or("").to_string(),
    )
}

/// The six-digit code in the newest outbox message to `to` (mail or SMS).
pub async fn outbox_code(app: &TestApp, to: &str) -> String {
    let messages = app
        .state
        .store
        .list_outbox(Some(&app.project_id), 100)
        .await
        .unwrap();
    let m = messages
        .iter()
        .find(|m| m.to_address == to)
        .unwrap_or_else(|| panic!("nothing sent to {to}"));
    m.text_body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {:?}", m.text_body))
        .to_string()
}

fn wrong(code: &str) -> String {
    let first = if code.starts_with('9') { '1' } else { '9' };
    format!("{first}{}", &code[1..])
}

async fn jit_org(app: &TestApp, extra: Value) -> (Value, String) {
    let domain = format!("otp{}.io", unique());
    let mut body = json!({"organization_name": "Otp", "email_jit_provisioning": "RESTRICTED",
        "email_allowed_domains": [domain]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    (app.create_org(body).await, domain)
}

async fn send_email(app: &TestApp, org: &Value, email: &str) -> (reqwest::StatusCode, Value) {
    app.post(
        EMAIL_SEND,
        json!({"organization_id": org["organization_id"], "email_address": email}),
    )
    .await
}

async fn auth_email(
    app: &TestApp,
    org: &Value,
    email: &str,
    code: &str,
) -> (reqwest::StatusCode, Value) {
    app.post(
        EMAIL_AUTH,
        json!({"organization_id": org["organization_id"], "email_address": email, "code": code,
            "session_duration_minutes": 30}),
    )
    .await
}

async fn email_code_signs_up_and_logs_in(app: TestApp) {
    let (org, domain) = jit_org(&app, json!({})).await;
    let email = format!("new-{}@{domain}", unique());
    let (status, body) = send_email(&app, &org, &email).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_created"], true);
    assert_eq!(body["member"]["status"], "pending");
    let code = outbox_code(&app, &email).await;
    // The code is stored only as a keyed hash.
    let mail = &app
        .state
        .store
        .list_outbox(Some(&app.project_id), 1)
        .await
        .unwrap()[0];
    assert!(mail.subject.contains(&code) && mail.link.is_empty());

    let r = auth_email(&app, &org, &email, &wrong(&code)).await;
    assert_eq!(err(&r), (401, "unable_to_auth_otp_code".into()));
    let (status, body) = auth_email(&app, &org, &email, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_authenticated"], true);
    assert_eq!(body["member"]["status"], "active");
    assert_eq!(body["member"]["email_address_verified"], true);
    assert!(body["method_id"].as_str().unwrap().starts_with("email-"));
    let f = &body["member_session"]["authentication_factors"][0];
    assert_eq!(
        (f["type"].as_str(), f["delivery_method"].as_str()),
        (Some("email_otp"), Some("email"))
    );
    let token = body["session_token"].as_str().unwrap();
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": token}),
        )
        .await;
    assert_eq!(status, 200);
    // Single use.
    let r = auth_email(&app, &org, &email, &code).await;
    assert_eq!(err(&r), (401, "unable_to_auth_otp_code".into()));
    // An address the organization's JIT rules do not admit gets no member.
    let r = send_email(&app, &org, &format!("x-{}@elsewhere.io", unique())).await;
    assert_eq!(r.0.as_u16(), 403, "{}", r.1);
}
both!(email_code_signs_up_and_logs_in);

async fn attempts_are_limited_and_codes_expire(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, domain) = jit_org(&app, json!({})).await;
    let email = format!("a-{}@{domain}", unique());
    assert_eq!(send_email(&app, &org, &email).await.0, 200);
    let code = outbox_code(&app, &email).await;
    for _ in 0..5 {
        let r = auth_email(&app, &org, &email, &wrong(&code)).await;
        assert_eq!(err(&r).0, 401, "{}", r.1);
    }
    // Five attempts spent: even the right code no longer works.
    let r = auth_email(&app, &org, &email, &code).await;
    assert_eq!(err(&r), (429, "otp_code_too_many_attempts".into()));

    // Resend interval: a new code only 30 s after the last one.
    clock.advance(2);
    let r = send_email(&app, &org, &email).await;
    assert_eq!(err(&r), (429, "too_many_requests".into()));
    clock.advance(30);
    assert_eq!(send_email(&app, &org, &email).await.0, 200);
    let code = outbox_code(&app, &email).await;
    // The default lifetime is ten minutes.
    clock.advance(10 * 60 + 1);
    let r = auth_email(&app, &org, &email, &code).await;
    assert_eq!(err(&r), (401, "otp_code_expired".into()));
    // login_expiration_minutes is bounded (2 to 15).
    let r = app
        .post(
            EMAIL_SEND,
            json!({"organization_id": org["organization_id"], "email_address": email,
                "signup_expiration_minutes": 16}),
        )
        .await;
    assert_eq!(err(&r), (400, "invalid_expiration_minutes".into()));
}
both_engines!(attempts_are_limited_and_codes_expire);

async fn methods_the_organization_refuses(app: TestApp) {
    let (org, domain) = jit_org(
        &app,
        json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["magic_link"],
            "mfa_methods": "RESTRICTED", "allowed_mfa_methods": ["totp"]}),
    )
    .await;
    let email = format!("r-{}@{domain}", unique());
    let r = send_email(&app, &org, &email).await;
    assert_eq!(err(&r), (403, "unauthorized_auth_method".into()));
    let r = auth_email(&app, &org, &email, "123456").await;
    assert_eq!(err(&r).0, 404, "no member was created: {}", r.1);
    let m = app
        .create_member(
            org["organization_id"].as_str().unwrap(),
            json!({"email_address": email}),
        )
        .await;
    let r = auth_email(&app, &org, &email, "123456").await;
    assert_eq!(err(&r), (403, "unauthorized_auth_method".into()));
    let r = app
        .post(
            SMS_SEND,
            json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
                "mfa_phone_number": PHONE}),
        )
        .await;
    assert_eq!(err(&r), (403, "unauthorized_mfa_method".into()));
}
both!(methods_the_organization_refuses);

/// A member with a password and a live session of theirs.
async fn member_with_session(app: &TestApp) -> (Value, Value, String) {
    let (org, m) = member_with_password(app, json!([])).await;
    let (status, body) = app
        .post(
            "/v1/b2b/passwords/authenticate",
            json!({"organization_id": org["organization_id"], "email_address": m["email_address"],
                "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["session_token"].as_str().unwrap().to_string();
    (org, m, token)
}

async fn sms_code_steps_up_a_session(app: TestApp) {
    let (org, m, token) = member_with_session(&app).await;
    let send = |phone: &'static str, session: Option<&str>| {
        let mut body = json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
            "mfa_phone_number": phone});
        if let Some(s) = session {
            body["session_token"] = s.into();
        }
        app.post(SMS_SEND, body)
    };
    let r = send("555", None).await;
    assert_eq!(err(&r), (400, "invalid_phone_number".into()));
    let (status, body) = send(PHONE, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member"]["mfa_phone_number"], PHONE);
    assert_eq!(body["member"]["mfa_phone_number_verified"], false);
    // The outbox holds the SMS, which `latchkey outbox` lists.
    let code = outbox_code(&app, PHONE).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["outbox", "--json", "--project", &app.project_id])
        .args(["--database-url", &app.database_url])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sms = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "sms")
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(sms["to_address"], PHONE);
    assert!(sms["text_body"].as_str().unwrap().contains(&code));
    // Another number than the member's is refused.
    let r = send("+12025550199", Some(&token)).await;
    assert_eq!(err(&r), (400, "mfa_phone_number_mismatch".into()));

    let auth = |code: String, session: Option<String>| {
        let mut body = json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
            "code": code});
        if let Some(s) = session {
            body["session_token"] = s.into();
        }
        app.post(SMS_AUTH, body)
    };
    let r = auth(code.clone(), None).await;
    assert_eq!(
        err(&r),
        (
            400,
            "action_available_only_once_primary_authentication_is_met".into()
        )
    );
    let r = auth(wrong(&code), Some(token.clone())).await;
    assert_eq!(err(&r), (401, "unable_to_auth_otp_code".into()));
    let (status, body) = auth(code.clone(), Some(token.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["session_token"], token.as_str());
    assert_eq!(body["member"]["mfa_phone_number_verified"], true);
    let factors = body["member_session"]["authentication_factors"]
        .as_array()
        .unwrap();
    let sms = factors.iter().find(|f| f["type"] == "otp").unwrap();
    assert_eq!(sms["delivery_method"], "sms");
    assert_eq!(sms["phone_number_factor"]["phone_number"], PHONE);
    assert!(factors.iter().any(|f| f["type"] == "password"));
    let r = auth(code, Some(token.clone())).await;
    assert_eq!(err(&r), (401, "unable_to_auth_otp_code".into()), "reused");
    // The member now has a verified phone: a send without their session is refused.
    let r = app
        .post(
            SMS_SEND,
            json!({"organization_id": org["organization_id"], "member_id": m["member_id"]}),
        )
        .await;
    assert_eq!(err(&r), (401, "session_required".into()));
    // Another member's session is not theirs.
    let (_, _, other) = member_with_session(&app).await;
    let r = app
        .post(
            SMS_SEND,
            json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
                "session_token": other}),
        )
        .await;
    assert_eq!(err(&r).0, 400, "{}", r.1);
}
both!(sms_code_steps_up_a_session);

/// A loopback HTTP server that records what is POSTed to it.
async fn recorder() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(axum::http::HeaderMap, Vec<u8>)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    tx.send((headers, body.to_vec())).unwrap();
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn sms_webhook_gets_a_signed_body(backend: Backend) {
    const SECRET: &str = "test-webhook-secret-0123456789";
    let (url, mut rx) = recorder().await;
    let hook = url.clone();
    let app = TestApp::spawn_with_config(backend, move |c| {
        c.sms_webhook_url = Some(hook);
        c.sms_webhook_secret = Some(latchkey_server::sms::WebhookSecret(SECRET.into()));
    })
    .await;
    let (org, m, _) = member_with_session(&app).await;
    let (status, body) = app
        .post(
            SMS_SEND,
            json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
                "mfa_phone_number": PHONE}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (headers, raw) = rx.recv().await.unwrap();
    let ts: i64 = headers["x-latchkey-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = latchkey_core::otp::webhook_signature(SECRET.as_bytes(), ts, &raw);
    assert_eq!(headers["x-latchkey-signature"].to_str().unwrap(), expected);
    assert_eq!(headers["content-type"], "application/json");
    let delivered: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(delivered["type"], "sms");
    assert_eq!(delivered["to"], PHONE);
    assert_eq!(delivered["project_id"], app.project_id.as_str());
    assert!(delivered["id"].as_str().unwrap().starts_with("otp-"));
    let text = delivered["body"].as_str().unwrap();
    assert!(text.split(' ').next().unwrap().len() == 6, "{text}");
    // Nothing went to the outbox.
    let kept = app
        .state
        .store
        .list_outbox(Some(&app.project_id), 10)
        .await
        .unwrap();
    assert!(kept.iter().all(|k| k.channel != "sms"));
    // A webhook that does not answer 2xx is a 503.
    drop(rx);
    let dead = TestApp::spawn_with_config(backend, |c| {
        c.sms_webhook_url = Some("http://127.0.0.1:9/sms".into());
        c.sms_webhook_secret = Some(latchkey_server::sms::WebhookSecret(SECRET.into()));
    })
    .await;
    let (org, m, _) = member_with_session(&dead).await;
    let r = dead
        .post(
            SMS_SEND,
            json!({"organization_id": org["organization_id"], "member_id": m["member_id"],
                "mfa_phone_number": PHONE}),
        )
        .await;
    assert_eq!(err(&r), (503, "sms_delivery_failed".into()));
}
both_engines!(sms_webhook_gets_a_signed_body);

/// Issue 13 item 1 with item 3: in an organization that requires MFA, an email code answers
/// with an intermediate session, an SMS code exchanges it (once) for a full session with both
/// factors, and the member ends up enrolled with a verified phone.
async fn email_then_sms_completes_mfa(app: TestApp) {
    let (org, domain) = jit_org(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let email = format!("mfa-{}@{domain}", unique());
    assert_eq!(send_email(&app, &org, &email).await.0, 200);
    let code = outbox_code(&app, &email).await;
    let (status, first) = auth_email(&app, &org, &email, &code).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["member_authenticated"], false);
    assert_eq!(first["session_token"], "");
    assert_eq!(first["session_jwt"], "");
    let ist = first["intermediate_session_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!ist.is_empty());
    let member_id = first["member_id"].clone();

    let sms_body = |extra: Value| {
        let mut b = json!({"organization_id": org["organization_id"], "member_id": member_id});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    // A made-up intermediate token is refused.
    let r = app
        .post(
            SMS_SEND,
            sms_body(json!({"mfa_phone_number": PHONE, "intermediate_session_token": "nope"})),
        )
        .await;
    assert_eq!(err(&r), (404, "intermediate_session_not_found".into()));
    let (status, body) = app
        .post(
            SMS_SEND,
            sms_body(json!({"mfa_phone_number": PHONE, "intermediate_session_token": ist})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sms = outbox_code(&app, PHONE).await;
    // A wrong intermediate token does not burn the code.
    let r = app
        .post(
            SMS_AUTH,
            sms_body(json!({"code": sms, "intermediate_session_token": "nope"})),
        )
        .await;
    assert_eq!(err(&r), (404, "intermediate_session_not_found".into()));
    let (status, done) = app
        .post(
            SMS_AUTH,
            sms_body(json!({"code": sms, "intermediate_session_token": ist,
                "session_duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let token = done["session_token"].as_str().unwrap();
    assert!(!token.is_empty() && !done["session_jwt"].as_str().unwrap().is_empty());
    let kinds: Vec<&str> = done["member_session"]["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"email_otp") && kinds.contains(&"otp"),
        "{kinds:?}"
    );
    assert_eq!(done["member"]["mfa_enrolled"], true);
    assert_eq!(done["member"]["mfa_phone_number_verified"], true);
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": token}),
        )
        .await;
    assert_eq!(status, 200);
    // The intermediate session was consumed: a second exchange fails, even with a new code.
    let r = app
        .post(
            SMS_SEND,
            sms_body(json!({"intermediate_session_token": ist})),
        )
        .await;
    assert_eq!(err(&r), (404, "intermediate_session_not_found".into()));
}
both!(email_then_sms_completes_mfa);
