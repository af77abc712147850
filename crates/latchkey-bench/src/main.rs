//! `latchkey-load`: drives a running latchkey through the Connected Apps flow the way a relying
//! party and a customer's authorization page do, and prints throughput and latency.
//!
//! Phases (each for `--seconds`, `--concurrency` workers):
//! 1. flow: authorize/start → authorize (consent, PKCE) → token (authorization_code);
//! 2. refresh: refresh_token grant with a confidential client (sliding token), each worker
//!    refreshing its own token (as many clients would: no single-row contention);
//! 3. introspect: RFC 7662 introspection of an access token.
//!
//! It creates what it needs through the management API (an organization, a member, a
//! first-party client) with the project credentials given. With `--server-pid` (Linux, server on
//! this machine) it also reports the server's CPU time per operation, from `/proc/PID/stat`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Debug, Parser, Clone)]
#[command(
    name = "latchkey-load",
    about = "Load generator for latchkey's Connected Apps flow"
)]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long, env = "LATCHKEY_BASE_URL")]
    base_url: String,
    #[arg(long, env = "LATCHKEY_PROJECT_ID")]
    project_id: String,
    #[arg(long, env = "LATCHKEY_SECRET")]
    secret: String,
    /// Concurrent workers per phase.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server's process id, to report its CPU time per operation (Linux only).
    #[arg(long)]
    server_pid: Option<u32>,
}

struct Ctx {
    http: reqwest::Client,
    args: Args,
    org_id: String,
    member_id: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .build()?;
    let ctx = Arc::new(setup(http, args.clone()).await?);
    println!(
        "latchkey-load: {} workers, {} s per phase, against {}",
        args.concurrency, args.seconds, args.base_url
    );
    let tokens = one_flow(&ctx).await?;
    report(
        &ctx,
        "flow (start+authorize+token)",
        run(&ctx, |c, _| {
            Box::pin(async move { one_flow(&c).await.map(|_| ()) })
        })
        .await?,
    );
    let mut refresh = Vec::with_capacity(ctx.args.concurrency);
    for _ in 0..ctx.args.concurrency {
        refresh.push(field(&one_flow(&ctx).await?, "refresh_token")?);
    }
    let r = Arc::new(refresh);
    report(
        &ctx,
        "refresh",
        run(&ctx, move |c, worker| {
            let r = r.clone();
            Box::pin(async move { refresh_once(&c, &r[worker]).await })
        })
        .await?,
    );
    let a = Arc::new(field(&tokens, "access_token")?);
    report(
        &ctx,
        "introspect",
        run(&ctx, move |c, _| {
            let a = a.clone();
            Box::pin(async move { introspect_once(&c, &a).await })
        })
        .await?,
    );
    Ok(())
}

fn field(v: &Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {name} in {v}"))
}

/// What one phase measured.
struct Phase {
    latencies: Histogram<u64>,
    errors: u64,
    elapsed: Duration,
    /// Server CPU seconds (user + system) spent during the phase, when `--server-pid` is given.
    server_cpu: Option<f64>,
}

/// The server's CPU time so far in seconds: utime + stime of `/proc/PID/stat` (fields 14 and
/// 15, after the parenthesised command name), in USER_HZ ticks (100 per second on Linux).
fn server_cpu_secs(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

type Job = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// Runs `job` from `concurrency` workers (each told its index) for the phase's duration;
/// returns latencies (µs), errors and the server's CPU time.
async fn run(
    ctx: &Arc<Ctx>,
    job: impl Fn(Arc<Ctx>, usize) -> Job + Send + Sync + Clone + 'static,
) -> anyhow::Result<Phase> {
    let cpu_before = server_cpu_secs(ctx.args.server_pid);
    let deadline = Instant::now() + Duration::from_secs(ctx.args.seconds);
    let started = Instant::now();
    let mut handles = vec![];
    for worker in 0..ctx.args.concurrency {
        let (ctx, job) = (ctx.clone(), job.clone());
        handles.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).map_err(|e| anyhow!("{e}"))?;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match job(ctx.clone(), worker).await {
                    Ok(()) => h
                        .record(t.elapsed().as_micros() as u64)
                        .map_err(|e| anyhow!("{e}"))?,
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("error: {e:#}");
                        }
                        errors += 1;
                    }
                }
            }
            Ok::<_, anyhow::Error>((h, errors))
        }));
    }
    let mut all = Histogram::<u64>::new(3).map_err(|e| anyhow!("{e}"))?;
    let mut errors = 0;
    for h in handles {
        let (hist, e) = h.await??;
        all.add(hist).map_err(|e| anyhow!("{e}"))?;
        errors += e;
    }
    let elapsed = started.elapsed();
    let server_cpu = server_cpu_secs(ctx.args.server_pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Ok(Phase {
        latencies: all,
        errors,
        elapsed,
        server_cpu,
    })
}

fn report(ctx: &Ctx, name: &str, p: Phase) {
    let h = &p.latencies;
    let rate = h.len() as f64 / p.elapsed.as_secs_f64();
    let cpu = match p.server_cpu {
        Some(s) if !h.is_empty() => {
            format!("  server CPU {:.0} µs/op", s * 1e6 / h.len() as f64)
        }
        _ if ctx.args.server_pid.is_some() => "  server CPU unknown".to_string(),
        _ => String::new(),
    };
    println!(
        "{name:<30} {:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {} errors){cpu}",
        rate,
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.len(),
        p.errors
    );
}

async fn api(
    ctx_http: &reqwest::Client,
    args: &Args,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let resp = ctx_http
        .request(
            method,
            format!("{}{path}", args.base_url.trim_end_matches('/')),
        )
        .basic_auth(&args.project_id, Some(&args.secret))
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

async fn setup(http: reqwest::Client, args: Args) -> anyhow::Result<Ctx> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let org = api(
        &http,
        &args,
        reqwest::Method::POST,
        "/v1/b2b/organizations",
        json!({"organization_name": format!("Load {tag}")}),
    )
    .await?;
    let org_id = org["organization"]["organization_id"]
        .as_str()
        .ok_or_else(|| anyhow!("no org id"))?
        .to_string();
    let m = api(
        &http,
        &args,
        reqwest::Method::POST,
        &format!("/v1/b2b/organizations/{org_id}/members"),
        json!({"email_address": format!("load-{tag}@example.com")}),
    )
    .await?;
    let member_id = m["member_id"]
        .as_str()
        .ok_or_else(|| anyhow!("no member id"))?
        .to_string();
    let redirect_uri = "http://127.0.0.1/callback".to_string();
    let c = api(&http, &args, reqwest::Method::POST, "/v1/connected_apps/clients", json!({
        "client_type": "first_party", "client_name": "load generator", "client_description": "latchkey-load",
        "redirect_urls": [redirect_uri], "bypass_consent_for_offline_access": true
    })).await?;
    let client_id = c["connected_app"]["client_id"]
        .as_str()
        .ok_or_else(|| anyhow!("no client id: {c}"))?
        .to_string();
    let client_secret = c["connected_app"]["client_secret"]
        .as_str()
        .ok_or_else(|| anyhow!("no client secret"))?
        .to_string();
    Ok(Ctx {
        http,
        args,
        org_id,
        member_id,
        client_id,
        client_secret,
        redirect_uri,
    })
}

/// One authorization-code flow with PKCE; returns the token response.
async fn one_flow(ctx: &Ctx) -> anyhow::Result<Value> {
    let mut raw = [0u8; 32];
    raw.iter_mut()
        .zip(uuid::Uuid::new_v4().as_bytes().iter().cycle())
        .for_each(|(d, s)| *d = *s);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let verifier = format!(
        "{}{}",
        b64.encode(raw),
        b64.encode(uuid::Uuid::new_v4().as_bytes())
    );
    let challenge = b64.encode(Sha256::digest(verifier.as_bytes()));
    let scopes = json!(["openid", "email", "profile", "offline_access"]);
    let who = json!({"organization_id": ctx.org_id, "member_id": ctx.member_id});
    let mut start = json!({"client_id": ctx.client_id, "redirect_uri": ctx.redirect_uri, "response_type": "code", "scopes": scopes});
    merge(&mut start, &who);
    api(
        &ctx.http,
        &ctx.args,
        reqwest::Method::POST,
        "/v1/b2b/idp/oauth/authorize/start",
        start.clone(),
    )
    .await?;
    let mut submit = start;
    merge(
        &mut submit,
        &json!({"consent_granted": true, "state": "s", "nonce": "n", "code_challenge": challenge}),
    );
    let r = api(
        &ctx.http,
        &ctx.args,
        reqwest::Method::POST,
        "/v1/b2b/idp/oauth/authorize",
        submit,
    )
    .await?;
    let code = r["authorization_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no code: {r}"))?;
    let resp = ctx
        .http
        .post(format!(
            "{}/v1/oauth2/token",
            ctx.args.base_url.trim_end_matches('/')
        ))
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", ctx.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await?;
    ok_json(resp).await
}

async fn refresh_once(ctx: &Ctx, refresh: &str) -> anyhow::Result<()> {
    let resp = ctx
        .http
        .post(format!(
            "{}/v1/oauth2/token",
            ctx.args.base_url.trim_end_matches('/')
        ))
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await?;
    ok_json(resp).await.map(|_| ())
}

async fn introspect_once(ctx: &Ctx, token: &str) -> anyhow::Result<()> {
    let resp = ctx
        .http
        .post(format!(
            "{}/v1/oauth2/introspect",
            ctx.args.base_url.trim_end_matches('/')
        ))
        .form(&[
            ("token", token),
            ("client_id", ctx.client_id.as_str()),
            ("client_secret", ctx.client_secret.as_str()),
        ])
        .send()
        .await?;
    let v = ok_json(resp).await?;
    if v["active"] != json!(true) {
        bail!("token inactive: {v}");
    }
    Ok(())
}

async fn ok_json(resp: reqwest::Response) -> anyhow::Result<Value> {
    let status = resp.status();
    let v: Value = resp.json().await?;
    if !status.is_success() {
        bail!("{status} {v}");
    }
    Ok(v)
}

fn merge(into: &mut Value, from: &Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
}
