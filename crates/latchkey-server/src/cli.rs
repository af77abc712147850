//! The `latchkey` command line (clap). Every option can also come from the environment
//! (`LATCHKEY_*`) or a TOML config file (`--config`); flags win over the environment, which
//! wins over the file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use latchkey_core::clock::{Clock, OsTokens, SystemClock, TokenGenerator};
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::secret::Secret;
use latchkey_store::{NewProject, ProjectRecord, Store};

use crate::config::{Config, FileConfig, LogFormat};

mod db;
mod demo;
mod enterprise;
mod origins;
mod rbac;
mod redirect_urls;
mod registration;
mod resource;

pub use rbac::{read_policy_file, RbacCommand};
pub use resource::ResourceCommand;

/// latchkey: a self-hosted identity provider that speaks Stytch's B2B API and OAuth 2.1 /
/// OpenID Connect.
///
/// Quick start: `latchkey serve` listens on 127.0.0.1:8080 with an embedded SQLite database
/// (latchkey.db in the working directory); `latchkey project create --name demo` prints the
/// project_id and secret to use as HTTP Basic credentials with the Stytch SDKs.
#[derive(Debug, Parser)]
#[command(name = "latchkey", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML config file with any of: listen, database_url, log_format, max_body_bytes.
    #[arg(long, global = true, env = "LATCHKEY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: sqlite://PATH (created if missing) or postgres://USER@HOST/DB
    /// [default: sqlite://latchkey.db]
    #[arg(long, global = true, env = "LATCHKEY_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Log line format [default: text]
    #[arg(long, global = true, env = "LATCHKEY_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrations run first). Stops gracefully on SIGINT/SIGTERM.
    Serve {
        /// Address to listen on, HOST:PORT [default: 127.0.0.1:8080]
        #[arg(long, env = "LATCHKEY_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Run database migrations and exit.
    Migrate,
    /// Create and list projects (each project has its own organizations, members and keys).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Set and show the project's RBAC policy (resources, roles, OAuth scopes).
    #[command(subcommand)]
    Rbac(RbacCommand),
    /// Show or change the project's settings for self-registering clients (dynamic client
    /// registration on/off, default scopes, abuse limits).
    Registration(registration::RegistrationArgs),
    /// Inspect and rotate a project's JWT signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Register, list and delete resource servers (RFC 8707 audience-bound tokens).
    #[command(subcommand)]
    Resource(ResourceCommand),
    /// List mail and SMS kept in the local outbox (used when no SMTP server / SMS webhook is
    /// configured), newest first: recipient, subject and link (an SMS: its text) and time.
    Outbox {
        /// Only this project's mail.
        #[arg(long)]
        project: Option<String>,
        /// At most this many messages.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print a JSON array of {id, project_id, channel, to_address, subject, link, text_body,
        /// created_at} (`text_body` only for SMS).
        #[arg(long)]
        json: bool,
    },
    /// Seed a demo (a new project, organization, member with a printed password and Connected
    /// App) and print an authorization URL to sign in and consent with in a browser.
    Demo(demo::DemoArgs),
    /// Move a deployment between databases (`db copy`) and back up SQLite (`db backup`).
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Trust, list and remove an organization's identity assertion issuers (enterprise-managed
    /// authorization with ID-JAGs).
    #[command(subcommand)]
    IdentityAssertionIssuer(enterprise::IssuerCommand),
    /// Show or change which grants a Connected App client may use (client credentials, token
    /// exchange, jwt-bearer); all off by default.
    ClientGrants(enterprise::ClientGrantsArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rotate now: the published next key starts signing, the active key retires (it stays in
    /// the JWKS until every token it signed has expired) and a new next key is published.
    Rotate {
        /// The project (optional when the database holds exactly one).
        #[arg(long)]
        project: Option<String>,
    },
    /// List the project's keys: kid, state and dates (never private keys).
    List {
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project and print its credentials. The secret is shown only this once.
    Create {
        /// A name for people to recognise the project by.
        #[arg(long)]
        name: String,
        /// Make a live project (ids `project-live-...`) instead of a test one.
        #[arg(long)]
        live: bool,
        /// Print exactly one JSON object: {"project_id", "secret", "public_token"}.
        #[arg(long)]
        json: bool,
    },
    /// List projects (never their secrets).
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// The project's registered magic-link redirect URLs (add, remove, list).
    #[command(subcommand)]
    RedirectUrls(redirect_urls::RedirectUrlsCommand),
    /// The origins whose pages may call the frontend SDK surface (/sdk/v1).
    #[command(subcommand)]
    Origins(origins::OriginsCommand),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = match &cli.global.config {
        Some(p) => FileConfig::read(p)?,
        None => FileConfig::default(),
    };
    let listen = match &cli.command {
        Command::Serve { listen } => listen.as_deref(),
        _ => None,
    };
    let env = crate::config::EnvSettings::from_env();
    let config = Config::resolve(
        &file,
        &env,
        listen,
        cli.global.database_url.as_deref(),
        cli.global.log_format,
    )?;
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            init_logging(config.log_format);
            latchkey_store::connect(&config.database_url).await?;
            eprintln!(
                "migrations are up to date on {}",
                crate::startup::redact(&config.database_url)
            );
            Ok(())
        }
        Command::Project(cmd) => project(config, cmd).await,
        Command::Keys(cmd) => keys(config, cmd).await,
        Command::Rbac(cmd) => rbac::run(config, cmd).await,
        Command::Resource(cmd) => resource::run(config, cmd).await,
        Command::Registration(args) => registration::run(config, args).await,
        Command::Outbox {
            project,
            limit,
            json,
        } => outbox(config, project, limit, json).await,
        Command::Db(cmd) => db::run(config, cmd).await,
        Command::IdentityAssertionIssuer(cmd) => enterprise::run_issuers(config, cmd).await,
        Command::ClientGrants(args) => enterprise::run_client_grants(config, args).await,
        Command::Demo(args) => demo::run(config, args).await,
    }
}

fn key_service(store: &Arc<dyn Store>, config: &Config) -> crate::keys::KeyService {
    crate::keys::KeyService::new(
        store.clone(),
        config.master_key.clone(),
        config.key_rotation_days * 86_400,
        config.key_retention_days * 86_400,
    )
}

/// The project named by `--project`, or the only one in the database.
async fn pick_project(store: &dyn Store, given: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let projects = store.list_projects().await?;
    match projects.as_slice() {
        [only] => Ok(only.project_id.clone()),
        [] => anyhow::bail!(
            "the database holds no project; create one with `latchkey project create`"
        ),
        many => anyhow::bail!(
            "the database holds {} projects; choose one with --project ({})",
            many.len(),
            many.iter()
                .map(|p| p.project_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

async fn keys(config: Config, cmd: KeysCommand) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(latchkey_store::connect(&config.database_url).await?);
    let service = key_service(&store, &config);
    let now = SystemClock.now().unix_timestamp();
    match cmd {
        KeysCommand::Rotate { project } => {
            let project = pick_project(store.as_ref(), project).await?;
            let r = service.rotate_now(&project, now, &OsTokens).await?;
            let action = crate::audit::actions::KEYS_ROTATED;
            let e = crate::audit::system_event(
                &OsTokens,
                now,
                &project,
                action,
                crate::audit::operator(),
            );
            let e = crate::audit::EventExt::detail(e, "active_kid", r.active.clone());
            crate::audit::record_in(store.as_ref(), e).await;
            println!("active:  {}", r.active);
            println!("next:    {}", r.next);
            if let Some(old) = r.retired {
                println!("retired: {old} (published until its tokens have expired)");
            }
        }
        KeysCommand::List { project, json } => {
            let project = pick_project(store.as_ref(), project).await?;
            service.key_set(&project, now, &OsTokens).await?;
            let keys = store.signing_keys(&project).await?;
            let rows: Vec<_> = keys
                .iter()
                .map(|k| serde_json::json!({"kid": k.record.kid, "state": k.record.state, "created_at": k.record.created_at,
                    "activated_at": k.record.activated_at, "retired_at": k.record.retired_at}))
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for k in &keys {
                    println!(
                        "{}\t{:?}\tcreated {}",
                        k.record.kid, k.record.state, k.record.created_at
                    );
                }
            }
        }
    }
    store.close().await;
    Ok(())
}

async fn outbox(
    config: Config,
    project: Option<String>,
    limit: i64,
    json: bool,
) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&limit) {
        anyhow::bail!("--limit must be between 1 and 10000");
    }
    let store = latchkey_store::connect(&config.database_url).await?;
    let messages = store.list_outbox(project.as_deref(), limit).await?;
    let when = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(latchkey_core::clock::rfc3339)
            .unwrap_or_default()
    };
    if json {
        let rows: Vec<_> = messages
            .iter()
            .map(|m| {
                let mut row = serde_json::json!({"id": m.id, "project_id": m.project_id, "channel": m.channel,
                    "to_address": m.to_address, "subject": m.subject, "link": m.link, "created_at": when(m.created_at)});
                // An SMS has no link: its text carries the code.
                if m.channel == "sms" {
                    row["text_body"] = m.text_body.clone().into();
                }
                row
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else if messages.is_empty() {
        println!("the outbox is empty");
    } else {
        for m in &messages {
            let (what, detail) = if m.channel == "sms" {
                ("SMS", &m.text_body)
            } else {
                (m.subject.as_str(), &m.link)
            };
            println!(
                "{}  {}  {}\n    {}",
                when(m.created_at),
                m.to_address,
                what,
                detail
            );
        }
    }
    store.close().await;
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_format);
    let listen = config.listen;
    for warning in crate::startup::insecure_defaults(&config) {
        tracing::warn!("INSECURE DEFAULT: {warning}");
    }
    let state = crate::startup::build_state(config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    tracing::info!(
        addr = %listener.local_addr()?,
        database = state.store.engine(),
        "latchkey listening"
    );
    let maintenance = tokio::spawn(crate::startup::maintenance_loop(state.clone()));
    let metrics = match state.config.metrics_listen {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (metrics_listen): {e}"))?;
            tracing::info!(addr = %l.local_addr()?, "metrics listening");
            let s = state.clone();
            Some(tokio::spawn(async move {
                crate::startup::serve_metrics(l, s, crate::startup::shutdown_signal()).await
            }))
        }
        None => None,
    };
    crate::startup::serve(listener, state.clone(), crate::startup::shutdown_signal()).await?;
    if let Some(m) = metrics {
        m.abort();
    }
    maintenance.abort();
    state.store.close().await;
    tracing::info!("latchkey stopped");
    Ok(())
}

async fn project(config: Config, cmd: ProjectCommand) -> anyhow::Result<()> {
    if let ProjectCommand::RedirectUrls(cmd) = cmd {
        return redirect_urls::run(config, cmd).await;
    }
    if let ProjectCommand::Origins(o) = cmd {
        return origins::run(config, o).await;
    }
    let store = latchkey_store::connect(&config.database_url).await?;
    match cmd {
        ProjectCommand::Create { name, live, json } => {
            let env = if live {
                Environment::Live
            } else {
                Environment::Test
            };
            let (record, secret) = new_project(&store, &name, env, &SystemClock, &OsTokens).await?;
            // Keys are made with the project, so its JWKS is ready before the first login.
            let shared: Arc<dyn Store> = Arc::new(store.clone());
            key_service(&shared, &config)
                .create_initial(
                    &record.project_id,
                    SystemClock.now().unix_timestamp(),
                    &OsTokens,
                )
                .await?;
            if json {
                let out = serde_json::json!({
                    "project_id": record.project_id,
                    "secret": secret.expose_secret(),
                    "public_token": record.public_token,
                });
                println!("{out}");
            } else {
                println!("project_id:   {}", record.project_id);
                println!("secret:       {}", secret.expose_secret());
                println!("public_token: {}", record.public_token);
                println!("\nThe secret is shown only now; latchkey stores its hash.");
            }
        }
        // Handled above, before the store is opened here.
        ProjectCommand::RedirectUrls(_) => {}
        ProjectCommand::List { json } => {
            let projects = store.list_projects().await?;
            if json {
                let list: Vec<_> = projects
                    .iter()
                    .map(|p| serde_json::json!({"project_id": p.project_id, "name": p.name, "public_token": p.public_token, "created_at": p.created_at}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for p in projects {
                    println!("{}\t{}", p.project_id, p.name);
                }
            }
        }
        ProjectCommand::Origins(_) => {}
    }
    store.close().await;
    Ok(())
}

/// Creates a project with one secret; returns the record and the secret in the clear (the only
/// time it exists outside the caller's hands). Used by the CLI and by tests.
pub async fn new_project(
    store: &dyn Store,
    name: &str,
    env: Environment,
    clock: &dyn Clock,
    tokens: &dyn TokenGenerator,
) -> anyhow::Result<(ProjectRecord, Secret)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        anyhow::bail!("--name must be 1 to 128 characters");
    }
    let record = ProjectRecord {
        project_id: make_id("project", env, tokens.uuid()),
        name: name.to_string(),
        public_token: make_id("public-token", env, tokens.uuid()),
        created_at: clock.now().unix_timestamp(),
    };
    let secret = Secret::generate(&format!("secret-{}-", env.as_str()), tokens);
    store
        .create_project(&NewProject {
            project: record.clone(),
            secret_id: make_id("secret", env, tokens.uuid()),
            secret_hash: secret.hash(),
            secret_last_four: secret.last_four(),
        })
        .await?;
    Ok((record, secret))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LATCHKEY_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
