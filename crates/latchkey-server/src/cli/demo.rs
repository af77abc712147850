//! `latchkey demo` (issue 15 item 7): a first run that can be tried in a browser. It makes a new
//! project with an organization, a member with a printed password and a third-party Connected
//! App, and prints an authorization URL that signs the member in and asks for consent, and the
//! command that exchanges the code. The records are made through the server's own API handlers
//! (the router called in-process), so they are exactly what the API would make.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Method, Request};
use base64::Engine;
use clap::Args;
use latchkey_core::clock::{Clock, OsTokens, SystemClock, TokenGenerator};
use latchkey_core::ids::Environment;
use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::config::Config;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where a browser reaches the server [default: `issuer`, else http://127.0.0.1:8080 or the
    /// configured `listen` address]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Print one JSON object instead of the explanation.
    #[arg(long)]
    pub json: bool,
}

/// The router, called in-process with the demo project's credentials.
struct Api {
    router: axum::Router,
    user: String,
    password: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.user, self.password));
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "127.0.0.1")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?;
        // Handlers that throttle by address read the peer address.
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                0,
            ))));
        let res = self.router.clone().oneshot(req).await?;
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await?;
        let v: Value = serde_json::from_slice(&bytes)?;
        if !status.is_success() {
            anyhow::bail!("{path}: {status}: {}", v["error_message"]);
        }
        Ok(v)
    }
}

fn base_url(args: &DemoArgs, config: &Config) -> String {
    let base = args.base_url.clone().or(config.issuer.clone());
    let base = base.unwrap_or_else(|| {
        let mut addr = config.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("http://{addr}")
    });
    base.trim_end_matches('/').to_string()
}

/// `bytes` random bytes, base64url (no padding).
fn random(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsTokens.fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// What the demo made, for the printout.
struct Seeded {
    organization_id: String,
    password: String,
    client_id: String,
    client_secret: String,
}

const EMAIL: &str = "demo@example.com";

pub async fn run(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let base = base_url(&args, &config);
    let state = crate::startup::build_state(config).await?;
    let others = state.store.list_projects().await?.len();
    let (project, secret) = crate::cli::new_project(
        state.store.as_ref(),
        "demo",
        Environment::Test,
        &SystemClock,
        &OsTokens,
    )
    .await?;
    let now = SystemClock.now().unix_timestamp();
    state
        .keys
        .create_initial(&project.project_id, now, &OsTokens)
        .await?;
    let api = Api {
        router: crate::startup::app(state.clone()),
        user: project.project_id.clone(),
        password: secret.expose_secret().to_string(),
    };
    let redirect_uri = format!("{base}/");
    let seeded = seed(&api, &redirect_uri).await;
    state.store.close().await;
    let seeded = seeded?;
    let (authorization_url, verifier) = authorization_url(&base, &seeded.client_id, &redirect_uri)?;
    let out = HashMap::from([
        ("project_id", project.project_id.clone()),
        ("secret", secret.expose_secret().to_string()),
        ("organization_id", seeded.organization_id),
        ("email_address", EMAIL.into()),
        ("password", seeded.password),
        ("client_id", seeded.client_id),
        ("client_secret", seeded.client_secret),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
        ("authorization_url", authorization_url),
        (
            "token_endpoint",
            format!("{base}{}", crate::oauth::paths::TOKEN),
        ),
    ]);
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        print_explanation(&out, others);
    }
    Ok(())
}

/// The organization, the member (with a fresh random password) and the Connected App.
async fn seed(api: &Api, redirect_uri: &str) -> anyhow::Result<Seeded> {
    let slug = format!("demo-{}", &OsTokens.uuid().simple().to_string()[..8]);
    let org = api
        .post(
            "/v1/b2b/organizations",
            json!({"organization_name": "Demo Organization", "organization_slug": slug}),
        )
        .await?;
    let organization_id = org["organization"]["organization_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let password = random(12);
    let mut salt = [0u8; latchkey_core::password::SALT_LEN];
    OsTokens.fill(&mut salt);
    let hash = latchkey_core::password::hash_password(&password, &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    api.post(
        "/v1/b2b/passwords/migrate",
        json!({"organization_id": organization_id, "email_address": EMAIL,
               "hash_type": "argon_2id", "hash": hash, "name": "Demo Member"}),
    )
    .await?;
    let app = api
        .post(
            "/v1/connected_apps/clients",
            json!({"client_type": "third_party", "client_name": "Demo App",
                   "client_description": "The app `latchkey demo` made, to try signing in.",
                   "redirect_urls": [redirect_uri]}),
        )
        .await?;
    let field = |k: &str| {
        app["connected_app"][k]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    Ok(Seeded {
        organization_id,
        password,
        client_id: field("client_id"),
        client_secret: field("client_secret"),
    })
}

/// The authorization request (RFC 6749 section 4.1.1 with PKCE S256, RFC 7636) and its verifier.
fn authorization_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
) -> anyhow::Result<(String, String)> {
    let verifier = random(32);
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(&verifier)?);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email profile offline_access"),
            ("state", &random(9)),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let url = format!("{base}{}?{query}", crate::oauth::paths::AUTHORIZE_PAGE);
    Ok((url, verifier))
}

fn print_explanation(o: &HashMap<&str, String>, others: usize) {
    println!("latchkey demo: a new project with an organization, a member and a Connected App.\n");
    for k in [
        "project_id",
        "secret",
        "organization_id",
        "email_address",
        "password",
        "client_id",
        "client_secret",
        "code_verifier",
    ] {
        println!("  {k:<16} {}", o[k]);
    }
    println!("\nThe secrets are shown only now; latchkey keeps their hashes.");
    if others > 0 {
        println!(
            "The database already held {others} project(s): project-less discovery needs \
             default_project_id now; the authorization URL works as it is."
        );
    }
    println!(
        "\nWith the server running (`latchkey serve`), open this URL, sign in as {} with the \
         password above and allow access:\n\n  {}\n",
        o["email_address"], o["authorization_url"]
    );
    println!(
        "The browser comes back to {} with ?code=...; exchange the code for tokens:\n\n  \
         curl -s {} -d grant_type=authorization_code -d code=CODE \\\n    -d redirect_uri={} \
         -d client_id={} \\\n    -d client_secret={} -d code_verifier={}",
        o["redirect_uri"],
        o["token_endpoint"],
        o["redirect_uri"],
        o["client_id"],
        o["client_secret"],
        o["code_verifier"]
    );
}
