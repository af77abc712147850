//! The latchkey side: the Connected Apps flow as a relying party and a customer's authorization
//! page drive it (Stytch's authorize/start → authorize → token), the `refresh_token` grant and
//! RFC 7662 introspection. Setup creates an organization, a member and a first-party
//! confidential client through the management API with the project credentials given.

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use crate::pkce;

pub struct Ctx {
    pub base_url: String,
    project_id: String,
    secret: String,
    org_id: String,
    member_id: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Discovery as OIDC relying parties and MCP clients read it (the issuer's well-known path).
    pub fn discovery_url(&self) -> String {
        self.url("/.well-known/openid-configuration")
    }

    pub fn jwks_url(&self) -> String {
        self.url("/.well-known/jwks.json")
    }
}

async fn api(
    http: &reqwest::Client,
    base_url: &str,
    (project_id, secret): (&str, &str),
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let resp = http
        .post(format!("{base_url}{path}"))
        .basic_auth(project_id, Some(secret))
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    let v: Value = resp.json().await.context("response is not JSON")?;
    if !status.is_success() {
        bail!("{path}: {status} {v}");
    }
    Ok(v)
}

fn id(v: &Value, pointer: &str) -> anyhow::Result<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {pointer} in {v}"))
}

pub async fn setup(
    http: &reqwest::Client,
    base_url: &str,
    project_id: &str,
    secret: &str,
) -> anyhow::Result<Ctx> {
    let creds = (project_id, secret);
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let org = api(
        http,
        base_url,
        creds,
        "/v1/b2b/organizations",
        json!({"organization_name": format!("Load {tag}")}),
    )
    .await?;
    let org_id = id(&org, "/organization/organization_id")?;
    let m = api(
        http,
        base_url,
        creds,
        &format!("/v1/b2b/organizations/{org_id}/members"),
        json!({"email_address": format!("load-{tag}@example.com")}),
    )
    .await?;
    let redirect_uri = "http://127.0.0.1/callback".to_string();
    let c = api(http, base_url, creds, "/v1/connected_apps/clients", json!({
        "client_type": "first_party", "client_name": "load generator", "client_description": "latchkey-load",
        "redirect_urls": [redirect_uri], "bypass_consent_for_offline_access": true
    })).await?;
    Ok(Ctx {
        base_url: base_url.to_string(),
        project_id: project_id.to_string(),
        secret: secret.to_string(),
        org_id,
        member_id: id(&m, "/member_id")?,
        client_id: id(&c, "/connected_app/client_id")?,
        client_secret: id(&c, "/connected_app/client_secret")?,
        redirect_uri,
    })
}

/// One authorization-code flow with PKCE: three requests; returns the token response.
pub async fn flow(ctx: &Ctx, http: &reqwest::Client) -> anyhow::Result<Value> {
    let (verifier, challenge) = pkce();
    let creds = (ctx.project_id.as_str(), ctx.secret.as_str());
    let start = json!({
        "client_id": ctx.client_id, "redirect_uri": ctx.redirect_uri, "response_type": "code",
        "scopes": ["openid", "email", "profile", "offline_access"],
        "organization_id": ctx.org_id, "member_id": ctx.member_id,
    });
    api(
        http,
        &ctx.base_url,
        creds,
        "/v1/b2b/idp/oauth/authorize/start",
        start.clone(),
    )
    .await?;
    let mut submit = start;
    if let Value::Object(m) = &mut submit {
        m.insert("consent_granted".into(), true.into());
        m.insert("state".into(), "s".into());
        m.insert("nonce".into(), "n".into());
        m.insert("code_challenge".into(), challenge.into());
    }
    let r = api(
        http,
        &ctx.base_url,
        creds,
        "/v1/b2b/idp/oauth/authorize",
        submit,
    )
    .await?;
    let code = id(&r, "/authorization_code")?;
    let resp = http
        .post(ctx.url("/v1/oauth2/token"))
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", ctx.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await?;
    crate::ok_json(resp).await
}

/// One `refresh_token` grant; returns the token response.
pub async fn refresh(ctx: &Ctx, http: &reqwest::Client, token: &str) -> anyhow::Result<Value> {
    let resp = http
        .post(ctx.url("/v1/oauth2/token"))
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await?;
    crate::ok_json(resp).await
}

/// RFC 7662 introspection of an access token (signature, expiry and revocation checked).
pub async fn introspect(ctx: &Ctx, http: &reqwest::Client, token: &str) -> anyhow::Result<()> {
    let resp = http
        .post(ctx.url("/v1/oauth2/introspect"))
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .form(&[("token", token)])
        .send()
        .await?;
    crate::expect_active(resp).await
}
