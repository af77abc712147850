//! The frontend SDK's form-post transport (`submitFormSDK`: `__Authorization`,
//! `__X-SDK-Client`, `__X-SDK-Parent-Host` fields, the browser navigates): the authorization
//! answers with a `303` to the client's `redirect_uri`, on the same origin rules as `fetch`
//! plus a required browser `Origin`, so a cross-site form is no CSRF hole.

use base64::Engine;
use reqwest::header::LOCATION;
use reqwest::{redirect, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::oauth_support::{create_client, pkce, query, redeem, Client, REDIRECT};
use crate::sdk::{jwt_payload, member_with_password, public_token, Sdk, PAGE, PASSWORD};

struct Form<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    basic: String,
}

impl Form<'_> {
    /// Posts a form as the SDK does, from a page on `origin` (`None`: no `Origin` header).
    async fn post(
        &self,
        path: &str,
        origin: Option<&str>,
        parent: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let mut all = vec![
            ("__Authorization", self.basic.as_str()),
            ("__X-SDK-Client", "eyJ0ZWxlbWV0cnkiOnRydWV9"),
            ("__X-SDK-Parent-Host", parent),
        ];
        all.extend_from_slice(fields);
        let mut req = self
            .http
            .post(format!("{}/sdk/v1{path}", self.app.base))
            .form(&all);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        assert!(resp.headers().get("access-control-allow-origin").is_none());
        (status, location, resp.text().await.unwrap())
    }
}

async fn setup(app: &TestApp) -> (Form<'_>, Sdk<'_>, Client, String) {
    let org = app
        .create_org(
            json!({"organization_name": "Form", "organization_slug": format!("form-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
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
    let token = b["data"]["session_token"].as_str().unwrap().to_string();
    let member_id = b["data"]["member_id"].as_str().unwrap().to_string();
    sdk.session = Some(token.clone());
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{token}", sdk.public_token));
    let form = Form {
        app,
        http: reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
        basic: format!("Basic {basic}"),
    };
    (
        form,
        sdk,
        create_client(app, "third_party").await,
        member_id,
    )
}

both!(sdk_form_post_authorize);
async fn sdk_form_post_authorize(app: TestApp) {
    let (form, _, client, member_id) = setup(&app).await;
    let (verifier, challenge) = pkce();
    let grant = |consent: &'static str, state: &'static str| {
        vec![
            ("client_id", client.id.clone()),
            ("redirect_uri", REDIRECT.to_string()),
            ("response_type", "code".into()),
            // `input.value = ["openid", "email", "profile"]`: the SDK's form joins an array.
            ("scopes", "openid,email,profile".into()),
            ("consent_granted", consent.into()),
            ("state", state.into()),
            ("nonce", "n-form".into()),
            ("code_challenge", challenge.clone()),
        ]
    };
    let fields = grant("true", "st-form");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The SDK's form target answers the navigation with a 303 to the client, code and state.
    let (s, loc, body) = form
        .post("/b2b/oauth/authorize", Some(PAGE), PAGE, &refs)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let loc = loc.unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query(&loc);
    assert_eq!(q["state"], "st-form");
    let tokens = redeem(&app, &client, &q["code"], Some(&verifier)).await;
    let claims = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        (claims["nonce"].as_str(), claims["sub"].as_str()),
        (Some("n-form"), Some(member_id.as_str()))
    );
    // Submit's own path takes the form too; a refusal is an access_denied redirect.
    let fields = grant("false", "st-no");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, loc, _) = form
        .post("/idp/b2b/oauth/authorize/submit", Some(PAGE), PAGE, &refs)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let q = query(&loc.unwrap());
    assert_eq!(
        (q["error"].as_str(), q.contains_key("code")),
        ("access_denied", false)
    );
    // An unregistered redirect_uri is an error page, never a redirect.
    let bad: Vec<(&str, &str)> = refs
        .iter()
        .map(|&(k, v)| {
            if k == "redirect_uri" {
                (k, "https://evil.example/cb")
            } else {
                (k, v)
            }
        })
        .collect();
    let (s, loc, body) = form
        .post("/b2b/oauth/authorize", Some(PAGE), PAGE, &bad)
        .await;
    assert_eq!((s.as_u16(), loc), (401, None));
    assert!(
        body.contains("<html") || body.contains("<!doctype"),
        "{body}"
    );
}

both!(sdk_form_post_is_no_csrf_hole);
async fn sdk_form_post_is_no_csrf_hole(app: TestApp) {
    let (form, sdk, client, _) = setup(&app).await;
    let (_, challenge) = pkce();
    let fields = [
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scopes", "openid"),
        ("consent_granted", "true"),
        ("code_challenge", challenge.as_str()),
    ];
    let path = "/b2b/oauth/authorize";
    // A foreign page, no Origin, an opaque (`null`) one, or a parent host the project has
    // not authorized: refused, with no redirect.
    for (origin, parent) in [
        (Some("https://evil.example"), "https://evil.example"),
        (Some("https://evil.example"), PAGE),
        (None, PAGE),
        (Some("null"), PAGE),
        (Some(PAGE), "https://evil.example"),
    ] {
        let (s, loc, body) = form.post(path, origin, parent, &fields).await;
        assert_eq!(
            (s.as_u16(), loc),
            (403, None),
            "{origin:?} {parent}: {body}"
        );
        assert!(body.contains("bad_domain_for_stytch_sdk"), "{body}");
    }
    // Without the __Authorization field there is no project, whatever cookie or header rides along.
    let anon = Form {
        basic: String::new(),
        ..form
    };
    let (s, loc, _) = anon.post(path, Some(PAGE), PAGE, &fields).await;
    assert_eq!((s.as_u16(), loc), (401, None));
    // Only the authorization takes a form: a form can't reach any other SDK route.
    let (s, _, _) = anon
        .post("/b2b/sessions/revoke", Some(PAGE), PAGE, &[])
        .await;
    assert_eq!(s.as_u16(), 415);
    let form = Form {
        basic: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                sdk.public_token,
                sdk.session.clone().unwrap()
            ))
        ),
        ..anon
    };
    let (s, _, _) = form
        .post("/b2b/sessions/revoke", Some(PAGE), PAGE, &[])
        .await;
    assert_eq!(s.as_u16(), 415);
    let (s, b) = sdk.post("/b2b/sessions/authenticate", json!({})).await;
    assert_eq!(s, 200, "the session lives: {b}");
}
