//! Email magic links over HTTP: login for active members, signup for pending and new ones (JIT
//! provisioning), invites, redeeming links read from the outbox, single use under concurrency,
//! expiry, PKCE, bad input, the default redirect URL, and SMTP failures.

use latchkey_core::magic_link::MagicLinkToken;
use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use latchkey_store::MagicLinkRecord;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, Backend, TestApp};

const LOGIN: &str = "/v1/b2b/magic_links/email/login_or_signup";
const INVITE: &str = "/v1/b2b/magic_links/email/invite";
const AUTH: &str = "/v1/b2b/magic_links/authenticate";
/// Loopback: a test project accepts it without registering it (issue 9 #16).
const CB: &str = "http://localhost:3000/authenticate";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The newest link mailed to `email`, and the token in it, read from the outbox.
pub async fn outbox_link(app: &TestApp, email: &str) -> (url::Url, String) {
    let messages = app
        .state
        .store
        .list_outbox(Some(&app.project_id), 100)
        .await
        .unwrap();
    let m = messages
        .iter()
        .find(|m| m.to_address == email)
        .unwrap_or_else(|| panic!("no mail to {email}"));
    let link = url::Url::parse(&m.link).unwrap();
    let token = link
        .query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned();
    (link, token)
}

async fn org_with(app: &TestApp, settings: Value) -> String {
    let mut body =
        json!({"organization_name": "Magic", "organization_slug": format!("m-{}", unique())});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    app.create_org(body).await["organization_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn email() -> String {
    format!("ml-{}@acme.io", unique())
}

async fn login_for_active_member(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    let m = app.create_member(&org, json!({"email_address": e})).await;
    let (status, body) = app
        .post(
            LOGIN,
            json!({"organization_id": org, "email_address": e, "login_redirect_url": CB}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_created"], false);
    assert_eq!(body["member_id"], m["member_id"]);
    assert_eq!(body["organization"]["organization_id"], org.as_str());
    let (link, token) = outbox_link(&app, &e).await;
    assert!(link.as_str().starts_with(CB), "{link}");
    assert!(link
        .query_pairs()
        .any(|(k, v)| k == "stytch_token_type" && v == "multi_tenant_magic_links"));
    let (status, auth) = app
        .post(
            AUTH,
            json!({"magic_links_token": token, "session_duration_minutes": 30}),
        )
        .await;
    assert_eq!(status, 200, "{auth}");
    for k in [
        "member_id",
        "organization_id",
        "method_id",
        "session_token",
        "session_jwt",
    ] {
        assert!(
            auth[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k}: {auth}"
        );
    }
    assert_eq!(auth["member_authenticated"], true);
    assert_eq!(auth["intermediate_session_token"], "");
    assert_eq!(auth["reset_sessions"], false);
    assert!(auth["mfa_required"].is_null());
    assert_eq!(auth["member"]["email_address_verified"], true);
    let factor = &auth["member_session"]["authentication_factors"][0];
    assert_eq!(
        (factor["type"].as_str(), factor["delivery_method"].as_str()),
        (Some("magic_link"), Some("email"))
    );
    assert_eq!(factor["email_factor"]["email_address"], e.as_str());
    let (status, s) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": auth["session_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["member"]["member_id"], m["member_id"]);
}
both!(login_for_active_member);

async fn signup_for_pending_and_new_members(app: TestApp) {
    let org = org_with(
        &app,
        json!({"email_jit_provisioning": "RESTRICTED", "email_allowed_domains": ["acme.io"]}),
    )
    .await;
    // A pending member gets a signup link and stays pending until they click it.
    let e = email();
    let pending = app
        .create_member(
            &org,
            json!({"email_address": e, "create_member_as_pending": true}),
        )
        .await;
    let (status, body) = app
        .post(
            LOGIN,
            json!({"organization_id": org, "email_address": e, "signup_redirect_url": CB}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["member_created"].as_bool(),
            body["member"]["status"].as_str()
        ),
        (Some(false), Some("pending"))
    );
    assert_eq!(body["member_id"], pending["member_id"]);
    // A new address in an allowed domain: a pending member is created.
    let fresh = email();
    let (status, body) = app
        .post(LOGIN, json!({"organization_id": org, "email_address": fresh.to_uppercase(), "signup_redirect_url": CB}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_created"], true);
    assert_eq!(body["member"]["status"], "pending");
    assert_eq!(body["member"]["email_address"], fresh.as_str());
    let (_, token) = outbox_link(&app, &fresh).await;
    let (status, auth) = app.post(AUTH, json!({"magic_links_token": token})).await;
    assert_eq!(status, 200, "{auth}");
    assert_eq!(auth["member"]["status"], "active");
    assert_eq!(auth["member"]["email_address_verified"], true);
    let (_, got) = app
        .get(&format!(
            "/v1/b2b/organizations/{org}/member?email_address={fresh}"
        ))
        .await;
    assert_eq!(got["member"]["status"], "active");
    // Other domains, and organizations without JIT provisioning, are refused.
    let (status, err) = app
        .post(LOGIN, json!({"organization_id": org, "email_address": "x@other.io", "signup_redirect_url": CB}))
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (403, Some("invalid_email_for_jit_provisioning"))
    );
    let closed = org_with(&app, json!({})).await;
    let (status, err) = app
        .post(
            LOGIN,
            json!({"organization_id": closed, "email_address": email(), "signup_redirect_url": CB}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (403, Some("email_jit_provisioning_not_allowed"))
    );
}
both!(signup_for_pending_and_new_members);

async fn invites(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    let (status, body) = app
        .post(
            INVITE,
            json!({"organization_id": org, "email_address": e, "invite_redirect_url": CB,
            "name": "Ivy", "roles": ["stytch_admin"], "untrusted_metadata": {"k": 1}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member"]["status"], "invited");
    assert_eq!(body["member"]["name"], "Ivy");
    assert_eq!(body["member"]["is_admin"], true);
    let (_, token) = outbox_link(&app, &e).await;
    let (status, auth) = app.post(AUTH, json!({"magic_links_token": token})).await;
    assert_eq!(status, 200, "{auth}");
    assert_eq!(auth["member"]["status"], "active");
    // Active members cannot be invited; organizations may refuse invites.
    let (status, err) = app
        .post(
            INVITE,
            json!({"organization_id": org, "email_address": e, "invite_redirect_url": CB}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("duplicate_member_email"))
    );
    let closed = org_with(&app, json!({"email_invites": "NOT_ALLOWED"})).await;
    let (status, err) = app
        .post(
            INVITE,
            json!({"organization_id": closed, "email_address": email(), "invite_redirect_url": CB}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (403, Some("invalid_email_for_invites"))
    );
    let (status, err) = app
        .post(
            INVITE,
            json!({"organization_id": org, "email_address": email(), "invite_redirect_url": CB,
            "invited_by_member_id": "member-test-00000000-0000-0000-0000-000000000000"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (404, Some("member_not_found"))
    );
}
both!(invites);

async fn single_use_and_expiry(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    let m = app.create_member(&org, json!({"email_address": e})).await;
    app.post(
        LOGIN,
        json!({"organization_id": org, "email_address": e, "login_redirect_url": CB}),
    )
    .await;
    let (_, token) = outbox_link(&app, &e).await;
    assert_eq!(
        app.post(AUTH, json!({"magic_links_token": token})).await.0,
        200
    );
    let (status, err) = app.post(AUTH, json!({"magic_links_token": token})).await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (401, Some("unable_to_auth_magic_link"))
    );
    let (status, err) = app.post(AUTH, json!({"magic_links_token": "nope"})).await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (404, Some("magic_link_not_found"))
    );
    // The shortest expiry is five minutes: make an already expired token through the store.
    let expired = MagicLinkToken::generate(&latchkey_core::clock::OsTokens);
    let now = app.state.clock.now().unix_timestamp();
    let record = MagicLinkRecord {
        project_id: app.project_id.clone(),
        organization_id: org.clone(),
        member_id: m["member_id"].as_str().unwrap().into(),
        kind: "login".into(),
        redirect_url: CB.into(),
        pkce_code_challenge: None,
        expires_at: now - 1,
        used_at: None,
        created_at: now - 3600,
    };
    app.state
        .store
        .insert_magic_link(&expired.hash(), &record)
        .await
        .unwrap();
    let (status, err) = app
        .post(AUTH, json!({"magic_links_token": expired.expose_secret()}))
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (401, Some("unable_to_auth_magic_link"))
    );
}
both!(single_use_and_expiry);

async fn concurrent_redemption(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    app.create_member(&org, json!({"email_address": e})).await;
    app.post(
        LOGIN,
        json!({"organization_id": org, "email_address": e, "login_redirect_url": CB}),
    )
    .await;
    let (_, token) = outbox_link(&app, &e).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = vec![];
    for _ in 0..20 {
        let (app, token) = (app.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            app.post(AUTH, json!({"magic_links_token": token})).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status.as_u16() {
            200 => wins += 1,
            401 => assert_eq!(body["error_type"], "unable_to_auth_magic_link"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(wins, 1);
}
both!(concurrent_redemption);

async fn pkce(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    app.create_member(&org, json!({"email_address": e})).await;
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(VERIFIER).unwrap());
    let (status, body) = app
        .post(
            LOGIN,
            json!({"organization_id": org, "email_address": e, "login_redirect_url": CB,
            "pkce_code_challenge": challenge.as_str()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, token) = outbox_link(&app, &e).await;
    let (status, err) = app.post(AUTH, json!({"magic_links_token": token})).await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("pkce_expected_code_verifier"))
    );
    let wrong = "x".repeat(43);
    let (status, err) = app
        .post(
            AUTH,
            json!({"magic_links_token": token, "pkce_code_verifier": wrong}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("pkce_mismatch"))
    );
    // Failed checks do not use the token up.
    let (status, auth) = app
        .post(
            AUTH,
            json!({"magic_links_token": token, "pkce_code_verifier": VERIFIER}),
        )
        .await;
    assert_eq!(status, 200, "{auth}");
    // A verifier for a link sent without a challenge, and malformed values.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.post(
        LOGIN,
        json!({"organization_id": org, "email_address": e, "login_redirect_url": CB}),
    )
    .await;
    let (_, plain) = outbox_link(&app, &e).await;
    let (status, err) = app
        .post(
            AUTH,
            json!({"magic_links_token": plain, "pkce_code_verifier": VERIFIER}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("pkce_did_not_expect_code_verifier"))
    );
    let (status, err) = app
        .post(
            LOGIN,
            json!({"organization_id": org, "email_address": email(), "login_redirect_url": CB,
            "pkce_code_challenge": "short"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("invalid_pkce_code_challenge"))
    );
    let (status, err) = app
        .post(
            AUTH,
            json!({"magic_links_token": plain, "pkce_code_verifier": "bad verifier"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (400, Some("invalid_pkce_code_verifier"))
    );
}
both!(pkce);

async fn existing_session_gains_the_factor(app: TestApp) {
    let (org, m, issued) = crate::sessions::logged_in(&app, json!([])).await;
    let (org_id, e) = (
        org["organization_id"].as_str().unwrap(),
        m["email_address"].as_str().unwrap(),
    );
    app.post(
        LOGIN,
        json!({"organization_id": org_id, "email_address": e, "login_redirect_url": CB}),
    )
    .await;
    let (_, token) = outbox_link(&app, e).await;
    let (status, auth) = app
        .post(
            AUTH,
            json!({"magic_links_token": token, "session_token": issued.session_token}),
        )
        .await;
    assert_eq!(status, 200, "{auth}");
    assert_eq!(
        auth["member_session"]["member_session_id"],
        issued.member_session.member_session_id.as_str()
    );
    let kinds: Vec<_> = auth["member_session"]["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["password", "magic_link"]);
}
both!(existing_session_gains_the_factor);

async fn bad_input(app: TestApp) {
    let org = org_with(&app, json!({})).await;
    let e = email();
    app.create_member(&org, json!({"email_address": e})).await;
    let cases = [
        (json!({"email_address": e}), 400, "missing_required_field"),
        (
            json!({"organization_id": org}),
            400,
            "missing_required_field",
        ),
        (
            json!({"organization_id": org, "email_address": "not-an-email"}),
            400,
            "invalid_email",
        ),
        (
            json!({"organization_id": "organization-test-00000000-0000-0000-0000-000000000000", "email_address": e, "login_redirect_url": CB}),
            404,
            "organization_not_found",
        ),
        (
            json!({"organization_id": org, "email_address": e}),
            400,
            "no_default_login_redirect_url_set",
        ),
        (
            json!({"organization_id": org, "email_address": e, "login_redirect_url": "javascript:alert(1)"}),
            400,
            "invalid_login_redirect_url",
        ),
        (
            json!({"organization_id": org, "email_address": e, "login_redirect_url": CB, "login_expiration_minutes": 4}),
            400,
            "invalid_expiration",
        ),
        (
            json!({"organization_id": org, "email_address": e, "login_redirect_url": CB, "login_expiration_minutes": 10081}),
            400,
            "invalid_expiration",
        ),
        (
            json!({"organization_id": org, "email_address": 7}),
            400,
            "invalid_field_type",
        ),
    ];
    for (body, status, kind) in cases {
        let (s, err) = app.post(LOGIN, body.clone()).await;
        assert_eq!(
            (s.as_u16(), err["error_type"].as_str()),
            (status, Some(kind)),
            "{body}"
        );
    }
    let (s, err) = app
        .post(INVITE, json!({"organization_id": org, "email_address": email(), "invite_redirect_url": CB, "invite_expiration_minutes": 10081}))
        .await;
    assert_eq!(
        (s.as_u16(), err["error_type"].as_str()),
        (400, Some("invalid_expiration"))
    );
    // One email per second per address.
    let body = json!({"organization_id": org, "email_address": e, "login_redirect_url": CB});
    assert_eq!(app.post(LOGIN, body.clone()).await.0, 200);
    let (s, err) = app.post(LOGIN, body).await;
    assert_eq!(
        (s.as_u16(), err["error_type"].as_str()),
        (429, Some("too_many_requests"))
    );
    let (_, token) = outbox_link(&app, &e).await;
    for (body, status, kind) in [
        (json!({}), 400, "missing_required_field"),
        (
            json!({"magic_links_token": token, "session_token": "a", "session_jwt": "b"}),
            400,
            "too_many_session_arguments",
        ),
        (
            json!({"magic_links_token": token, "session_duration_minutes": 1}),
            400,
            "invalid_session_duration_minutes",
        ),
        (
            json!({"magic_links_token": token, "session_token": "unknown"}),
            404,
            "session_not_found",
        ),
    ] {
        let (s, err) = app.post(AUTH, body.clone()).await;
        assert_eq!(
            (s.as_u16(), err["error_type"].as_str()),
            (status, Some(kind)),
            "{body}"
        );
    }
    // None of those used the token up.
    assert_eq!(
        app.post(AUTH, json!({"magic_links_token": token})).await.0,
        200
    );
}
both!(bad_input);

async fn default_redirect_url(backend: Backend) {
    let app = TestApp::spawn_with_config(backend, |c| {
        c.magic_link_redirect_url = Some("http://localhost:3000/cb?from=mail".into());
    })
    .await;
    let org = org_with(&app, json!({})).await;
    let e = email();
    app.create_member(&org, json!({"email_address": e})).await;
    let (status, body) = app
        .post(LOGIN, json!({"organization_id": org, "email_address": e}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (link, _) = outbox_link(&app, &e).await;
    assert!(
        link.as_str()
            .starts_with("http://localhost:3000/cb?from=mail&stytch_token_type="),
        "{link}"
    );
}

async fn smtp_failure_is_a_clear_error(backend: Backend) {
    let app = TestApp::spawn_with_config(backend, |c| {
        // Nothing listens on port 1: the connection is refused at once.
        c.smtp_url = Some(latchkey_server::config::SmtpUrl(
            "smtp://127.0.0.1:1".into(),
        ));
        c.mail_from = Some("latchkey <no-reply@example.com>".into());
    })
    .await;
    let org = org_with(&app, json!({})).await;
    let e = email();
    app.create_member(&org, json!({"email_address": e})).await;
    let (status, err) = app
        .post(
            LOGIN,
            json!({"organization_id": org, "email_address": e, "login_redirect_url": CB}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error_type"].as_str()),
        (503, Some("email_delivery_failed"))
    );
    assert!(app
        .state
        .store
        .list_outbox(Some(&app.project_id), 10)
        .await
        .unwrap()
        .is_empty());
}

mod configured {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn default_redirect_url_sqlite() {
        default_redirect_url(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn default_redirect_url_postgres() {
        default_redirect_url(Backend::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn smtp_failure_sqlite() {
        smtp_failure_is_a_clear_error(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn smtp_failure_postgres() {
        smtp_failure_is_a_clear_error(Backend::Postgres).await
    }
}
