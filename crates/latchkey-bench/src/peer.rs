//! The peer side: node oidc-provider as `../shared/bench/peer/server.mjs` configures it (fixed
//! clients, account and scopes). One code flow is what a browser and a relying party do there:
//! `GET /auth` (prompt=consent, as `offline_access` asks), the interaction page, `POST` consent,
//! `GET /auth/:uid` and `POST /token`: five requests, with the login done once per worker (its
//! session cookie kept, as a browser keeps it). Endpoints come from the peer's discovery.

use anyhow::{anyhow, bail, Context};
use reqwest::header::LOCATION;
use serde_json::Value;

use crate::pkce;

const CLIENT_ID: &str = "bench-confidential";
const CLIENT_SECRET: &str = "bench-confidential-secret";
const REDIRECT_URI: &str = "http://127.0.0.1/callback";
const ACCOUNT: &str = "bench-user";
const SCOPES: &str = "openid email profile offline_access";

pub struct Ctx {
    pub base_url: String,
    authorization_endpoint: String,
    token_endpoint: String,
    introspection_endpoint: String,
    jwks_uri: String,
}

impl Ctx {
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base_url)
    }

    pub fn jwks_url(&self) -> String {
        self.jwks_uri.clone()
    }
}

/// A worker's own HTTP client: a cookie jar (the peer's session and interaction cookies) and
/// no automatic redirects (the flow reads each `Location`).
pub fn worker_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

pub async fn setup(http: &reqwest::Client, base_url: &str) -> anyhow::Result<Ctx> {
    let d: Value = http
        .get(format!("{base_url}/.well-known/openid-configuration"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let s = |k: &str| {
        d[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("peer discovery has no {k}"))
    };
    Ok(Ctx {
        base_url: base_url.to_string(),
        authorization_endpoint: s("authorization_endpoint")?,
        token_endpoint: s("token_endpoint")?,
        introspection_endpoint: s("introspection_endpoint")?,
        jwks_uri: s("jwks_uri")?,
    })
}

fn absolute(ctx: &Ctx, location: &str) -> String {
    if location.starts_with("http") {
        location.to_string()
    } else {
        format!("{}{location}", ctx.base_url)
    }
}

fn location(resp: &reqwest::Response) -> anyhow::Result<String> {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{} without Location", resp.status()))
}

/// Answers one interaction page: logs the fixed account in, or grants the consent asked for.
async fn interact(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let page = http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let form: Vec<(&str, &str)> = if page.contains("<title>login</title>") {
        vec![("prompt", "login"), ("login", ACCOUNT)]
    } else if page.contains("<title>consent</title>") {
        vec![("prompt", "consent")]
    } else {
        bail!("unexpected interaction page: {page}");
    };
    let resp = http.post(url).form(&form).send().await?;
    location(&resp)
}

/// One authorization-code flow with PKCE; returns the token response.
pub async fn flow(ctx: &Ctx, http: &reqwest::Client) -> anyhow::Result<Value> {
    let (verifier, challenge) = pkce();
    let resp = http
        .get(&ctx.authorization_endpoint)
        .query(&[
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", SCOPES),
            ("prompt", "consent"),
            ("state", "s"),
            ("nonce", "n"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await?;
    let mut next = location(&resp)?;
    let mut code = None;
    for _ in 0..8 {
        if next.starts_with(REDIRECT_URI) {
            let url = url::Url::parse(&next)?;
            code = url
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned());
            if code.is_none() {
                bail!("peer redirected without a code: {next}");
            }
            break;
        }
        let url = absolute(ctx, &next);
        next = if url.contains("/interaction/") {
            interact(http, &url).await?
        } else {
            location(&http.get(&url).send().await?)?
        };
    }
    let code = code.context("peer flow did not end at the redirect URI")?;
    let resp = http
        .post(&ctx.token_endpoint)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await?;
    crate::ok_json(resp).await
}

pub async fn refresh(ctx: &Ctx, http: &reqwest::Client, token: &str) -> anyhow::Result<Value> {
    let resp = http
        .post(&ctx.token_endpoint)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await?;
    crate::ok_json(resp).await
}

/// oidc-provider does not introspect its JWT access tokens, so the refresh token is introspected
/// (its README: the same lookup of a stored token).
pub async fn introspect(ctx: &Ctx, http: &reqwest::Client, token: &str) -> anyhow::Result<()> {
    let resp = http
        .post(&ctx.introspection_endpoint)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", token)])
        .send()
        .await?;
    crate::expect_active(resp).await
}
