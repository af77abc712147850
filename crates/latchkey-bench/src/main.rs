//! `latchkey-load`: drives a running latchkey, or the benchmark peer (node oidc-provider,
//! `../shared/bench/peer/`), through the same scenarios and prints throughput, latency, and the
//! measured server's CPU time per operation and memory.
//!
//! Phases (each for `--seconds`, `--concurrency` closed-loop workers):
//! 1. flow: one authorization-code flow with PKCE, ending in an access token, an ID token and a
//!    refresh token (latchkey: Stytch's authorize/start → authorize → token; the peer: its
//!    authorization endpoint, interaction, consent, resume and token endpoint);
//! 2. refresh: the `refresh_token` grant, each worker refreshing its own token and keeping the
//!    successor when the server rotates it;
//! 3. introspect: RFC 7662 introspection of a live token;
//! 4. discovery: `GET /.well-known/openid-configuration`;
//! 5. jwks: `GET` of the published key set.
//!
//! With `--server-pid` (Linux, server on this machine; repeatable) it reports the processes' CPU
//! time per operation and resident memory; `--json` adds one JSON line per phase.

mod latchkey;
mod measure;
mod peer;

use std::sync::Arc;

use anyhow::{anyhow, bail};
use base64::Engine;
use clap::{Parser, ValueEnum};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    Latchkey,
    Peer,
}

#[derive(Debug, Parser, Clone)]
#[command(
    name = "latchkey-load",
    about = "Load generator for latchkey (and the oidc-provider peer)"
)]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long, env = "LATCHKEY_BASE_URL")]
    base_url: String,
    /// Which server is at the base URL.
    #[arg(long, value_enum, default_value_t = Kind::Latchkey)]
    target: Kind,
    /// Project credentials (latchkey only).
    #[arg(long, env = "LATCHKEY_PROJECT_ID", default_value = "")]
    project_id: String,
    #[arg(long, env = "LATCHKEY_SECRET", default_value = "")]
    secret: String,
    /// Concurrent workers per phase.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Comma-separated phases to run.
    #[arg(long, default_value = "flow,refresh,introspect,discovery,jwks")]
    phases: String,
    /// Label of the printed lines (e.g. `sqlite`, `postgres`, `peer`).
    #[arg(long, default_value = "latchkey")]
    label: String,
    /// Process ids whose CPU time and memory to report (Linux only; repeatable).
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Also print one JSON object per phase.
    #[arg(long)]
    json: bool,
}

/// The server under load.
#[derive(Clone)]
enum Target {
    Latchkey(Arc<latchkey::Ctx>),
    Peer(Arc<peer::Ctx>),
}

/// What a worker carries between operations.
struct Worker {
    http: reqwest::Client,
    refresh: String,
    introspect: String,
}

impl Target {
    async fn flow(&self, http: &reqwest::Client) -> anyhow::Result<Value> {
        match self {
            Target::Latchkey(c) => latchkey::flow(c, http).await,
            Target::Peer(c) => peer::flow(c, http).await,
        }
    }

    async fn refresh(&self, w: &mut Worker) -> anyhow::Result<()> {
        let v = match self {
            Target::Latchkey(c) => latchkey::refresh(c, &w.http, &w.refresh).await?,
            Target::Peer(c) => peer::refresh(c, &w.http, &w.refresh).await?,
        };
        // Rotation (the peer always, latchkey for public clients): keep the successor.
        if let Some(next) = v["refresh_token"].as_str() {
            w.refresh = next.to_string();
        }
        Ok(())
    }

    async fn introspect(&self, w: &Worker) -> anyhow::Result<()> {
        match self {
            Target::Latchkey(c) => latchkey::introspect(c, &w.http, &w.introspect).await,
            // The peer rotates its refresh tokens: introspect the worker's current one.
            Target::Peer(c) => peer::introspect(c, &w.http, &w.refresh).await,
        }
    }

    /// The token each target introspects: latchkey its JWT access token (signature and
    /// revocation checked); the peer its refresh token (it does not introspect its JWTs).
    fn introspected(&self, tokens: &Value) -> anyhow::Result<String> {
        let name = match self {
            Target::Latchkey(_) => "access_token",
            Target::Peer(_) => "refresh_token",
        };
        field(tokens, name)
    }

    fn url(&self, phase: &str) -> String {
        match (self, phase) {
            (Target::Latchkey(c), "discovery") => c.discovery_url(),
            (Target::Latchkey(c), _) => c.jwks_url(),
            (Target::Peer(c), "discovery") => c.discovery_url(),
            (Target::Peer(c), _) => c.jwks_url(),
        }
    }
}

// One thread: the load generator shares the machine's cores with the server it measures, and a
// single-threaded runtime spends the least CPU per request (no work stealing, no pool locks),
// leaving the rest to the server, whichever server it is.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = args.base_url.trim_end_matches('/').to_string();
    let shared = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let target = match args.target {
        Kind::Latchkey => {
            if args.project_id.is_empty() || args.secret.is_empty() {
                bail!("--project-id and --secret are required for latchkey");
            }
            let ctx = latchkey::setup(&shared, &base, &args.project_id, &args.secret).await?;
            Target::Latchkey(Arc::new(ctx))
        }
        Kind::Peer => Target::Peer(Arc::new(peer::setup(&shared, &base).await?)),
    };
    println!(
        "latchkey-load: {} workers, {} s per phase, against {base} ({})",
        args.concurrency, args.seconds, args.label
    );
    // Each worker's first flow also logs in on the peer (cookies).
    let mut workers = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let http = match args.target {
            Kind::Latchkey => shared.clone(),
            Kind::Peer => peer::worker_client()?,
        };
        let mut w = Worker {
            refresh: String::new(),
            introspect: String::new(),
            http,
        };
        fresh_tokens(&target, &mut w).await?;
        workers.push(w);
    }
    for phase in args.phases.split(',').map(str::trim) {
        if matches!(phase, "refresh" | "introspect") {
            // Tokens from a flow just before the phase (untimed): the peer invalidates a
            // grant's earlier refresh tokens when later flows of the same session add to it.
            for w in &mut workers {
                fresh_tokens(&target, w).await?;
            }
        }
        workers = run_phase(&target, &args, phase, workers).await?;
    }
    Ok(())
}

async fn fresh_tokens(target: &Target, w: &mut Worker) -> anyhow::Result<()> {
    let tokens = target.flow(&w.http).await?;
    w.refresh = field(&tokens, "refresh_token")?;
    w.introspect = target.introspected(&tokens)?;
    Ok(())
}

async fn run_phase(
    target: &Target,
    args: &Args,
    phase: &str,
    workers: Vec<Worker>,
) -> anyhow::Result<Vec<Worker>> {
    let t = target.clone();
    let (result, workers) = match phase {
        "flow" => {
            measure::run(workers, args.seconds, &args.server_pid, move |w| {
                let t = t.clone();
                Box::pin(async move {
                    let r = t.flow(&w.http).await.map(|_| ());
                    (w, r)
                })
            })
            .await?
        }
        "refresh" => {
            measure::run(workers, args.seconds, &args.server_pid, move |mut w| {
                let t = t.clone();
                Box::pin(async move {
                    let r = t.refresh(&mut w).await;
                    (w, r)
                })
            })
            .await?
        }
        "introspect" => {
            measure::run(workers, args.seconds, &args.server_pid, move |w| {
                let t = t.clone();
                Box::pin(async move {
                    let r = t.introspect(&w).await;
                    (w, r)
                })
            })
            .await?
        }
        "discovery" | "jwks" => {
            let url = Arc::new(target.url(phase));
            measure::run(workers, args.seconds, &args.server_pid, move |w| {
                let url = url.clone();
                Box::pin(async move {
                    let r = get_json(&w.http, &url).await;
                    (w, r)
                })
            })
            .await?
        }
        other => bail!("unknown phase {other}"),
    };
    measure::report(&args.label, phase, args.concurrency, &result, args.json);
    Ok(workers)
}

/// A fresh PKCE pair (RFC 7636): a 86-character verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let raw: Vec<u8> = (0..4)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .collect();
    let verifier = b64.encode(&raw[..64]);
    let challenge = b64.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn field(v: &Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {name} in {v}"))
}

async fn ok_json(resp: reqwest::Response) -> anyhow::Result<Value> {
    let status = resp.status();
    let v: Value = resp.json().await?;
    if !status.is_success() {
        bail!("{status} {v}");
    }
    Ok(v)
}

async fn expect_active(resp: reqwest::Response) -> anyhow::Result<()> {
    let v = ok_json(resp).await?;
    if v["active"] != Value::Bool(true) {
        bail!("token inactive: {v}");
    }
    Ok(())
}

/// A GET whose body must be a JSON document (the whole body is read, as a client would).
async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let resp = http.get(url).send().await?;
    ok_json(resp).await.map(|_| ())
}
