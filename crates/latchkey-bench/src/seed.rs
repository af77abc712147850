//! `latchkey-seed`: fills a latchkey database to production scale for the scale benchmark
//! (docs/benchmarks.md): organizations of 1,000 members each up to `--members`, `--clients`
//! Connected Apps, and `--tokens` rows of token history (grants, codes, refresh and access
//! tokens in equal parts; half of them expired, as a server that purges daily holds).
//!
//! Templates are made through the running server's API (so every stored document is one the
//! server wrote), then cloned in the database with fresh ids by `INSERT … SELECT` over a
//! generated series, in batches of one transaction each.

use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};

#[derive(Debug, Parser)]
#[command(name = "latchkey-seed", about = "Fill a latchkey database to scale")]
struct Args {
    /// The running server (templates are created through its API).
    #[arg(long)]
    base_url: String,
    #[arg(long)]
    project_id: String,
    #[arg(long)]
    secret: String,
    /// The server's database (sqlite://… or postgres://…).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    members: u64,
    #[arg(long, default_value_t = 100_000)]
    clients: u64,
    #[arg(long, default_value_t = 10_000_000)]
    tokens: u64,
}

const MEMBERS_PER_ORG: u64 = 1_000;
const BATCH: u64 = 200_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::new();
    let t = Template::create(&http, &args).await?;
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&args.database_url)
        .await
        .context("connect to the database")?;
    let pg = args.database_url.starts_with("postgres");
    if !pg {
        pool.execute("PRAGMA busy_timeout = 30000").await?;
    }
    let started = Instant::now();
    let orgs = args.members.div_ceil(MEMBERS_PER_ORG);
    clone(&pool, pg, "organizations", orgs, &t.org_sql()).await?;
    clone(&pool, pg, "members", args.members, &t.member_sql()).await?;
    clone(&pool, pg, "connected_apps", args.clients, &t.client_sql()).await?;
    let each = args.tokens / 4;
    for (table, sql) in t.token_sql() {
        clone(&pool, pg, table, each, &sql).await?;
    }
    if pg {
        pool.execute("ANALYZE").await?;
    } else {
        pool.execute("ANALYZE").await?;
        pool.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    println!("seeded in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs `sql` (an `INSERT … SELECT … FROM series` where `series(n)` counts `from..=to`) for
/// `total` rows, one transaction per batch.
async fn clone(pool: &AnyPool, pg: bool, table: &str, total: u64, sql: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut from = 1;
    while from <= total {
        let to = (from + BATCH - 1).min(total);
        let series = if pg {
            format!("WITH series(n) AS (SELECT generate_series({from}::bigint, {to}::bigint)) ")
        } else {
            format!("WITH RECURSIVE series(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM series WHERE n < {to}) ")
        };
        let mut tx = pool.begin().await?;
        let done = sqlx::query(&format!("{series}{sql}"))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("seeding {table}"))?;
        tx.commit().await?;
        if done.rows_affected() == 0 {
            bail!("seeding {table} inserted nothing: is the template missing?");
        }
        from = to + 1;
    }
    let count: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    println!(
        "{table}: +{total} rows in {:.1} s ({count} in all)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The rows cloned: one organization, member and client made through the API, and the token
/// history of one code flow.
struct Template {
    org_id: String,
    org_slug: String,
    member_id: String,
    email: String,
    client_id: String,
    grant_id: String,
}

impl Template {
    async fn create(http: &reqwest::Client, a: &Args) -> anyhow::Result<Template> {
        let base = a.base_url.trim_end_matches('/');
        let api = |path: &str, body: Value| {
            let req = http
                .post(format!("{base}{path}"))
                .basic_auth(&a.project_id, Some(&a.secret))
                .json(&body);
            async move {
                let resp = req.send().await?;
                let status = resp.status();
                let v: Value = resp.json().await?;
                if !status.is_success() {
                    bail!("{status} {v}");
                }
                Ok::<Value, anyhow::Error>(v)
            }
        };
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let org_slug = format!("seedtemplate{}", &tag[..8]);
        let org = api(
            "/v1/b2b/organizations",
            json!({"organization_name": "Seed", "organization_slug": org_slug}),
        )
        .await?;
        let org_id = str_at(&org, "/organization/organization_id")?;
        let email = format!("seedtemplate-{tag}@example.com");
        let m = api(
            &format!("/v1/b2b/organizations/{org_id}/members"),
            json!({"email_address": email}),
        )
        .await?;
        let member_id = str_at(&m, "/member_id")?;
        let c = api("/v1/connected_apps/clients", json!({
            "client_type": "first_party", "client_name": "seed", "client_description": "seed",
            "redirect_urls": ["http://127.0.0.1/callback"], "bypass_consent_for_offline_access": true
        })).await?;
        let client_id = str_at(&c, "/connected_app/client_id")?;
        let start = json!({
            "client_id": client_id, "redirect_uri": "http://127.0.0.1/callback", "response_type": "code",
            "scopes": ["openid", "offline_access"], "organization_id": org_id, "member_id": member_id,
            "consent_granted": true, "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        });
        let r = api("/v1/b2b/idp/oauth/authorize", start).await?;
        let code = str_at(&r, "/authorization_code")?;
        let secret = str_at(&c, "/connected_app/client_secret")?;
        let resp = http
            .post(format!("{base}/v1/oauth2/token"))
            .basic_auth(&client_id, Some(&secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1/callback"),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ])
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("template token: {}", resp.text().await?);
        }
        let grant_id = grant_of(&a.database_url, &client_id).await?;
        Ok(Template {
            org_id,
            org_slug,
            member_id,
            email,
            client_id,
            grant_id,
        })
    }

    fn org_sql(&self) -> String {
        let (id, slug) = (&self.org_id, &self.org_slug);
        format!(
            "INSERT INTO organizations (organization_id, project_id, slug, external_id, name, data) \
             SELECT '{id}-s' || n, project_id, '{slug}-s' || n, NULL, name, \
                    replace(replace(data, '{id}', '{id}-s' || n), '\"{slug}\"', '\"{slug}-s' || n || '\"') \
             FROM organizations, series WHERE organization_id = '{id}'"
        )
    }

    fn member_sql(&self) -> String {
        let (org, id, email) = (&self.org_id, &self.member_id, &self.email);
        let org_of = format!("'{org}-s' || ((n - 1) / {MEMBERS_PER_ORG} + 1)");
        format!(
            "INSERT INTO members (member_id, organization_id, project_id, email_address, external_id, status, name, is_breakglass, phone_number, data) \
             SELECT '{id}-s' || n, {org_of}, project_id, 's' || n || '-{email}', NULL, status, name, is_breakglass, phone_number, \
                    replace(replace(replace(data, '{id}', '{id}-s' || n), '{email}', 's' || n || '-{email}'), '{org}', {org_of}) \
             FROM members, series WHERE member_id = '{id}'"
        )
    }

    fn client_sql(&self) -> String {
        let id = &self.client_id;
        format!(
            "INSERT INTO connected_apps (client_id, project_id, client_type, client_secret_hash, client_secret_last_four, \
                 next_client_secret_hash, next_client_secret_last_four, data) \
             SELECT '{id}-s' || n, project_id, client_type, client_secret_hash || n, client_secret_last_four, NULL, NULL, \
                    replace(data, '{id}', '{id}-s' || n) \
             FROM connected_apps, series WHERE client_id = '{id}'"
        )
    }

    /// Grants, codes, refresh and access tokens of the template flow, cloned with fresh ids:
    /// odd `n` expired a day ago, even `n` live for a day.
    fn token_sql(&self) -> Vec<(&'static str, String)> {
        let g = &self.grant_id;
        let grant = format!("'{g}-s' || n");
        let exp = "CASE WHEN n % 2 = 1 THEN expires_at - 86400 ELSE expires_at + 86400 END";
        vec![
            ("oauth_grants", format!(
                "INSERT INTO oauth_grants (grant_id, project_id, client_id, member_id, created_at, revoked_at) \
                 SELECT {grant}, project_id, client_id, member_id, created_at, revoked_at FROM oauth_grants, series WHERE grant_id = '{g}'")),
            ("authorization_codes", format!(
                "INSERT INTO authorization_codes (code_hash, project_id, grant_id, client_id, member_id, expires_at, consumed_at, revoked_at, data) \
                 SELECT code_hash || '-s' || n, project_id, {grant}, client_id, member_id, {exp}, consumed_at, revoked_at, replace(data, '{g}', {grant}) \
                 FROM authorization_codes, series WHERE grant_id = '{g}'")),
            ("refresh_tokens", format!(
                "INSERT INTO refresh_tokens (token_hash, project_id, grant_id, client_id, member_id, expires_at, rotated_at, revoked_at, data) \
                 SELECT token_hash || '-s' || n, project_id, {grant}, client_id, member_id, {exp}, rotated_at, revoked_at, replace(data, '{g}', {grant}) \
                 FROM refresh_tokens, series WHERE grant_id = '{g}'")),
            ("access_tokens", format!(
                "INSERT INTO access_tokens (jti, project_id, grant_id, client_id, member_id, member_session_id, expires_at, revoked_at, exchanged_at) \
                 SELECT jti || '-s' || n, project_id, {grant}, client_id, member_id, member_session_id, {exp}, revoked_at, exchanged_at \
                 FROM access_tokens, series WHERE grant_id = '{g}'")),
        ]
    }
}

/// The grant of the template client's one flow.
async fn grant_of(url: &str, client_id: &str) -> anyhow::Result<String> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let row = sqlx::query("SELECT grant_id FROM oauth_grants WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(&pool)
        .await?;
    Ok(row.try_get("grant_id")?)
}

fn str_at(v: &Value, pointer: &str) -> anyhow::Result<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {pointer} in {v}"))
}
