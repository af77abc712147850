//! Issue 14 item 5: the device authorization grant (RFC 8628) on both engines. The device
//! request (§3.1, §3.2), the polls (§3.4, §3.5: `authorization_pending`, `slow_down`,
//! `expired_token`, `access_denied`), the hosted page `/oauth2/device` (CSRF, wrong codes
//! counted and limited, §5.1) with the same login and consent steps as the authorization page,
//! the tokens on approval (single use under concurrent polls), clients not allowed, the legacy
//! path, discovery and the CLI setting.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::browser::{Browser, Resp};
use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::oauth_support::{create_client, form, introspect, userinfo, Client};
use crate::pages::{claims, log_in, org_with_member};

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A client allowed to use the device grant.
pub async fn device_client(app: &TestApp, client_type: &str) -> Client {
    let c = create_client(app, client_type).await;
    let (s, b) = app
        .put(
            &format!("/v1/connected_apps/clients/{}", c.id),
            json!({"device_code_allowed": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["connected_app"]["device_code_allowed"], true);
    c
}

/// `POST /v1/oauth2/device_authorization`.
pub async fn start(app: &TestApp, c: &Client, scope: &str) -> (StatusCode, Value) {
    let mut f = c.auth();
    f.push(("scope", scope.to_string()));
    let (s, _, b) = form(app, "/v1/oauth2/device_authorization", &f).await;
    (s, b)
}

/// A poll of the token endpoint.
pub async fn poll(app: &TestApp, c: &Client, device_code: &str) -> (StatusCode, Value) {
    let mut f = c.auth();
    f.push(("grant_type", GRANT.to_string()));
    f.push(("device_code", device_code.to_string()));
    let (s, _, b) = form(app, "/v1/oauth2/token", &f).await;
    (s, b)
}

fn error(r: &(StatusCode, Value)) -> &str {
    r.1["error"].as_str().unwrap_or("")
}

/// The member enters `user_code` in a fresh browser, signs in and decides.
pub async fn approve(app: &TestApp, user_code: &str, email: &str, decision: &str) -> Resp {
    let mut b = Browser::new(&app.base);
    let page = b.get("/oauth2/device").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let r = b
        .post(
            "/oauth2/device",
            &[("csrf_token", &csrf), ("user_code", user_code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/oauth2/authorize/continue");
    let consent = log_in(&mut b, email, None).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(
        consent.body.contains("wants access")
            && consent
                .body
                .contains("Allowing lets the app on your device"),
        "{}",
        consent.body
    );
    let csrf = consent.csrf();
    b.post(
        "/oauth2/authorize/consent",
        &[("csrf_token", &csrf), ("decision", decision)],
    )
    .await
}

async fn spawn(backend: Backend) -> (TestApp, Arc<TestClock>) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    (app, clock)
}

async fn happy_path(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    let email = format!("dee-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;

    // Off by default: unauthorized_client (RFC 8628 §3.1 via RFC 6749 §5.2).
    let plain = create_client(&app, "third_party_public").await;
    let r = start(&app, &plain, "openid").await;
    assert_eq!(
        (r.0, error(&r)),
        (StatusCode::BAD_REQUEST, "unauthorized_client")
    );

    let c = device_client(&app, "third_party_public").await;
    let (s, d) = start(&app, &c, "openid email offline_access").await;
    assert_eq!(s, 200, "{d}");
    let user_code = d["user_code"].as_str().unwrap().to_string();
    let alphabet = |ch: char| "BCDFGHJKLMNPQRSTVWXZ".contains(ch);
    assert!(
        user_code.len() == 9
            && &user_code[4..5] == "-"
            && user_code.chars().filter(|c| *c != '-').all(alphabet),
        "{user_code}"
    );
    let page = format!("{}/oauth2/device", app.base);
    assert_eq!(d["verification_uri"], page.as_str());
    assert_eq!(
        d["verification_uri_complete"],
        format!("{page}?user_code={user_code}").as_str()
    );
    assert_eq!(
        (d["expires_in"].as_i64(), d["interval"].as_i64()),
        (Some(600), Some(5))
    );
    let device_code = d["device_code"].as_str().unwrap().to_string();

    // Pending; polling faster than the interval is slow_down, and the interval grows by 5 s.
    let r = poll(&app, &c, &device_code).await;
    assert_eq!(
        (r.0, error(&r)),
        (StatusCode::BAD_REQUEST, "authorization_pending"),
        "{}",
        r.1
    );
    let r = poll(&app, &c, &device_code).await;
    assert_eq!(error(&r), "slow_down", "{}", r.1);
    clock.advance(6);
    assert_eq!(error(&poll(&app, &c, &device_code).await), "slow_down");
    clock.advance(16);
    assert_eq!(
        error(&poll(&app, &c, &device_code).await),
        "authorization_pending"
    );
    // Another client cannot poll it.
    let other = device_client(&app, "third_party_public").await;
    assert_eq!(
        error(&poll(&app, &other, &device_code).await),
        "invalid_grant"
    );

    // The member types the code (any case, without the dash) and consents on the same pages.
    let typed = user_code.replace('-', "").to_lowercase();
    let done = approve(&app, &typed, &email, "allow").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Device connected"), "{}", done.body);

    // Concurrent polls of the approved code: exactly one gets the tokens.
    clock.advance(16);
    let polls = (0..4).map(|_| poll(&app, &c, &device_code));
    let results = crate::mcp_cimd::join_all(polls.collect()).await;
    let won: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != 200) {
        assert_eq!(error(r), "invalid_grant", "{}", r.1);
    }
    let t = &won[0].1;
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "openid email offline_access");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["email"], email.as_str());
    let access = t["access_token"].as_str().unwrap();
    let (s, _, me) = userinfo(&app, access).await;
    assert_eq!(
        (s, me["email"].as_str()),
        (StatusCode::OK, Some(email.as_str()))
    );
    // On a grant: refresh works, and revoking the refresh token ends the access token too.
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &c, access).await["active"], true);
    let mut f = c.auth();
    f.push(("token", rt.to_string()));
    let (s, _, _) = form(&app, "/v1/oauth2/revoke", &f).await;
    assert_eq!(s, 200);
    assert_eq!(introspect(&app, &c, access).await["active"], false);
    // Reused device code.
    assert_eq!(error(&poll(&app, &c, &device_code).await), "invalid_grant");
    // The code cannot be entered again.
    let mut b = Browser::new(&app.base);
    let csrf = b.get("/oauth2/device").await.csrf();
    let again = b
        .post(
            "/oauth2/device",
            &[("csrf_token", &csrf), ("user_code", &user_code)],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}
both_engines!(happy_path);

async fn denied_expired_and_wrong_codes(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    let email = format!("eve-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let c = device_client(&app, "third_party").await;

    // Denied on the consent page: access_denied at the next poll.
    let (_, d) = start(&app, &c, "openid").await;
    let done = approve(&app, d["user_code"].as_str().unwrap(), &email, "deny").await;
    assert!(done.body.contains("Access denied"), "{}", done.body);
    let r = poll(&app, &c, d["device_code"].as_str().unwrap()).await;
    assert_eq!(error(&r), "access_denied", "{}", r.1);

    // Expired: expired_token, and the page no longer knows the code.
    let (_, d) = start(&app, &c, "openid").await;
    clock.advance(601);
    let r = poll(&app, &c, d["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (r.0, error(&r)),
        (StatusCode::BAD_REQUEST, "expired_token"),
        "{}",
        r.1
    );
    let mut b = Browser::new(&app.base);
    let page = b.get("/oauth2/device").await;
    let csrf = page.csrf();
    let code = d["user_code"].as_str().unwrap();
    let r = b
        .post(
            "/oauth2/device",
            &[("csrf_token", &csrf), ("user_code", code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);

    // Unknown device code; a forged form.
    assert_eq!(error(&poll(&app, &c, "nope").await), "invalid_grant");
    let forged = b
        .post(
            "/oauth2/device",
            &[("csrf_token", "forged"), ("user_code", code)],
        )
        .await;
    assert!(
        forged.status == StatusCode::BAD_REQUEST && forged.body.contains("form expired"),
        "{}",
        forged.body
    );

    // Wrong codes are counted per address: ten, then even a right code waits.
    let (_, live) = start(&app, &c, "openid").await;
    for _ in 0..9 {
        let csrf = b.get("/oauth2/device").await.csrf();
        let r = b
            .post(
                "/oauth2/device",
                &[("csrf_token", &csrf), ("user_code", "BCDF-GHJK")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let csrf = b.get("/oauth2/device").await.csrf();
    let right = live["user_code"].as_str().unwrap();
    let r = b
        .post(
            "/oauth2/device",
            &[("csrf_token", &csrf), ("user_code", right)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
}
both_engines!(denied_expired_and_wrong_codes);

async fn legacy_path_discovery_and_cli(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let c = device_client(&app, "first_party").await;
    let mut f = c.auth();
    f.push(("scope", "openid nonsense!scope\u{7f}".to_string()));
    let path = format!("/v1/public/{}/oauth2/device_authorization", app.project_id);
    let (s, _, b) = form(&app, &path, &f).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope")),
        "{b}"
    );
    let (s, _, b) = form(&app, &path, &c.auth()).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["device_code"].is_string());
    // A wrong secret is invalid_client.
    let bad = vec![
        ("client_id", c.id.clone()),
        ("client_secret", "wrong".to_string()),
    ];
    let (s, _, b) = form(&app, &path, &bad).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let conf = format!(
        "/v1/public/{}/.well-known/openid-configuration",
        app.project_id
    );
    let (s, d) = app.get(&conf).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        d["device_authorization_endpoint"],
        format!("{}/v1/oauth2/device_authorization", app.base).as_str()
    );
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(GRANT)));

    // `latchkey client-grants --device-code off`.
    let out = crate::id_jag_admin::cli(&app, &["client-grants", &c.id, "--device-code", "off"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("device_code: off"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The store has it at once (the server's client cache follows within its TTL).
    let (_, got) = app
        .get(&format!("/v1/connected_apps/clients/{}", c.id))
        .await;
    assert_eq!(got["connected_app"]["device_code_allowed"], false, "{got}");
}
both_engines!(legacy_path_discovery_and_cli);

/// Chromium completes the device flow (`interop/browser/device`): the script starts the
/// device request and polls; the browser enters the code, signs in and consents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_in_chromium() {
    use crate::helpers::{chromium, repo_root};
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = repo_root().join("interop/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the browser suite is not installed: run scripts/setup-interop.sh"
    );
    let chromium =
        chromium().expect("Chromium is missing: apt-get install -y chromium (or set CHROMIUM)");
    let mut cmd = std::process::Command::new("node");
    cmd.args(["--test", "device/"])
        .current_dir(&dir)
        .env("LATCHKEY_BASE_URL", &app.base)
        .env("LATCHKEY_PROJECT_ID", &app.project_id)
        .env("LATCHKEY_SECRET", &app.secret)
        .env("CHROMIUM", chromium);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "device flow in Chromium failed:\n{text}"
    );
}
