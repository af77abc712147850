//! The authorization-server findings of the December security review, each reproduced over
//! HTTP: consent withdrawal and outstanding codes (#8), a foreign client burning or revoking a
//! code (#10), `refresh_grace_seconds = 0` (#11), tokens of deleted members, organizations and
//! clients (#13), and logout by someone else's `id_token_hint` (#9).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::browser::Browser;
use crate::helpers::{unique, Backend, TestApp};
use crate::oauth_support::*;

fn assert_invalid_grant(status: StatusCode, body: &Value) {
    assert_eq!(
        (status.as_u16(), body["error"].as_str().unwrap_or_default()),
        (400, "invalid_grant"),
        "{body}"
    );
}

async fn redeem_raw(app: &TestApp, client: &Client, code: &str) -> (StatusCode, Value) {
    let (s, _, b) = token(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    (s, b)
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// #8: Submit twice, withdraw the consent; the second code no longer redeems.
async fn consent_withdrawal_spends_outstanding_codes(app: TestApp) {
    let client = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let first = code_for(&app, &client, &s, None).await;
    let second = code_for(&app, &client, &s, None).await;
    let tokens = redeem(&app, &client, &first, None).await;
    let (status, body) = app
        .post(
            &format!(
                "/v1/b2b/organizations/{}/members/{}/connected_apps/{}/revoke",
                s.org_id, s.member_id, client.id
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, err) = redeem_raw(&app, &client, &second).await;
    assert_invalid_grant(status, &err);
    let access = str_of(&tokens, "access_token");
    assert_eq!(introspect(&app, &client, access).await["active"], false);
}
both!(consent_withdrawal_spends_outstanding_codes);

/// #10: another client presenting a code neither spends it nor, once it is spent, revokes the
/// tokens its own client got for it.
async fn foreign_client_cannot_burn_or_revoke_a_code(app: TestApp) {
    let victim = create_client(&app, "first_party").await;
    let attacker = create_client(&app, "first_party").await;
    let s = subject(&app).await;
    let code = code_for(&app, &victim, &s, None).await;
    let (status, err) = redeem_raw(&app, &attacker, &code).await;
    assert_invalid_grant(status, &err);
    let tokens = redeem(&app, &victim, &code, None).await;
    let (status, err) = redeem_raw(&app, &attacker, &code).await;
    assert_invalid_grant(status, &err);
    let access = str_of(&tokens, "access_token");
    assert_eq!(introspect(&app, &victim, access).await["active"], true);
    let (status, body) = refresh(&app, &victim, str_of(&tokens, "refresh_token")).await;
    assert_eq!(status, 200, "{body}");
    // The victim's own replay still revokes the family (RFC 6749 §4.1.2).
    let (status, err) = redeem_raw(&app, &victim, &code).await;
    assert_invalid_grant(status, &err);
    assert_eq!(introspect(&app, &victim, access).await["active"], false);
}
both!(foreign_client_cannot_burn_or_revoke_a_code);

/// A clock that stands still, so a replay lands in the very second of the rotation.
struct Frozen(time::OffsetDateTime);

impl latchkey_core::clock::Clock for Frozen {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

/// #11: with `refresh_grace_seconds = 0`, replaying a rotated token at once (the same second)
/// is reuse: refused, and the whole family is revoked.
async fn grace_zero_disables_the_window(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.clock = std::sync::Arc::new(Frozen(latchkey_core::clock::Clock::now(&*s.clock)));
        std::sync::Arc::make_mut(&mut s.config).refresh_grace_seconds = 0;
    })
    .await;
    let client = create_client(&app, "third_party_public").await;
    let s = subject(&app).await;
    let (verifier, challenge) = pkce();
    let code = code_for(&app, &client, &s, Some(&challenge)).await;
    let tokens = redeem(&app, &client, &code, Some(&verifier)).await;
    let old = str_of(&tokens, "refresh_token");
    let (status, rotated) = refresh(&app, &client, old).await;
    assert_eq!(status, 200, "{rotated}");
    let (status, err) = refresh(&app, &client, old).await;
    assert_invalid_grant(status, &err);
    let (status, err) = refresh(&app, &client, str_of(&rotated, "refresh_token")).await;
    assert_invalid_grant(status, &err);
    let access = str_of(&rotated, "access_token");
    assert_eq!(introspect(&app, &client, access).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_zero_disables_the_window_sqlite() {
    grace_zero_disables_the_window(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_zero_disables_the_window_postgres() {
    grace_zero_disables_the_window(Backend::Postgres).await
}

/// Tokens for a confidential client, and a second client to introspect with.
async fn issued(app: &TestApp) -> (Client, Client, Subject, Value) {
    let client = create_client(app, "first_party").await;
    let other = create_client(app, "first_party").await;
    let s = subject(app).await;
    let code = code_for(app, &client, &s, None).await;
    let tokens = redeem(app, &client, &code, None).await;
    (client, other, s, tokens)
}

/// Introspection, userinfo and refresh all refuse the tokens.
async fn assert_dead(app: &TestApp, client: &Client, other: &Client, tokens: &Value) {
    let access = str_of(tokens, "access_token");
    let rt = str_of(tokens, "refresh_token");
    assert_eq!(introspect(app, other, access).await["active"], false);
    assert_eq!(introspect(app, other, rt).await["active"], false);
    assert_eq!(userinfo(app, access).await.0, 401);
    let (status, _) = refresh(app, client, rt).await;
    assert!(status.is_client_error(), "refresh answered {status}");
}

/// #13: deleting a member, an organization or a client revokes their tokens.
async fn deleted_subjects_lose_their_tokens(app: TestApp) {
    let (client, other, s, tokens) = issued(&app).await;
    assert_eq!(
        introspect(&app, &other, str_of(&tokens, "access_token")).await["active"],
        true
    );
    let (status, body) = app
        .delete(&format!(
            "/v1/b2b/organizations/{}/members/{}",
            s.org_id, s.member_id
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_dead(&app, &client, &other, &tokens).await;

    let (client, other, s, tokens) = issued(&app).await;
    let (status, body) = app
        .delete(&format!("/v1/b2b/organizations/{}", s.org_id))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_dead(&app, &client, &other, &tokens).await;

    let (client, other, _, tokens) = issued(&app).await;
    let (status, body) = app
        .delete(&format!("/v1/connected_apps/clients/{}", client.id))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_dead(&app, &client, &other, &tokens).await;
}
both!(deleted_subjects_lose_their_tokens);

/// Logs `email` in on the hosted page for `c` and returns the browser and the ID token.
async fn hosted_login(app: &TestApp, c: &crate::pages::Client, email: &str) -> (Browser, String) {
    let mut b = crate::pages::start(app, &crate::pages::authorize_url(&c.id, &[])).await;
    let page = b.follow("/oauth2/authorize/continue").await;
    let csrf = page.csrf();
    b.submit(
        "/oauth2/authorize/email",
        &[("csrf_token", &csrf), ("email_address", email)],
    )
    .await;
    let r = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", crate::pages::PASSWORD)],
        )
        .await;
    let done = b.get(&r.location()).await;
    let tokens = crate::pages::redeem(app, c, &done.query()["code"]).await;
    (b, str_of(&tokens, "id_token").to_string())
}

async fn session_live(app: &TestApp, b: &Browser) -> bool {
    let token = b
        .cookies
        .get(&app.session_cookie())
        .cloned()
        .unwrap_or_default();
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": token}),
        )
        .await;
    status == StatusCode::OK
}

/// #9: someone else's ID token does not sign the browser out without asking; one's own does.
async fn logout_hint_must_name_the_browsers_member(app: TestApp) {
    let c = crate::pages::client(&app, "first_party").await;
    let alice = format!("alice-{}@acme.io", unique());
    let bob = format!("bob-{}@globex.io", unique());
    crate::pages::org_with_member(&app, "Acme", &alice).await;
    crate::pages::org_with_member(&app, "Globex", &bob).await;
    let (mut browser, alice_hint) = hosted_login(&app, &c, &alice).await;
    let (_, bob_hint) = hosted_login(&app, &c, &bob).await;
    let bye = "https://rp.example/bye";
    let url = |hint: &str| {
        format!(
            "/oauth2/logout?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("id_token_hint", hint), ("post_logout_redirect_uri", bye)])
                .finish()
        )
    };
    let page = browser.get(&url(&bob_hint)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Sign out?"), "{}", page.body);
    assert!(
        session_live(&app, &browser).await,
        "signed out by bob's hint"
    );
    let out = browser.get(&url(&alice_hint)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert_eq!(out.location(), bye);
    assert!(!browser.cookies.contains_key(&app.session_cookie()));
}
both!(logout_hint_must_name_the_browsers_member);
