//! The hosted authorization pages, step by step over HTTP: password and magic link logins,
//! organization choice, consent allow / deny, first-party skip, logout, and every error path.

use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::browser::{Browser, Resp};
use crate::helpers::{unique, TestApp};

pub const RP: &str = "https://rp.example/cb";
const BYE: &str = "https://rp.example/bye";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const BCRYPT_HASH: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
pub const PASSWORD: &str = "Kk4DQuMMfZL9o";

pub struct Client {
    pub id: String,
    pub secret: String,
}

pub async fn client(app: &TestApp, client_type: &str) -> Client {
    let (status, body) = app
        .post(
            "/v1/connected_apps/clients",
            json!({
                "client_type": client_type, "client_name": "Acme Reports",
                "client_description": "Weekly reports about your team's work.",
                "redirect_urls": [RP], "post_logout_redirect_urls": [BYE],
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ca = &body["connected_app"];
    Client {
        id: ca["client_id"].as_str().unwrap().to_string(),
        secret: ca["client_secret"]
            .as_str()
            .or(body["client_secret"].as_str())
            .unwrap_or("")
            .to_string(),
    }
}

/// An organization with a member `email` whose password is [`PASSWORD`].
pub async fn org_with_member(app: &TestApp, name: &str, email: &str) -> Value {
    let org = app.create_org(json!({"organization_name": name})).await;
    let (status, body) = app
        .post(
            "/v1/b2b/passwords/migrate",
            json!({"organization_id": org["organization_id"],
            "email_address": email, "hash_type": "bcrypt", "hash": BCRYPT_HASH}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    org
}

pub fn authorize_url(client_id: &str, extra: &[(&str, &str)]) -> String {
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(VERIFIER).unwrap());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", RP),
        ("scope", "openid email"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("/oauth2/authorize?{q}")
}

/// Email then (when asked) organization then password; returns the page after login.
pub async fn log_in(b: &mut Browser, email: &str, org_id: Option<&str>) -> Resp {
    let page = b.follow("/oauth2/authorize/continue").await;
    let page = if page.body.contains("name=\"email_address\"") {
        let csrf = page.csrf();
        b.submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", email)],
        )
        .await
    } else {
        page
    };
    let page = match org_id {
        Some(id) => {
            assert!(
                page.body.contains("Choose an organization"),
                "{}",
                page.body
            );
            let csrf = page.csrf();
            b.submit(
                "/oauth2/authorize/organization",
                &[("csrf_token", &csrf), ("organization_id", id)],
            )
            .await
        }
        None => page,
    };
    assert!(page.body.contains("name=\"password\""), "{}", page.body);
    let csrf = page.csrf();
    let r = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // One session cookie per project: `latchkey_session_<16 hex digits>`.
    let cookie = r.last_set_cookie_for_prefix("latchkey_session_");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-http loopback issuer: {cookie}"
    );
    b.follow(&r.location()).await
}

trait SetCookie {
    fn last_set_cookie_for(&self, name: &str) -> String;
    fn last_set_cookie_for_prefix(&self, prefix: &str) -> String;
}

impl SetCookie for Resp {
    fn last_set_cookie_for(&self, name: &str) -> String {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie"))
    }
    fn last_set_cookie_for_prefix(&self, prefix: &str) -> String {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}* cookie"))
    }
}

/// Starts a request in a fresh browser; returns the browser positioned at the first step.
pub async fn start(app: &TestApp, url: &str) -> Browser {
    let mut b = Browser::new(&app.base);
    let r = b.get(url).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/oauth2/authorize/continue");
    let c = r.last_set_cookie_for("latchkey_authz");
    assert!(
        c.contains("HttpOnly")
            && c.contains("SameSite=Lax")
            && c.contains("Path=/oauth2/authorize"),
        "{c}"
    );
    b
}

/// Redeems a code at the token endpoint; returns the token response.
pub async fn redeem(app: &TestApp, c: &Client, code: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/oauth2/token", app.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", RP),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

async fn password_login_consent_allow(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("ann-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let first = b.follow("/oauth2/authorize/continue").await;
    assert_eq!(first.status, 200);
    assert!(
        first.body.contains("<label for=\"email_address\">"),
        "{}",
        first.body
    );
    let csp = first.csp();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("form-action 'self' https://rp.example"),
        "{csp}"
    );
    assert_eq!(first.headers["x-frame-options"], "DENY");
    // A wrong password re-renders the form with a message.
    let csrf = first.csrf();
    let page = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &email)],
        )
        .await;
    assert!(page.body.contains("Sign in to Acme"), "{}", page.body);
    let wrong = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("role=\"alert\"") && wrong.body.contains("password is not right"),
        "{}",
        wrong.body
    );
    // A forged form (wrong CSRF token) is refused.
    let forged = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", "forged"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let consent = log_in(&mut b, &email, None).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(
        consent.body.contains("Acme Reports wants access"),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("Third-party app") && consent.body.contains("Weekly reports"),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("<code>email</code>") && consent.body.contains(&email),
        "{}",
        consent.body
    );
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(done.location().starts_with(RP), "{}", done.location());
    let q = done.query();
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], app.base);
    let tokens = redeem(&app, &c, &q["code"]).await;
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], email.as_str());
    // The request is over: replaying the consent form does nothing.
    let again = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    // A second authorization in the same browser reuses the session and the consent.
    let r = b.get(&authorize_url(&c.id, &[("state", "two")])).await;
    let r = b.get(&r.location()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.query()["state"], "two");
    assert!(r.query().contains_key("code"));
}
both!(password_login_consent_allow);

async fn deny(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("bob-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let consent = log_in(&mut b, &email, None).await;
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "deny")],
        )
        .await;
    let q = done.query();
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("access_denied", "st-123")
    );
    assert_eq!(q["iss"], app.base);
    assert!(!q.contains_key("code"));
}
both!(deny);

async fn two_organizations(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("cy-{}@acme.io", unique());
    org_with_member(&app, "Alpha", &email).await;
    let beta = org_with_member(&app, "Beta", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    let choose = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &email)],
        )
        .await;
    assert!(
        choose.body.contains("Alpha") && choose.body.contains("Beta"),
        "{}",
        choose.body
    );
    assert!(choose.body.contains("type=\"radio\""));
    let bad = b
        .post(
            "/oauth2/authorize/organization",
            &[
                ("csrf_token", &csrf),
                ("organization_id", "organization-test-nope"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let consent = log_in(&mut b, &email, beta["organization_id"].as_str()).await;
    assert!(
        consent.body.contains("in <strong>Beta</strong>"),
        "{}",
        consent.body
    );
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    let tokens = redeem(&app, &c, &done.query()["code"]).await;
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id["https://stytch.com/organization"]["organization_id"],
        beta["organization_id"]
    );
}
both!(two_organizations);

async fn first_party_skips_consent_unless_prompted(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("dee-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
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
            &[("csrf_token", &csrf), ("password", PASSWORD)],
        )
        .await;
    let done = b.get(&r.location()).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    redeem(&app, &c, &done.query()["code"]).await;
    // prompt=consent forces the consent page.
    let r = b.get(&authorize_url(&c.id, &[("prompt", "consent")])).await;
    let page = b.get(&r.location()).await;
    assert!(
        page.body.contains("First-party app") && page.body.contains("Allow"),
        "{}",
        page.body
    );
}
both!(first_party_skips_consent_unless_prompted);

async fn magic_link(app: TestApp) {
    let c = client(&app, "third_party").await;
    let email = format!("eve-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", &email)],
    )
    .await;
    let sent = b
        .submit("/oauth2/authorize/magic_link", &[("csrf_token", &csrf)])
        .await;
    assert!(sent.body.contains("Check your email"), "{}", sent.body);
    let mail = app
        .state
        .store
        .list_outbox(Some(&app.project_id), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(mail.to_address, email);
    let path = mail.link.strip_prefix(&app.base).unwrap().to_string();
    assert!(path.starts_with("/oauth2/authorize/magic_link?"), "{path}");
    // Another browser cannot use it.
    let mut other = Browser::new(&app.base);
    let r = other.get(&path).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("where you asked for it"), "{}", r.body);
    let consent = b.follow(&path).await;
    assert!(
        consent.body.contains("Acme Reports wants access"),
        "{}",
        consent.body
    );
    // Used once.
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    redeem(&app, &c, &done.query()["code"]).await;
}
both!(magic_link);

async fn logout(app: TestApp) {
    let c = client(&app, "first_party").await;
    let email = format!("fay-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
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
            &[("csrf_token", &csrf), ("password", PASSWORD)],
        )
        .await;
    let done = b.get(&r.location()).await;
    let tokens = redeem(&app, &c, &done.query()["code"]).await;
    let hint = tokens["id_token"].as_str().unwrap().to_string();
    // An unregistered post-logout address is refused on a page, never redirected to.
    let q = |extra: &[(&str, &str)]| {
        format!(
            "/oauth2/logout?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(extra)
                .finish()
        )
    };
    let evil = b
        .get(&q(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ]))
        .await;
    assert_eq!(evil.status, StatusCode::BAD_REQUEST);
    assert!(evil.headers.get("location").is_none());
    let no_client = b.get(&q(&[("post_logout_redirect_uri", BYE)])).await;
    assert_eq!(no_client.status, StatusCode::BAD_REQUEST);
    // With a valid hint: signed out at once, back to the client with state.
    let out = b
        .get(&q(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
            ("state", "s1"),
        ]))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert_eq!(out.location(), format!("{BYE}?state=s1"));
    assert!(!b.cookies.contains_key(&app.session_cookie()));
    // Without a hint: a confirmation form.
    let confirm = b
        .get(&q(&[
            ("client_id", &c.id),
            ("post_logout_redirect_uri", BYE),
        ]))
        .await;
    assert!(confirm.body.contains("Sign out?"), "{}", confirm.body);
    let forged = b
        .post(
            "/oauth2/logout",
            &[("csrf_token", "x"), ("client_id", &c.id)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let csrf = confirm.csrf();
    let out = b
        .post(
            "/oauth2/logout",
            &[
                ("csrf_token", &csrf),
                ("client_id", &c.id),
                ("post_logout_redirect_uri", BYE),
            ],
        )
        .await;
    assert_eq!(out.location(), BYE);
}
both!(logout);
