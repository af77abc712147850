//! The frontend SDK surface `/sdk/v1` over HTTP, as `@stytch/vanilla-js` calls it: Basic
//! `public_token:session_token`, `{"data": ...}` bodies, CORS for authorized origins only,
//! bootstrap, password login, session authenticate, the Connected Apps preflight and submit
//! (the relying party redeems the code and checks the ID token's nonce), refusal, member RBAC,
//! and logout.

use base64::Engine;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::oauth_support::{create_client, pkce, query, redeem, REDIRECT};

pub(crate) const PAGE: &str = "http://127.0.0.1:5555";
// pyca/bcrypt test vector.
pub(crate) const HASH: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
pub(crate) const PASSWORD: &str = "Kk4DQuMMfZL9o";

pub(crate) async fn public_token(app: &TestApp) -> String {
    let projects = app.state.store.list_projects().await.unwrap();
    projects
        .into_iter()
        .find(|p| p.project_id == app.project_id)
        .unwrap()
        .public_token
}

pub(crate) struct Sdk<'a> {
    pub app: &'a TestApp,
    pub public_token: String,
    pub session: Option<String>,
    pub origin: &'a str,
}

impl Sdk<'_> {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let pass = self
            .session
            .clone()
            .unwrap_or_else(|| self.public_token.clone());
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{pass}", self.public_token));
        let mut req = self
            .app
            .client
            .request(method, format!("{}/sdk/v1{path}", self.app.base))
            .header("Authorization", format!("Basic {basic}"))
            .header("Origin", self.origin)
            .header("X-SDK-Parent-Host", self.origin)
            .header("X-SDK-Client", "eyJ0ZWxlbWV0cnkiOnRydWV9");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON ({status}): {text}"));
        if status.is_success() {
            assert!(json["data"].is_object(), "{json}");
        } else {
            for k in ["error_type", "error_message", "request_id"] {
                assert!(json[k].is_string(), "{json}");
            }
        }
        (status, headers, json)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, b) = self.call(Method::POST, path, Some(body)).await;
        (s, b)
    }
}

pub(crate) async fn member_with_password(app: &TestApp, org_id: &str, roles: Value) -> String {
    let email = format!("sdk-{}@example.com", unique());
    let (s, b) = app
        .post(
            "/v1/b2b/passwords/migrate",
            json!({"organization_id": org_id, "email_address": email, "hash_type": "bcrypt", "hash": HASH, "roles": roles, "name": "Ada"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    email
}

pub(crate) fn jwt_payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

both!(sdk_login_to_consent);
async fn sdk_login_to_consent(app: TestApp) {
    let mut sdk = Sdk {
        app: &app,
        public_token: public_token(&app).await,
        session: None,
        origin: PAGE,
    };
    // Bootstrap: CORS for the loopback page of a test project.
    let path = format!("/projects/bootstrap/{}", sdk.public_token);
    let (s, h, b) = sdk.call(Method::GET, &path, None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(h["access-control-allow-origin"], PAGE);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(h
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().contains("Origin")));
    assert_eq!(b["data"]["project_name"], "test");
    assert!(b["data"]
        .as_object()
        .unwrap()
        .contains_key("password_config"));
    assert!(b["data"]["rbac_policy"]["roles"].is_array(), "{b}");
    // Events are accepted and dropped.
    let (s, _) = sdk
        .post(
            "/events",
            json!({"events": [{"telemetry": {}, "event": {}}]}),
        )
        .await;
    assert_eq!(s, 200);

    let org = app
        .create_org(
            json!({"organization_name": "SDK", "organization_slug": format!("sdk-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let email = member_with_password(&app, org_id, json!([])).await;
    // Nothing but login without a session.
    let (s, b) = sdk.post("/idp/b2b/oauth/authorize/start", json!({})).await;
    assert_eq!(s, 401, "{b}");
    let (s, b) = sdk
        .post("/b2b/passwords/authenticate", json!({"organization_id": org_id, "email_address": email, "password": PASSWORD, "session_duration_minutes": 60}))
        .await;
    assert_eq!(s, 200, "{b}");
    let token = b["data"]["session_token"].as_str().unwrap().to_string();
    let member_id = b["data"]["member_id"].as_str().unwrap().to_string();
    sdk.session = Some(token.clone());
    let (s, b) = sdk.post("/b2b/sessions/authenticate", json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member_session"]["member_id"], member_id.as_str());
    let (s, _, b) = sdk
        .call(Method::GET, "/b2b/organizations/members/me", None)
        .await;
    assert_eq!(
        (s.as_u16(), b["data"]["member"]["email_address"].as_str()),
        (200, Some(email.as_str())),
        "{b}"
    );
    // Self-service under RBAC: his name yes, stytch_admin no.
    let (s, _, b) = sdk
        .call(
            Method::PUT,
            "/b2b/organizations/members/update",
            Some(json!({"name": "Ada L."})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, _, b) = sdk
        .call(
            Method::PUT,
            &format!("/b2b/organizations/members/{member_id}"),
            Some(json!({"roles": ["stytch_admin"]})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (403, Some("session_authorization_error")),
        "{b}"
    );
    // The body cannot name another member: the SDK acts as the session's member only.
    let client = create_client(&app, "third_party").await;
    let scopes = ["openid", "email", "profile"];
    let (s, b) = sdk
        .post("/idp/b2b/oauth/authorize/start", json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code", "scopes": scopes, "member_id": "member-test-00000000-0000-4000-8000-000000000000"}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member_id"], member_id.as_str());
    assert_eq!(b["data"]["consent_required"], true);
    assert!(
        b["data"]["scope_results"].as_array().unwrap().len() >= 3,
        "{b}"
    );
    // Submit with consent: the relying party redeems the code; the ID token carries the nonce.
    let (verifier, challenge) = pkce();
    let (s, b) = sdk
        .post("/idp/b2b/oauth/authorize/submit", json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code", "scopes": scopes, "consent_granted": true, "state": "st-1", "nonce": "n-42", "code_challenge": challenge}))
        .await;
    assert_eq!(s, 200, "{b}");
    let q = query(b["data"]["redirect_uri"].as_str().unwrap());
    assert_eq!(q["state"], "st-1");
    let tokens = redeem(&app, &client, &q["code"], Some(&verifier)).await;
    let claims = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["nonce"], "n-42");
    assert_eq!(claims["sub"], member_id.as_str());
    // Refusal: an access_denied redirect, no code.
    let (s, b) = sdk
        .post("/idp/b2b/oauth/authorize/submit", json!({"client_id": client.id, "redirect_uri": REDIRECT, "response_type": "code", "scopes": scopes, "consent_granted": false, "state": "st-2", "code_challenge": challenge}))
        .await;
    assert_eq!(s, 200, "{b}");
    let q = query(b["data"]["redirect_uri"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert!(!q.contains_key("code"));
    // The consent shows in the member's own Connected Apps view.
    let (s, _, b) = sdk
        .call(
            Method::GET,
            "/b2b/organizations/members/connected_apps",
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(
        b["data"]["connected_apps"].to_string().contains(&client.id),
        "{b}"
    );
    // Logout ends the session.
    let (s, b) = sdk.post("/b2b/sessions/revoke", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = sdk.post("/b2b/sessions/authenticate", json!({})).await;
    assert!(s == 401 || s == 404, "{s} {b}");
}

both!(sdk_origins_are_enforced);
async fn sdk_origins_are_enforced(app: TestApp) {
    let token = public_token(&app).await;
    // Preflights: answered for loopback (test projects), not for an unknown origin.
    let preflight = |origin: &'static str| {
        app.client
            .request(
                Method::OPTIONS,
                format!("{}/sdk/v1/b2b/passwords/authenticate", app.base),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,x-sdk-client,x-sdk-parent-host",
            )
            .send()
    };
    let r = preflight(PAGE).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], PAGE);
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    assert!(r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-sdk-client"));
    let r = preflight("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let evil = Sdk {
        app: &app,
        public_token: token.clone(),
        session: None,
        origin: "https://evil.example",
    };
    let (s, h, b) = evil
        .call(Method::GET, &format!("/projects/bootstrap/{token}"), None)
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (403, Some("bad_domain_for_stytch_sdk")),
        "{b}"
    );
    assert!(
        h.get("access-control-allow-origin").is_none(),
        "never served to that page"
    );
    // Once authorized, the origin is served (and never with `*`).
    app.state
        .store
        .add_sdk_origin(&app.project_id, "https://evil.example", 0)
        .await
        .unwrap();
    let (s, h, _) = evil
        .call(Method::GET, &format!("/projects/bootstrap/{token}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["access-control-allow-origin"], "https://evil.example");
    // A page that claims another parent host is refused.
    let (s, _) = {
        let resp = app
            .client
            .post(format!("{}/sdk/v1/b2b/sessions/authenticate", app.base))
            .basic_auth(&token, Some(&token))
            .header("Origin", PAGE)
            .header("X-SDK-Parent-Host", "https://phish.example")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        (resp.status(), ())
    };
    assert_eq!(s, 403);
    // An unknown public token.
    let nobody = Sdk {
        app: &app,
        public_token: "public-token-test-nope".into(),
        session: None,
        origin: PAGE,
    };
    let (s, b) = nobody.post("/b2b/sessions/authenticate", json!({})).await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (401, Some("invalid_public_token_id")),
        "{b}"
    );
}

both!(authorized_origins_api);
async fn authorized_origins_api(app: TestApp) {
    let path = "/v1/sdk/authorized_origins";
    let (s, b) = app.get(path).await;
    assert_eq!(
        (s.as_u16(), b["authorized_origins"].clone()),
        (200, json!([])),
        "{b}"
    );
    let (s, b) = app
        .post(path, json!({"origin": "HTTPS://App.Example.com/"}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["authorized_origins"], json!(["https://app.example.com"]));
    for bad in ["https://app.example.com/login", "javascript:alert(1)", ""] {
        let (s, b) = app.post(path, json!({"origin": bad})).await;
        assert_eq!(s, 400, "{bad}: {b}");
    }
    // The SDK now serves that origin on this live-like check.
    let token = public_token(&app).await;
    let page = Sdk {
        app: &app,
        public_token: token.clone(),
        session: None,
        origin: "https://app.example.com",
    };
    let (s, h, _) = page
        .call(Method::GET, &format!("/projects/bootstrap/{token}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    let (s, b) = app
        .delete(&format!("{path}?origin=https%3A%2F%2Fapp.example.com"))
        .await;
    assert_eq!(
        (s.as_u16(), b["authorized_origins"].clone()),
        (200, json!([])),
        "{b}"
    );
    let (s, _) = app
        .delete(&format!("{path}?origin=https%3A%2F%2Fapp.example.com"))
        .await;
    assert_eq!(s, 404);
    let (s, _, _) = page
        .call(Method::GET, &format!("/projects/bootstrap/{token}"), None)
        .await;
    assert_eq!(s, 403);
}

both!(sdk_magic_links_and_invites);
async fn sdk_magic_links_and_invites(app: TestApp) {
    // A loopback URL: test projects accept it without registering it (issue 9 #16).
    let cb = "http://localhost:3000/authenticate";
    let mut sdk = Sdk {
        app: &app,
        public_token: public_token(&app).await,
        session: None,
        origin: PAGE,
    };
    let org = app.create_org(json!({"organization_name": "Links", "organization_slug": format!("links-{}", unique())})).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let email = format!("ml-{}@example.com", unique());
    app.create_member(org_id, json!({"email_address": email}))
        .await;
    // Login link with PKCE, as the SDK sends it when PKCE is on.
    let (verifier, challenge) = pkce();
    let (s, b) = sdk
        .post("/b2b/magic_links/email/login_or_signup", json!({"organization_id": org_id, "email_address": email, "login_redirect_url": cb, "pkce_code_challenge": challenge}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, token) = crate::magic_links::outbox_link(&app, &email).await;
    let (s, b) = sdk
        .post("/b2b/magic_links/authenticate", json!({"magic_links_token": token, "pkce_code_verifier": verifier, "session_duration_minutes": 60}))
        .await;
    assert_eq!(s, 200, "{b}");
    sdk.session = Some(b["data"]["session_token"].as_str().unwrap().to_string());
    // A plain member may not invite; an admin may.
    let invitee = format!("inv-{}@example.com", unique());
    let (s, b) = sdk
        .post(
            "/b2b/magic_links/email/invite",
            json!({"email_address": invitee, "invite_redirect_url": cb}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (403, Some("session_authorization_error")),
        "{b}"
    );
    let admin = app.create_member(org_id, json!({"email_address": format!("adm-{}@example.com", unique()), "roles": ["stytch_admin"]})).await;
    let admin_s =
        crate::sessions::session_for(&app, org_id, admin["member_id"].as_str().unwrap()).await;
    sdk.session = Some(admin_s.session_token.clone());
    let (s, b) = sdk
        .post(
            "/b2b/magic_links/email/invite",
            json!({"email_address": invitee, "invite_redirect_url": cb}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member"]["status"], "invited");
    assert_eq!(b["data"]["member"]["organization_id"], org_id);
}
