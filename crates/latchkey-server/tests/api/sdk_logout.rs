//! `POST /sdk/v1/b2b/oauth/logout/start` (`idp.oauthLogoutStart` of `@stytch/vanilla-js`): the
//! hosted `/oauth2/logout` page's checks for the caller's session. Only registered
//! `post_logout_redirect_urls` (with `state`), and `consent_required` false only when a verified
//! `id_token_hint` names the session's member (or there is no session to end).

use reqwest::Method;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::oauth_support::{pkce, query, redeem, Client, REDIRECT};
use crate::sdk::{member_with_password, public_token, Sdk, PAGE, PASSWORD};

const BYE: &str = "https://app.example.com/signed-out";
const PATH: &str = "/b2b/oauth/logout/start";

async fn client_with_logout(app: &TestApp) -> Client {
    let (s, b) = app
        .post(
            "/v1/connected_apps/clients",
            json!({"client_type": "third_party", "client_name": "RP", "redirect_urls": [REDIRECT], "post_logout_redirect_urls": [BYE]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let c = &b["connected_app"];
    Client {
        id: c["client_id"].as_str().unwrap().to_string(),
        secret: c["client_secret"].as_str().map(str::to_string),
    }
}

/// An ID token of `client` for the member of the SDK's session.
async fn id_token(sdk: &Sdk<'_>, client: &Client) -> String {
    let (verifier, challenge) = pkce();
    let (s, b) = sdk
        .post("/idp/b2b/oauth/authorize/submit", json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code", "scopes": ["openid"], "consent_granted": true, "code_challenge": challenge}))
        .await;
    assert_eq!(s, 200, "{b}");
    let q = query(b["data"]["redirect_uri"].as_str().unwrap());
    let tokens = redeem(sdk.app, client, &q["code"], Some(&verifier)).await;
    tokens["id_token"].as_str().unwrap().to_string()
}

async fn logged_in<'a>(app: &'a TestApp, org_id: &str) -> Sdk<'a> {
    let email = member_with_password(app, org_id, json!([])).await;
    let mut sdk = Sdk {
        app,
        public_token: public_token(app).await,
        session: None,
        origin: PAGE,
    };
    let (s, b) = sdk
        .post("/b2b/passwords/authenticate", json!({"organization_id": org_id, "email_address": email, "password": PASSWORD, "session_duration_minutes": 60}))
        .await;
    assert_eq!(s, 200, "{b}");
    sdk.session = Some(b["data"]["session_token"].as_str().unwrap().to_string());
    sdk
}

fn start(client: &Client, hint: Option<&str>) -> Value {
    json!({"client_id": client.id, "post_logout_redirect_uri": BYE, "state": "st 1", "id_token_hint": hint})
}

both!(sdk_logout_start);
async fn sdk_logout_start(app: TestApp) {
    let org = app
        .create_org(
            json!({"organization_name": "Bye", "organization_slug": format!("bye-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let client = client_with_logout(&app).await;
    let mut ann = logged_in(&app, org_id).await;
    let hint = id_token(&ann, &client).await;

    // A verified hint naming the session's member: no confirmation; the redirect carries state.
    let (s, h, b) = ann
        .call(Method::POST, PATH, Some(start(&client, Some(&hint))))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(h["access-control-allow-origin"], PAGE);
    let d = &b["data"];
    assert_eq!(d["consent_required"], false, "{b}");
    assert_eq!(
        d["redirect_uri"],
        "https://app.example.com/signed-out?state=st+1"
    );
    // It ends nothing by itself: the SDK revokes the session before it navigates.
    let (s, _) = ann.post("/b2b/sessions/authenticate", json!({})).await;
    assert_eq!(s, 200);
    // No hint: the member confirms.
    let (s, b) = ann.post(PATH, start(&client, None)).await;
    assert_eq!(
        (s.as_u16(), &b["data"]["consent_required"]),
        (200, &json!(true))
    );
    // A forged hint is no hint.
    let forged = format!(
        "{}.{}.AAAA",
        hint.split('.').next().unwrap(),
        hint.split('.').nth(1).unwrap()
    );
    let (_, b) = ann.post(PATH, start(&client, Some(&forged))).await;
    assert_eq!(b["data"]["consent_required"], true, "{b}");
    // Another member's session with Ann's hint: confirm (logout CSRF, security review #9).
    let bob = logged_in(&app, org_id).await;
    let (_, b) = bob.post(PATH, start(&client, Some(&hint))).await;
    assert_eq!(b["data"]["consent_required"], true, "{b}");
    // No session (signed out already): nothing to end, the hint goes straight on.
    ann.session = None;
    let (s, b) = ann.post(PATH, start(&client, Some(&hint))).await;
    assert_eq!(
        (s.as_u16(), &b["data"]["consent_required"]),
        (200, &json!(false)),
        "{b}"
    );
    // The client may be named by the hint alone.
    let (s, b) = ann
        .post(
            PATH,
            json!({"post_logout_redirect_uri": BYE, "id_token_hint": hint}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["redirect_uri"], BYE);
}

both!(sdk_logout_start_refusals);
async fn sdk_logout_start_refusals(app: TestApp) {
    let org = app
        .create_org(
            json!({"organization_name": "Bye", "organization_slug": format!("bye-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let client = client_with_logout(&app).await;
    let other = client_with_logout(&app).await;
    let sdk = logged_in(&app, org_id).await;
    let hint = id_token(&sdk, &client).await;
    let cases = [
        // Never an open redirect.
        (
            json!({"client_id": client.id, "post_logout_redirect_uri": "https://evil.example/"}),
            401,
            "connected_app_supplied_redirect_url_not_found_in_client",
        ),
        (
            json!({"client_id": "connected-app-test-00000000-0000-4000-8000-000000000000", "post_logout_redirect_uri": BYE}),
            404,
            "connected_app_not_found",
        ),
        (
            json!({"client_id": other.id, "post_logout_redirect_uri": BYE, "id_token_hint": hint}),
            400,
            "invalid_id_token_hint",
        ),
        (
            json!({"client_id": client.id}),
            400,
            "missing_required_field",
        ),
        (
            json!({"post_logout_redirect_uri": BYE}),
            400,
            "missing_required_field",
        ),
    ];
    for (body, status, error_type) in cases {
        let (s, b) = sdk.post(PATH, body.clone()).await;
        assert_eq!(
            (s.as_u16(), b["error_type"].as_str()),
            (status, Some(error_type)),
            "{body}: {b}"
        );
    }
    // The preflight of the route is answered for the page.
    let r = app
        .client
        .request(Method::OPTIONS, format!("{}/sdk/v1{PATH}", app.base))
        .header("Origin", PAGE)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], PAGE);
}
