//! Issue 9, branch sec-auth, over HTTP on both engines: `sessions/exchange` only on a proven
//! email (#2), sessions and links ending with an email change, `auth_methods` on magic links
//! (#6), MFA yielding intermediate sessions (#5), expired session JWTs only on `sessions/authenticate` (#12),
//! the imported-hash timing (#14) and registered magic-link redirect URLs (#16).

use std::sync::Arc;

use latchkey_store::MemberLookup;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, Backend, TestApp, TestClock};
use crate::magic_links::outbox_link;
use crate::sessions::session_for;

const LOGIN: &str = "/v1/b2b/magic_links/email/login_or_signup";
const INVITE: &str = "/v1/b2b/magic_links/email/invite";
const ML_AUTH: &str = "/v1/b2b/magic_links/authenticate";
const PW_AUTH: &str = "/v1/b2b/passwords/authenticate";
const MIGRATE: &str = "/v1/b2b/passwords/migrate";
const EXCHANGE: &str = "/v1/b2b/sessions/exchange";
const AUTHENTICATE: &str = "/v1/b2b/sessions/authenticate";
const CB: &str = "http://localhost:3000/authenticate";
const BCRYPT: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const BCRYPT_PASSWORD: &str = "Kk4DQuMMfZL9o";

fn email() -> String {
    format!("sa-{}@acme.io", unique())
}

async fn org(app: &TestApp, settings: Value) -> String {
    let mut body =
        json!({"organization_name": "SecAuth", "organization_slug": format!("sa-{}", unique())});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    app.create_org(body).await["organization_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Marks a member's email verified, as a magic link or an import would.
pub async fn verify_email(app: &TestApp, org_id: &str, member_id: &str) {
    let store = &app.state.store;
    let mut m = store
        .get_member(org_id, MemberLookup::IdOrExternalId(member_id))
        .await
        .unwrap()
        .unwrap();
    m.email_address_verified = true;
    assert!(store.update_member(&m).await.unwrap());
}

/// An active member with a verified email; returns the member id.
async fn verified_member(app: &TestApp, org_id: &str, email: &str) -> String {
    let m = app
        .create_member(org_id, json!({"email_address": email}))
        .await;
    let id = m["member_id"].as_str().unwrap().to_string();
    verify_email(app, org_id, &id).await;
    id
}

/// A member with an imported bcrypt password (email verified, as migrate does).
async fn member_with_password(app: &TestApp, org_id: &str, email: &str, extra: Value) -> Value {
    let mut body = json!({"organization_id": org_id, "email_address": email, "hash_type": "bcrypt", "hash": BCRYPT});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, body) = app.post(MIGRATE, body).await;
    assert_eq!(status, 200, "{body}");
    body["member"].clone()
}

fn kind(got: (reqwest::StatusCode, Value)) -> (u16, String) {
    (
        got.0.as_u16(),
        got.1["error_type"].as_str().unwrap_or("").to_string(),
    )
}

fn refused(status: u16, error_type: &str) -> (u16, String) {
    (status, error_type.to_string())
}

/// The review's reproduction of #2: an admin edits her own email to the victim's and exchanges
/// her session into the victim's organization. Her sessions and unused links end with the
/// change, and a new session for the edited member is refused (the address is unverified).
async fn exchange_refuses_an_edited_email(app: TestApp) {
    let acme = org(&app, json!({})).await;
    let alice = email();
    verified_member(&app, &acme, &alice).await;
    let x = org(&app, json!({})).await;
    let mallory = email();
    let mallory_id = verified_member(&app, &x, &mallory).await;
    let s = session_for(&app, &x, &mallory_id).await;
    let sent = app
        .post(
            LOGIN,
            json!({"organization_id": x, "email_address": mallory, "login_redirect_url": CB}),
        )
        .await;
    assert_eq!(sent.0, 200, "{}", sent.1);
    let (_, link_token) = outbox_link(&app, &mallory).await;

    let (status, edited) = app
        .put(
            &format!("/v1/b2b/organizations/{x}/members/{mallory_id}"),
            json!({"email_address": alice}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["member"]["email_address_verified"], false);
    assert_eq!(
        kind(
            app.post(AUTHENTICATE, json!({"session_token": s.session_token}))
                .await
        ),
        refused(404, "session_not_found"),
        "the email change ended her sessions"
    );
    assert_eq!(
        kind(
            app.post(
                EXCHANGE,
                json!({"organization_id": acme, "session_token": s.session_token})
            )
            .await
        ),
        refused(404, "session_not_found")
    );
    assert_eq!(
        kind(
            app.post(ML_AUTH, json!({"magic_links_token": link_token}))
                .await
        ),
        refused(404, "magic_link_not_found"),
        "a link sent to the old address does not verify the new one"
    );
    let fresh = session_for(&app, &x, &mallory_id).await;
    assert_eq!(
        kind(
            app.post(
                EXCHANGE,
                json!({"organization_id": acme, "session_token": fresh.session_token})
            )
            .await
        ),
        refused(403, "unverified_email")
    );
}
both!(exchange_refuses_an_edited_email);

/// A verified email is not enough: one of the session's factors must name it.
async fn exchange_needs_a_factor_for_the_email(app: TestApp) {
    let a = org(&app, json!({})).await;
    let b = org(&app, json!({})).await;
    let first = email();
    let id = verified_member(&app, &a, &first).await;
    let s = session_for(&app, &a, &id).await;
    // The address changes behind the API's back (verified, sessions left alive).
    let other = email();
    verified_member(&app, &b, &other).await;
    let store = &app.state.store;
    let mut m = store
        .get_member(&a, MemberLookup::IdOrExternalId(&id))
        .await
        .unwrap()
        .unwrap();
    m.email_address = other.clone();
    assert!(store.update_member(&m).await.unwrap());
    assert_eq!(
        kind(
            app.post(
                EXCHANGE,
                json!({"organization_id": b, "session_token": s.session_token})
            )
            .await
        ),
        refused(403, "unverified_email")
    );
    // The legitimate case: a session whose password factor names the verified address.
    let s = session_for(&app, &a, &id).await;
    let (status, body) = app
        .post(
            EXCHANGE,
            json!({"organization_id": b, "session_token": s.session_token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let factor = &body["member_session"]["authentication_factors"][0];
    assert_eq!(factor["type"], "password");
    assert_eq!(factor["email_factor"]["email_address"], other.as_str());
}
both!(exchange_needs_a_factor_for_the_email);

/// #6: a RESTRICTED organization's allowed methods hold for magic links, at send and at
/// authenticate; a refused link is not used up.
async fn magic_links_follow_auth_methods(app: TestApp) {
    let sso = org(
        &app,
        json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso"]}),
    )
    .await;
    let e = email();
    app.create_member(&sso, json!({"email_address": e})).await;
    assert_eq!(
        kind(
            app.post(
                LOGIN,
                json!({"organization_id": sso, "email_address": e, "login_redirect_url": CB})
            )
            .await
        ),
        refused(403, "unauthorized_auth_method")
    );
    let pw = org(
        &app,
        json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["password"]}),
    )
    .await;
    assert_eq!(
        kind(
            app.post(
                INVITE,
                json!({"organization_id": pw, "email_address": email(), "invite_redirect_url": CB})
            )
            .await
        ),
        refused(403, "unauthorized_auth_method")
    );
    let open = org(&app, json!({})).await;
    let e = email();
    app.create_member(&open, json!({"email_address": e})).await;
    let sent = app
        .post(
            LOGIN,
            json!({"organization_id": open, "email_address": e, "login_redirect_url": CB}),
        )
        .await;
    assert_eq!(sent.0, 200, "{}", sent.1);
    let (_, token) = outbox_link(&app, &e).await;
    let path = format!("/v1/b2b/organizations/{open}");
    let (status, _) = app
        .put(
            &path,
            json!({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["password"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        kind(app.post(ML_AUTH, json!({"magic_links_token": token})).await),
        refused(403, "unauthorized_auth_method")
    );
    let (status, _) = app.put(&path, json!({"auth_methods": "ALL_ALLOWED"})).await;
    assert_eq!(status, 200);
    let (status, body) = app.post(ML_AUTH, json!({"magic_links_token": token})).await;
    assert_eq!(status, 200, "{body}");
}
both!(magic_links_follow_auth_methods);

/// #5 (issue 13 item 1): where MFA is required, a primary factor alone yields no session but
/// an intermediate session (passwords, magic links, exchange), and a wrong password still says
/// only "wrong".
async fn mfa_required_yields_intermediate(app: TestApp) {
    let strict = org(&app, json!({"mfa_policy": "REQUIRED_FOR_ALL"})).await;
    let e = email();
    member_with_password(&app, &strict, &e, json!({})).await;
    let login = |pw: &str| json!({"organization_id": strict, "email_address": e, "password": pw});
    assert!(intermediate(
        app.post(PW_AUTH, login(BCRYPT_PASSWORD)).await
    ));
    assert_eq!(
        kind(app.post(PW_AUTH, login("wrong")).await),
        refused(401, "unauthorized_credentials")
    );
    let sent = app
        .post(
            LOGIN,
            json!({"organization_id": strict, "email_address": e, "login_redirect_url": CB}),
        )
        .await;
    assert_eq!(sent.0, 200, "{}", sent.1);
    let (_, token) = outbox_link(&app, &e).await;
    assert!(intermediate(
        app.post(ML_AUTH, json!({"magic_links_token": token})).await
    ));

    let open = org(&app, json!({})).await;
    let enrolled = email();
    member_with_password(&app, &open, &enrolled, json!({})).await;
    let m = app
        .state
        .store
        .get_member(&open, MemberLookup::Email(&enrolled))
        .await
        .unwrap()
        .unwrap();
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{open}/members/{}", m.member_id),
            json!({"mfa_enrolled": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(intermediate(
        app.post(
            PW_AUTH,
            json!({"organization_id": open, "email_address": enrolled, "password": BCRYPT_PASSWORD})
        )
        .await
    ));

    // Exchange into an organization that requires MFA.
    let shared = email();
    let id = verified_member(&app, &open, &shared).await;
    verified_member(&app, &strict, &shared).await;
    let s = session_for(&app, &open, &id).await;
    assert!(intermediate(
        app.post(
            EXCHANGE,
            json!({"organization_id": strict, "session_token": s.session_token})
        )
        .await
    ));
}
both!(mfa_required_yields_intermediate);

/// A 200 with `member_authenticated: false`, an intermediate token, `mfa_required` and no
/// session (Stytch's answer where MFA is required).
fn intermediate(got: (reqwest::StatusCode, Value)) -> bool {
    let (status, b) = got;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["member_authenticated"], false, "{b}");
    assert_eq!(b["session_token"], "", "{b}");
    assert_eq!(b["session_jwt"], "", "{b}");
    assert!(b["member_session"].is_null(), "{b}");
    assert!(b["mfa_required"]["member_options"].is_object(), "{b}");
    !b["intermediate_session_token"].as_str().unwrap().is_empty()
}

/// #12: a session JWT past its `exp` is accepted by `sessions/authenticate` only.
async fn expired_jwt_only_on_authenticate(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let a = org(&app, json!({})).await;
    let b = org(&app, json!({})).await;
    let e = email();
    let id = verified_member(&app, &a, &e).await;
    verified_member(&app, &b, &e).await;
    let s = session_for(&app, &a, &id).await;
    clock.advance(400);
    let jwt = json!({"session_jwt": s.session_jwt});
    let (status, body) = app.post(AUTHENTICATE, jwt.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        kind(
            app.post(
                EXCHANGE,
                json!({"organization_id": b, "session_jwt": s.session_jwt})
            )
            .await
        ),
        refused(401, "jwt_invalid_claims")
    );
    assert_eq!(
        kind(app.post("/v1/b2b/sessions/revoke", jwt).await),
        refused(401, "jwt_invalid_claims")
    );
    let client = crate::oauth_support::create_client(&app, "first_party").await;
    let start = json!({"client_id": client.id, "redirect_uri": crate::oauth_support::REDIRECT,
        "response_type": "code", "scopes": ["openid"], "session_jwt": s.session_jwt});
    assert_eq!(
        kind(app.post("/v1/b2b/idp/oauth/authorize/start", start).await),
        refused(401, "jwt_invalid_claims")
    );
    // The fresh JWT from authenticate works everywhere, the session token too.
    let (status, body) = app
        .post(
            EXCHANGE,
            json!({"organization_id": b, "session_jwt": body["session_jwt"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_jwt_only_on_authenticate_sqlite() {
    expired_jwt_only_on_authenticate(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_jwt_only_on_authenticate_postgres() {
    expired_jwt_only_on_authenticate(Backend::Postgres).await
}

/// #16: magic-link redirect URLs must be registered (exact match), except loopback in a test
/// project.
async fn magic_link_redirects_must_be_registered(app: TestApp) {
    let o = org(&app, json!({})).await;
    // New members by email JIT provisioning, so every send goes to a fresh address.
    let jit = org(
        &app,
        json!({"email_jit_provisioning": "RESTRICTED", "email_allowed_domains": ["acme.io"]}),
    )
    .await;
    let send = |url: &str| json!({"organization_id": jit, "email_address": email(), "signup_redirect_url": url});
    let app_url = "https://app.example.com/authenticate";
    for url in [app_url, "https://attacker.example/steal"] {
        assert_eq!(
            kind(app.post(LOGIN, send(url)).await),
            refused(400, "no_match_for_provided_magic_link_url"),
            "{url}"
        );
    }
    assert_eq!(
        kind(app.post(INVITE, json!({"organization_id": o, "email_address": email(), "invite_redirect_url": "https://attacker.example/steal"})).await),
        refused(400, "no_match_for_provided_magic_link_url")
    );
    assert!(app
        .state
        .store
        .add_redirect_url(&app.project_id, app_url, 0)
        .await
        .unwrap());
    let (status, body) = app.post(LOGIN, send(app_url)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        kind(
            app.post(LOGIN, send("https://app.example.com/authenticate?x=1"))
                .await
        ),
        refused(400, "no_match_for_provided_magic_link_url"),
        "exact match, query included"
    );
    for url in ["http://127.0.0.1:8123/cb", "http://localhost:5173/"] {
        let (status, body) = app.post(LOGIN, send(url)).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
}
both!(magic_link_redirects_must_be_registered);

/// The configured `magic_link_redirect_url` counts as registered.
async fn configured_default_is_registered(backend: Backend) {
    let default = "https://app.example.com/from-config";
    let app = TestApp::spawn_with_config(backend, |c| {
        c.magic_link_redirect_url = Some(default.into());
    })
    .await;
    let o = org(&app, json!({})).await;
    let e = email();
    app.create_member(&o, json!({"email_address": e})).await;
    let (status, body) = app
        .post(LOGIN, json!({"organization_id": o, "email_address": e}))
        .await;
    assert_eq!(status, 200, "{body}");
    let e = email();
    app.create_member(&o, json!({"email_address": e})).await;
    let (status, body) = app
        .post(
            LOGIN,
            json!({"organization_id": o, "email_address": e, "login_redirect_url": default}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_default_is_registered_sqlite() {
    configured_default_is_registered(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_default_is_registered_postgres() {
    configured_default_is_registered(Backend::Postgres).await
}

/// #5 and #6 on the hosted page: an organization that requires MFA gets the second-factor step
/// (issue 13 item 5) instead of a session; the page offers only the methods the API allows.
async fn hosted_page_follows_the_policies(app: TestApp) {
    use crate::pages::{authorize_url, client, org_with_member, start, PASSWORD};
    let c = client(&app, "third_party").await;
    let e = format!("mfa-{}@acme.io", unique());
    let o = org_with_member(&app, "Strict", &e).await;
    let org_id = o["organization_id"].as_str().unwrap();
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"mfa_policy": "REQUIRED_FOR_ALL"}),
        )
        .await;
    assert_eq!(status, 200);
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let first = b.follow("/oauth2/authorize/continue").await;
    let csrf = first.csrf();
    let page = b
        .submit(
            "/oauth2/authorize/email",
            &[("csrf_token", &csrf), ("email_address", &e)],
        )
        .await;
    assert!(page.body.contains("name=\"password\""), "{}", page.body);
    let r = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER, "{}", r.body);
    let session_set = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| {
            c.starts_with(&format!("{}=", app.session_cookie()))
                && !c.starts_with(&format!("{}=;", app.session_cookie()))
        });
    assert!(!session_set, "no session cookie");
    let step = b.follow(&r.location()).await;
    assert!(
        step.body.contains("Set up an authenticator app"),
        "{}",
        step.body
    );
    b.post("/oauth2/authorize/restart", &[("csrf_token", &csrf)])
        .await;
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", &e)],
    )
    .await;
    // RESTRICTED to SSO: neither the password form nor a sign-in link is offered or sent.
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"mfa_policy": "OPTIONAL", "auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso"]}),
        )
        .await;
    assert_eq!(status, 200);
    let page = b.follow("/oauth2/authorize/continue").await;
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    let r = b
        .post("/oauth2/authorize/magic_link", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status, reqwest::StatusCode::FORBIDDEN, "{}", r.body);
}
both!(hosted_page_follows_the_policies);

/// `latchkey project redirect-urls add|list|remove` (issue 9 #16).
#[test]
fn cli_registers_redirect_urls() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"));
        for (k, _) in std::env::vars() {
            if k.starts_with("LATCHKEY_") {
                c.env_remove(k);
            }
        }
        let out = c.args(args).args(["--database-url", &db]).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, _, err) = run(&["project", "create", "--name", "R", "--json"]);
    assert!(ok, "{err}");
    let url = "https://app.example.com/authenticate";
    let (ok, out, err) = run(&["project", "redirect-urls", "add", url]);
    assert!(ok && out.contains("registered"), "{out}{err}");
    let (ok, out, _) = run(&["project", "redirect-urls", "list"]);
    assert!(ok);
    assert_eq!(out.trim(), url);
    let (ok, _, err) = run(&["project", "redirect-urls", "add", "javascript:alert(1)"]);
    assert!(!ok && err.contains("http"), "{err}");
    let (ok, _, err) = run(&["project", "redirect-urls", "remove", url]);
    assert!(ok, "{err}");
    let (_, out, _) = run(&["project", "redirect-urls", "list"]);
    assert_eq!(out.trim(), "");
    let (ok, _, _) = run(&["project", "redirect-urls", "remove", url]);
    assert!(!ok, "removing an unregistered URL is an error");
}

/// #5 on the hosted page's magic link (issue 13 item 5): when MFA became required after the
/// link was sent, the callback starts no session but leads to the second-factor step.
async fn hosted_magic_link_leads_to_the_second_factor(app: TestApp) {
    use crate::pages::{authorize_url, client, org_with_member, start};
    let c = client(&app, "third_party").await;
    let e = format!("mfa-ml-{}@acme.io", unique());
    let o = org_with_member(&app, "Later strict", &e).await;
    let org_id = o["organization_id"].as_str().unwrap();
    let mut b = start(&app, &authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", &e)],
    )
    .await;
    let sent = b
        .submit("/oauth2/authorize/magic_link", &[("csrf_token", &csrf)])
        .await;
    assert!(sent.body.contains("Check your email"), "{}", sent.body);
    let (link, _) = outbox_link(&app, &e).await;
    let path = link.as_str().strip_prefix(&app.base).unwrap().to_string();
    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"mfa_policy": "REQUIRED_FOR_ALL"}),
        )
        .await;
    assert_eq!(status, 200);
    let r = b.get(&path).await;
    assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        !r.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("latchkey_session_")),
        "no session before the second factor"
    );
    let step = b.follow(&r.location()).await;
    assert!(
        step.body.contains("Set up an authenticator app"),
        "{}",
        step.body
    );
}
both!(hosted_magic_link_leads_to_the_second_factor);
