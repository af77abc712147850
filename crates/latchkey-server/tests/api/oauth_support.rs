//! Helpers for the authorization-server tests: Connected App clients, a member to authorize,
//! the consent API half of the flow, and raw form calls to the OAuth endpoints.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;

use crate::helpers::{unique, TestApp};

pub const REDIRECT: &str = "https://app.example.com/cb";
/// A verifier that matches no challenge the tests send.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const SCOPES: &str = "openid email profile offline_access";

/// A Connected App client: its id and, for confidential ones, the secret.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
}

impl Client {
    /// The client authentication fields for a form body (`client_secret_post` or `none`).
    pub fn auth(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("client_id", self.id.clone())];
        if let Some(s) = &self.secret {
            v.push(("client_secret", s.clone()));
        }
        v
    }
}

pub async fn create_client(app: &TestApp, client_type: &str) -> Client {
    let first = client_type.starts_with("first");
    let (status, body) = app
        .post(
            "/v1/connected_apps/clients",
            json!({
                "client_type": client_type,
                "client_name": format!("RP {client_type}"),
                "client_description": "an OIDC relying party",
                "redirect_urls": [REDIRECT],
                "full_access_allowed": first,
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let c = &body["connected_app"];
    Client {
        id: c["client_id"].as_str().unwrap().to_string(),
        secret: c["client_secret"].as_str().map(str::to_string),
    }
}

/// An organization and an active member with a name and a verified email.
pub struct Subject {
    pub org_id: String,
    pub member_id: String,
    pub email: String,
}

pub async fn subject(app: &TestApp) -> Subject {
    let org = app
        .create_org(
            json!({"organization_name": "RP Org", "organization_slug": format!("rp-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let email = format!("ada-{}@example.com", unique());
    let m = app
        .create_member(
            &org_id,
            json!({"email_address": email, "name": "Ada Lovelace"}),
        )
        .await;
    Subject {
        org_id,
        member_id: m["member_id"].as_str().unwrap().to_string(),
        email,
    }
}

/// The body of Start/Submit for `subject` and `client`.
pub fn authorize_body(client: &Client, s: &Subject, scopes: &str) -> Value {
    json!({
        "client_id": client.id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scopes": scopes.split_whitespace().collect::<Vec<_>>(),
        "organization_id": s.org_id,
        "member_id": s.member_id,
    })
}

/// Start then Submit with consent; returns the code from the redirect URI.
pub async fn code_for(
    app: &TestApp,
    client: &Client,
    s: &Subject,
    challenge: Option<&str>,
) -> String {
    let mut body = authorize_body(client, s, SCOPES);
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    body["consent_granted"] = true.into();
    body["state"] = "st".into();
    if let Some(c) = challenge {
        body["code_challenge"] = c.into();
    }
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    out["authorization_code"].as_str().unwrap().to_string()
}

/// A fresh PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A form POST to an OAuth endpoint; returns status, headers and the JSON body.
pub async fn form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, String)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body: Value = resp.json().await.unwrap();
    (status, headers, body)
}

/// The token endpoint with client_secret_post / none authentication.
pub async fn token(
    app: &TestApp,
    client: &Client,
    fields: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut all = client.auth();
    all.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let all: Vec<(&str, String)> = all.iter().map(|(k, v)| (*k, v.clone())).collect();
    form(app, "/v1/oauth2/token", &all).await
}

/// Redeems a code; asserts success and returns the token response.
pub async fn redeem(app: &TestApp, client: &Client, code: &str, verifier: Option<&str>) -> Value {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    let (status, _, body) = token(app, client, &fields).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn refresh(app: &TestApp, client: &Client, rt: &str) -> (StatusCode, Value) {
    let (s, _, b) = token(
        app,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    (s, b)
}

pub async fn introspect(app: &TestApp, client: &Client, tok: &str) -> Value {
    let mut fields = client.auth();
    fields.push(("token", tok.to_string()));
    let (status, _, body) = form(app, "/v1/oauth2/introspect", &fields).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn revoke(app: &TestApp, client: &Client, tok: &str) {
    let mut fields = client.auth();
    fields.push(("token", tok.to_string()));
    let (status, _, body) = form(app, "/v1/oauth2/revoke", &fields).await;
    assert_eq!(status, 200, "{body}");
}

pub async fn userinfo(
    app: &TestApp,
    access_token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = app
        .client
        .get(format!("{}/v1/oauth2/userinfo", app.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

/// Query parameters of a URL.
pub fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub const CLIENT_TYPES: [&str; 4] = [
    "first_party",
    "first_party_public",
    "third_party",
    "third_party_public",
];

/// Whether a client type is public (no secret, PKCE required, rotating refresh tokens).
pub fn is_public(client_type: &str) -> bool {
    client_type.ends_with("_public")
}
