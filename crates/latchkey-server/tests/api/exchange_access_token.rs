//! `POST /v1/b2b/sessions/exchange_access_token` (Stytch §16): a first-party `full_access`
//! access token back into the member session that authorized it, with a session token of its
//! own; once only, within five minutes, and never for a session that has ended.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{Backend, TestApp, TestClock};
use crate::oauth_support::{create_client, redeem, subject, Client, REDIRECT};
use crate::sessions::logged_in;

const EXCHANGE: &str = "/v1/b2b/sessions/exchange_access_token";
const AUTHENTICATE: &str = "/v1/b2b/sessions/authenticate";
const FULL_ACCESS: &str = "openid email full_access";

/// Start and Submit for the member of `session_token`, then the code at the token endpoint;
/// returns the access token.
async fn access_token(app: &TestApp, client: &Client, session_token: &str, scopes: &str) -> String {
    access_token_for(app, client, json!({"session_token": session_token}), scopes).await
}

/// Like [`access_token`], with the member named by `who` (a session, or organization and
/// member ids).
async fn access_token_for(app: &TestApp, client: &Client, who: Value, scopes: &str) -> String {
    let mut body = json!({
        "client_id": client.id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scopes": scopes.split_whitespace().collect::<Vec<_>>(),
    });
    for (k, v) in who.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    body["consent_granted"] = true.into();
    body["state"] = "st".into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap();
    let tokens = redeem(app, client, code, None).await;
    assert!(
        tokens["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .all(|s| scopes.contains(s)),
        "{tokens}"
    );
    tokens["access_token"].as_str().unwrap().to_string()
}

/// A member session, a first-party client allowed `full_access`, and a fresh `full_access`
/// token authorized from that session: (session token, member_session_id, client, access token).
async fn authorized(app: &TestApp) -> (String, String, Client, String) {
    let (_, _, s) = logged_in(app, json!([])).await;
    let client = create_client(app, "first_party").await;
    let access = access_token(app, &client, &s.session_token, FULL_ACCESS).await;
    (
        s.session_token,
        s.member_session.member_session_id,
        client,
        access,
    )
}

fn assert_error(got: (reqwest::StatusCode, Value), want: (u16, &str)) {
    let (status, body) = got;
    assert_eq!(
        (
            status.as_u16(),
            body["error_type"].as_str().unwrap_or_default()
        ),
        want,
        "{body}"
    );
}

async fn authenticate(app: &TestApp, session_token: &str) -> (reqwest::StatusCode, Value) {
    app.post(AUTHENTICATE, json!({"session_token": session_token}))
        .await
}

async fn exchange_returns_the_session_with_a_token_of_its_own(app: TestApp) {
    let (original, session_id, client, access) = authorized(&app).await;
    let (status, body) = app.post(EXCHANGE, json!({"access_token": access})).await;
    assert_eq!(status, 200, "{body}");
    let token = body["session_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty(), "{body}");
    assert_eq!(token.len(), original.len(), "same format as login tokens");
    assert_ne!(token, original);
    assert!(!body["session_jwt"].as_str().unwrap().is_empty(), "{body}");
    assert_eq!(
        body["member_session"]["member_session_id"],
        session_id.as_str()
    );
    assert_eq!(body["member_id"], body["member"]["member_id"]);
    assert!(
        body["organization"]["organization_id"].is_string(),
        "{body}"
    );
    let has_factor = |s: &Value| {
        s["authentication_factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| {
                f["delivery_method"] == "oauth_access_token_exchange"
                    && f["oauth_access_token_exchange_factor"]["client_id"] == client.id.as_str()
            })
    };
    assert!(has_factor(&body["member_session"]), "{body}");

    // The new token, the new JWT and the authorizing app's token all name the same session,
    // which keeps the factor.
    let (status, by_new) = authenticate(&app, &token).await;
    assert_eq!(status, 200, "{by_new}");
    assert_eq!(by_new["session_token"], token.as_str());
    assert_eq!(
        by_new["member_session"]["member_session_id"],
        session_id.as_str()
    );
    assert!(has_factor(&by_new["member_session"]), "{by_new}");
    let (status, by_jwt) = app
        .post(AUTHENTICATE, json!({"session_jwt": body["session_jwt"]}))
        .await;
    assert_eq!(status, 200, "{by_jwt}");
    assert_eq!(
        by_jwt["member_session"]["member_session_id"],
        session_id.as_str()
    );
    let (status, by_original) = authenticate(&app, &original).await;
    assert_eq!(status, 200, "{by_original}");
    assert_eq!(
        by_original["member_session"]["member_session_id"],
        session_id.as_str()
    );

    // Once only.
    assert_error(
        app.post(EXCHANGE, json!({"access_token": access})).await,
        (404, "idp_access_token_could_not_be_exchanged"),
    );

    // Revoking by the new token ends the session for both tokens.
    let (status, body) = app
        .post("/v1/b2b/sessions/revoke", json!({"session_token": token}))
        .await;
    assert_eq!(status, 200, "{body}");
    for t in [&token, &original] {
        assert_error(authenticate(&app, t).await, (404, "session_not_found"));
    }
}
both!(exchange_returns_the_session_with_a_token_of_its_own);

async fn refusals(app: TestApp) {
    assert_error(
        app.post(EXCHANGE, json!({})).await,
        (400, "missing_required_field"),
    );
    assert_error(
        app.post(EXCHANGE, json!({"access_token": ""})).await,
        (400, "missing_required_field"),
    );
    assert_error(
        app.post(EXCHANGE, json!({"access_token": "not-a-token"}))
            .await,
        (400, "oauth_access_token_exchange_token_invalid_grant"),
    );
    let (session_token, _, client, access) = authorized(&app).await;
    assert_error(
        app.post(
            EXCHANGE,
            json!({"access_token": access, "session_duration_minutes": 1}),
        )
        .await,
        (400, "invalid_session_duration_minutes"),
    );
    let (status, body) = app.post(EXCHANGE, json!({"access_token": access})).await;
    assert_eq!(
        status, 200,
        "a refused duration does not spend the token: {body}"
    );
    let narrow = access_token(&app, &client, &session_token, "openid email").await;
    assert_error(
        app.post(EXCHANGE, json!({"access_token": narrow})).await,
        (400, "oauth_access_token_exchange_missing_full_access"),
    );
    // A token authorized without a session (by organization and member ids) has none to give.
    let s = subject(&app).await;
    let who = json!({"organization_id": s.org_id, "member_id": s.member_id});
    let sessionless = access_token_for(&app, &client, who, FULL_ACCESS).await;
    assert_error(
        app.post(EXCHANGE, json!({"access_token": sessionless}))
            .await,
        (404, "idp_access_token_could_not_be_exchanged"),
    );
    // Through all of this the authorizing session lives on.
    assert_eq!(authenticate(&app, &session_token).await.0, 200);
}
both!(refusals);

async fn ended_sessions_are_not_exchangeable(app: TestApp) {
    // Revoked before the exchange.
    let (session_token, _, _, access) = authorized(&app).await;
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/revoke",
            json!({"session_token": session_token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_error(
        app.post(EXCHANGE, json!({"access_token": access})).await,
        (404, "idp_access_token_could_not_be_exchanged"),
    );

    // Expired before the exchange (not yet purged).
    let (session_token, session_id, _, access) = authorized(&app).await;
    let store = &app.state.store;
    let mut record = store
        .session_by_id(&app.project_id, &session_id)
        .await
        .unwrap()
        .unwrap();
    record.expires_at = app.state.clock.now().unix_timestamp() - 1;
    assert!(store.update_session(&record).await.unwrap());
    assert_error(
        app.post(EXCHANGE, json!({"access_token": access})).await,
        (404, "idp_access_token_could_not_be_exchanged"),
    );
    assert_error(
        authenticate(&app, &session_token).await,
        (404, "session_not_found"),
    );
}
both!(ended_sessions_are_not_exchangeable);

/// A token more than five minutes old (by `iat`) is refused, though still live otherwise.
async fn too_old(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (session_token, _, client, access) = authorized(&app).await;
    clock.advance(301);
    assert_error(
        app.post(EXCHANGE, json!({"access_token": access})).await,
        (400, "oauth_access_token_exchange_token_too_old"),
    );
    // Within the five minutes it works.
    let fresh = access_token(&app, &client, &session_token, FULL_ACCESS).await;
    let (status, body) = app.post(EXCHANGE, json!({"access_token": fresh})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_old_sqlite() {
    too_old(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_old_postgres() {
    too_old(Backend::Postgres).await
}

/// issue 9 item 7: spending the token, extending the session and adding its token are one
/// store operation, and input errors come first: a refused exchange leaves the token unspent.
async fn a_refused_exchange_does_not_spend_the_token(app: TestApp) {
    let (_, _, _, access) = authorized(&app).await;
    assert_error(
        app.post(
            EXCHANGE,
            json!({"access_token": access, "session_custom_claims": {"sub": "x"}}),
        )
        .await,
        (400, "invalid_session_custom_claims"),
    );
    let (status, body) = app.post(EXCHANGE, json!({"access_token": access})).await;
    assert_eq!(status, 200, "{body}");
    assert_error(
        app.post(EXCHANGE, json!({"access_token": access})).await,
        (404, "idp_access_token_could_not_be_exchanged"),
    );
}
both!(a_refused_exchange_does_not_spend_the_token);
