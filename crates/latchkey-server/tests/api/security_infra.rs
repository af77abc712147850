//! Security review findings on the server's plumbing: Host-header poisoning (#1), key creation
//! from an unverified `aud` (#4), slow clients (#7), start-up warnings (#15), the session
//! cookie across projects (#18), the JWKS URL in discovery (#20), and every framework rejection
//! in its family's envelope (issue 9 item 10).

use std::time::{Duration, Instant};

use base64::Engine;
use latchkey_core::clock::{OsTokens, SystemClock};
use latchkey_core::ids::Environment;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both;
use crate::browser::Browser;
use crate::helpers::{unique, Backend, TestApp};
use crate::pages::{authorize_url, client, log_in, org_with_member, start};

const EVIL: &str = "evil.example";

/// A browser at the login step that has entered `email`; returns it with the CSRF token.
async fn at_password_step(app: &TestApp, email: &str) -> (Browser, String) {
    let c = client(app, "third_party").await;
    org_with_member(app, "Acme", email).await;
    let mut b = start(app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", email)],
    )
    .await;
    (b, csrf)
}

/// `POST /oauth2/authorize/magic_link` from the browser, with the given `Host` header.
async fn send_link_with_host(
    app: &TestApp,
    b: &Browser,
    csrf: &str,
    host: &str,
) -> (StatusCode, String) {
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/oauth2/authorize/magic_link", app.base))
        .header(reqwest::header::HOST, host)
        .header(reqwest::header::COOKIE, cookie)
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn outbox(app: &TestApp) -> Vec<latchkey_store::OutboxMessage> {
    app.state
        .store
        .list_outbox(Some(&app.project_id), 10)
        .await
        .unwrap()
}

async fn poisoned_host_sends_no_magic_link(app: TestApp) {
    let email = format!("bob-{}@acme.io", unique());
    let (b, csrf) = at_password_step(&app, &email).await;
    let (status, body) = send_link_with_host(&app, &b, &csrf, EVIL).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("issuer"), "{body}");
    assert!(outbox(&app).await.is_empty(), "no mail may be sent");
    // A loopback Host is the development default: the link uses it.
    let port = app.base.rsplit(':').next().unwrap();
    let (status, body) = send_link_with_host(&app, &b, &csrf, &format!("localhost:{port}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let mail = outbox(&app).await.remove(0);
    assert!(
        mail.link.starts_with(&format!(
            "http://localhost:{port}/oauth2/authorize/magic_link?"
        )),
        "{}",
        mail.link
    );
}
both!(poisoned_host_sends_no_magic_link);

async fn configured_issuer_ignores_host(backend: Backend) {
    let app = TestApp::spawn_with_config(backend, |c| {
        c.issuer = Some("https://login.example.com".into())
    })
    .await;
    let email = format!("bob-{}@acme.io", unique());
    let (b, csrf) = at_password_step(&app, &email).await;
    let (status, body) = send_link_with_host(&app, &b, &csrf, EVIL).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let mail = outbox(&app).await.remove(0);
    assert!(
        mail.link
            .starts_with("https://login.example.com/oauth2/authorize/magic_link?"),
        "{}",
        mail.link
    );
    let (status, doc) = get_with_host(&app, &discovery_path(&app), EVIL).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["issuer"], "https://login.example.com");
}

mod configured_issuer_ignores_host {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::configured_issuer_ignores_host(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::configured_issuer_ignores_host(crate::helpers::Backend::Postgres).await
    }
}

fn discovery_path(app: &TestApp) -> String {
    format!(
        "/v1/public/{}/.well-known/openid-configuration",
        app.project_id
    )
}

async fn get_with_host(app: &TestApp, path: &str, host: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header(reqwest::header::HOST, host)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// Discovery and the token endpoint refuse a non-loopback Host without `issuer`, in the OAuth
/// envelope; the Stytch authorize API in Stytch's.
async fn poisoned_host_in_oauth_and_api(app: TestApp) {
    let (status, body) = get_with_host(&app, &discovery_path(&app), EVIL).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("set `issuer`"));
    let (status, body) = get_with_host(&app, &discovery_path(&app), "127.0.0.1").await;
    assert_eq!(
        (status.as_u16(), &body["issuer"]),
        (200, &json!("http://127.0.0.1"))
    );
    let c = client(&app, "third_party").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/oauth2/token", app.base))
        .header(reqwest::header::HOST, EVIL)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", crate::pages::RP),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("issuer"));
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/b2b/idp/oauth/authorize", app.base))
        .basic_auth(&app.project_id, Some(&app.secret))
        .header(reqwest::header::HOST, EVIL)
        .json(
            &json!({"consent_granted": true, "client_id": c.id, "redirect_uri": crate::pages::RP,
                      "response_type": "code", "scopes": ["openid"], "session_token": "x"}),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(resp).await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
}
both!(poisoned_host_in_oauth_and_api);

/// An unsigned token whose `aud` names a project that does not exist.
fn forged_token(project_id: &str) -> String {
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.AAAA",
        b64(json!({"alg": "RS256", "kid": "k", "typ": "JWT"})),
        b64(json!({"aud": [project_id], "iss": "x", "exp": 9_999_999_999i64, "jti": "j"}))
    )
}

async fn forged_aud_creates_no_keys(app: TestApp) {
    let ghost = format!("project-test-{}", uuid::Uuid::new_v4());
    let token = forged_token(&ghost);
    let c = client(&app, "third_party").await;
    let started = Instant::now();
    for _ in 0..5 {
        let r = reqwest::Client::new()
            .get(format!("{}/v1/oauth2/userinfo", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = reqwest::Client::new()
            .post(format!("{}/v1/oauth2/introspect", app.base))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["active"], false, "{body}");
    }
    // Ten requests, no RSA key generation (each pair of keys takes a second or more unoptimised).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(app
        .state
        .store
        .signing_keys(&ghost)
        .await
        .unwrap()
        .is_empty());
    // An unknown kid of a real project creates nothing either.
    let token = forged_token(&app.project_id);
    let r = reqwest::Client::new()
        .get(format!("{}/v1/oauth2/userinfo", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(app
        .state
        .store
        .signing_keys(&app.project_id)
        .await
        .unwrap()
        .is_empty());
}
both!(forged_aud_creates_no_keys);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_header_is_closed_after_the_timeout() {
    let app = TestApp::spawn_with_config(Backend::Sqlite, |c| {
        c.limits.header_read_timeout = Duration::from_secs(1)
    })
    .await;
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /v1/b2b/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A complete request on a new connection is still served.
    let (status, _) = app.get("/v1/b2b/organizations/nope").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_body_times_out_in_the_envelope() {
    let app = TestApp::spawn_with_config(Backend::Sqlite, |c| {
        c.limits.request_body_timeout = Duration::from_secs(1)
    })
    .await;
    let addr = app.base.trim_start_matches("http://");
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", app.project_id, app.secret));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/b2b/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"organization_"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("\"error_type\":\"request_timeout\""),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait() {
    let app = TestApp::spawn_with_config(Backend::Sqlite, |c| c.limits.max_connections = 1).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // The one slot, held by a connection that has sent half a request.
    let mut first = tokio::net::TcpStream::connect(&addr).await.unwrap();
    first.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = tokio::net::TcpStream::connect(&addr).await.unwrap();
    second
        .write_all(b"GET /v1/b2b/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let waited = tokio::time::timeout(Duration::from_millis(700), second.read(&mut buf)).await;
    assert!(
        waited.is_err(),
        "the second connection was served beyond the cap"
    );
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("served once the slot was free")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 404"));
}

#[test]
fn insecure_defaults_are_named() {
    let mut c = latchkey_server::config::Config::for_database("sqlite://latchkey.db");
    let w = latchkey_server::startup::insecure_defaults(&c);
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(w[0].contains("issuer") && w[1].contains("master_key") && w[2].contains("smtp_url"));
    assert!(w[3].contains("sms_webhook_url"));
    c.listen = "0.0.0.0:8080".parse().unwrap();
    assert!(latchkey_server::startup::insecure_defaults(&c)[0].contains("not loopback"));
    c.issuer = Some("https://login.example.com".into());
    assert_eq!(latchkey_server::startup::insecure_defaults(&c).len(), 3);
}

/// A second project in the same database, with its credentials.
async fn second_project(app: &TestApp) -> (String, String) {
    let (record, secret) = latchkey_server::cli::new_project(
        app.state.store.as_ref(),
        "other",
        Environment::Test,
        &SystemClock,
        &OsTokens,
    )
    .await
    .unwrap();
    (record.project_id, secret.expose_secret().to_string())
}

async fn jwks_uri_works_for_every_project(app: TestApp) {
    let (other, _) = second_project(&app).await;
    let (status, doc) = crate::helpers::read(
        reqwest::get(format!(
            "{}/v1/public/{other}/.well-known/openid-configuration",
            app.base
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{doc}");
    let uri = doc["jwks_uri"].as_str().unwrap();
    assert!(
        uri.ends_with(&format!("/v1/b2b/sessions/jwks/{other}")),
        "{uri}"
    );
    let r = reqwest::get(uri).await.unwrap();
    assert_eq!(r.status(), 200);
    let jwks: Value = r.json().await.unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty(), "{jwks}");
}
both!(jwks_uri_works_for_every_project);

async fn other_projects_session_cookie_is_left_alone(app: TestApp) {
    let email = format!("ann-{}@acme.io", unique());
    let c = client(&app, "third_party").await;
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let consent = log_in(&mut b, &email, None).await;
    assert!(consent.body.contains("wants access"), "{}", consent.body);
    let session = b.cookies[&app.session_cookie()].clone();
    // The same browser starts a request for another project's app.
    let (other, secret) = second_project(&app).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/connected_apps/clients", app.base))
        .basic_auth(&other, Some(&secret))
        .json(
            &json!({"client_type": "third_party", "client_name": "B app",
                      "redirect_urls": [crate::pages::RP]}),
        )
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    let other_client = body["connected_app"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = b.get(&authorize_url(&other_client, &[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.follow("/oauth2/authorize/continue").await;
    assert!(
        page.body.contains("name=\"email_address\""),
        "{}",
        page.body
    );
    assert!(
        !b.last_set_cookies
            .iter()
            .any(|c| c.starts_with(&format!("{}=", app.session_cookie()))),
        "{:?}",
        b.last_set_cookies
    );
    assert_eq!(b.cookies[&app.session_cookie()], session);
    // "Use a different email" in the second project's flow does not end the first's session.
    let csrf = page.csrf();
    let r = b
        .post("/oauth2/authorize/restart", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(b.cookies[&app.session_cookie()], session);
    // Back at the first project's app, the browser is still signed in: straight to consent.
    let r = b.get(&authorize_url(&c.id, &[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.follow("/oauth2/authorize/continue").await;
    assert!(page.body.contains("wants access"), "{}", page.body);
}
both!(other_projects_session_cookie_is_left_alone);

async fn oauth_json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_in_its_family_envelope() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let legacy = |p: &str| format!("/v1/public/{}/oauth2/{p}", app.project_id);
    // OAuth family: a wrong method is RFC 6749 JSON, not Stytch's.
    for (method, path) in [
        (reqwest::Method::GET, "/v1/oauth2/token".to_string()),
        (reqwest::Method::PUT, "/v1/oauth2/introspect".to_string()),
        (reqwest::Method::GET, "/v1/oauth2/revoke".to_string()),
        (reqwest::Method::DELETE, "/v1/oauth2/userinfo".to_string()),
        (reqwest::Method::GET, legacy("token")),
        (reqwest::Method::GET, legacy("introspect")),
        (reqwest::Method::GET, legacy("revoke")),
        (reqwest::Method::DELETE, legacy("userinfo")),
    ] {
        let r = http
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let (status, body) = oauth_json(r).await;
        assert_eq!(
            (status, &body["error"]),
            (405, &json!("invalid_request")),
            "{method} {path}: {body}"
        );
        assert_eq!(body["status_code"], 405);
        assert!(body.get("error_type").is_none(), "{body}");
    }
    // A legacy path whose project segment is not UTF-8.
    let r = http
        .post(format!("{}/v1/public/%ff%fe/oauth2/token", app.base))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    let (status, body) = oauth_json(r).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_request")),
        "{body}"
    );
    // Stytch family: a path segment that is not UTF-8 is a Stytch 400 (read() checks the shape).
    for path in [
        "/v1/b2b/organizations/%ff%fe",
        "/v1/b2b/sessions/jwks/%ff%fe",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let (status, body) = app.get("/v1/b2b/nope").await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (404, Some("route_not_found"))
    );
    // Pages family: an HTML error page.
    for (method, path) in [
        (reqwest::Method::GET, "/oauth2/authorize/consent"),
        (reqwest::Method::PUT, "/oauth2/authorize"),
        (
            reqwest::Method::GET,
            "/oauth2/authorize/magic_link?token=%ff&token=%fe",
        ),
    ] {
        let r = http
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            ct.starts_with("text/html"),
            "{method} {path}: {status} {ct}"
        );
        assert!(status >= 400, "{method} {path}: {status}");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
    }
}

async fn empty_state_is_echoed(app: TestApp) {
    let c = client(&app, "third_party").await;
    let url = authorize_url(&c.id, &[("prompt", "none")]).replace("state=st-123", "state=");
    assert!(url.contains("state=&") || url.ends_with("state="), "{url}");
    let mut b = start(&app, &url).await;
    let r = b.get("/oauth2/authorize/continue").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let q = r.query();
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("login_required"),
        "{q:?}"
    );
    assert_eq!(
        q.get("state").map(String::as_str),
        Some(""),
        "{}",
        r.location()
    );
}
both!(empty_state_is_echoed);

/// #19: a body must be JSON by content type (a cross-site form cannot send one without a
/// preflight); bodiless requests and JSON with parameters pass.
async fn management_bodies_must_be_json(app: TestApp) {
    let url = format!("{}/v1/b2b/organizations", app.base);
    let slug = format!("plain-{}", unique());
    let body = json!({"organization_name": "Plain", "organization_slug": slug}).to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app
            .client
            .post(&url)
            .basic_auth(&app.project_id, Some(&app.secret))
            .body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let (status, json) = crate::helpers::read(req.send().await.unwrap()).await;
        assert_eq!(status, 415, "{ct:?}: {json}");
        assert_eq!(json["error_type"], "unsupported_media_type");
    }
    let (status, json) = app.get(&format!("/v1/b2b/organizations/{slug}")).await;
    assert_eq!(status, 404, "nothing was created: {json}");
    let resp = app
        .client
        .post(&url)
        .basic_auth(&app.project_id, Some(&app.secret))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(crate::helpers::read(resp).await.0, 200);
}
both!(management_bodies_must_be_json);
