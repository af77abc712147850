//! `latchkey resource create|list|delete`: the project's resource servers (RFC 8707), the same
//! rules as `/v1/connected_apps/resources` (core `oauth::resource`).

use clap::Subcommand;
use latchkey_core::clock::{Clock, OsTokens, SystemClock, TokenGenerator};
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::oauth::resource;
use latchkey_core::search::Search;
use latchkey_store::{Conflict, Store, StoreError};
use latchkey_types::{ResourceScope, ResourceServer, ResourceServerSettings};

use super::rbac::resolve_project;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Register a resource server (an API or MCP server) that access tokens can be bound to
    /// with the RFC 8707 `resource` parameter; tokens for it carry its URL in `aud`.
    Create {
        /// Project [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// The resource's URL (https, or http on a loopback host); stored in canonical form.
        #[arg(long)]
        url: String,
        /// A name people see on the consent page.
        #[arg(long)]
        name: String,
        /// A scope it accepts, optionally with the consent-page text: `read` or
        /// `read=Read your documents`. Repeat for more.
        #[arg(long = "scope", value_name = "SCOPE[=DESCRIPTION]")]
        scopes: Vec<String>,
        /// Lifetime of access tokens minted for it, in minutes [default: the client's].
        #[arg(long, value_name = "MINUTES")]
        access_token_expiry_minutes: Option<i64>,
        /// Also put the project id in `aud` (resource servers validating with Stytch's SDKs).
        #[arg(long)]
        audience_includes_project_id: bool,
        /// Print the resource as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the project's resource servers.
    List {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Delete a resource server by URL (or resource id). Tokens already minted for it stay
    /// valid until they expire; no new ones are minted.
    Delete {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// The resource's URL (any spelling of it) or its resource id.
        url: String,
    },
}

pub async fn run(config: Config, cmd: ResourceCommand) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = match cmd {
        ResourceCommand::Create {
            project,
            url,
            name,
            scopes,
            access_token_expiry_minutes,
            audience_includes_project_id,
            json,
        } => {
            let settings = ResourceServerSettings {
                url: Some(url),
                name: Some(name),
                scopes: Some(scopes.iter().map(|s| parse_scope(s)).collect()),
                access_token_expiry_minutes,
                audience_includes_project_id: Some(audience_includes_project_id),
            };
            create(&store, project, &settings, json).await
        }
        ResourceCommand::List { project, json } => list(&store, project, json).await,
        ResourceCommand::Delete { project, url } => delete(&store, project, &url).await,
    };
    store.close().await;
    result
}

/// `read=Read your documents` → scope and description (split at the first `=`).
fn parse_scope(s: &str) -> ResourceScope {
    let (scope, description) = s.split_once('=').unwrap_or((s, ""));
    ResourceScope {
        scope: scope.trim().to_string(),
        description: description.trim().to_string(),
    }
}

async fn create(
    store: &dyn Store,
    project: Option<String>,
    settings: &ResourceServerSettings,
    json: bool,
) -> anyhow::Result<()> {
    let project_id = resolve_project(store, project).await?;
    let env = Environment::of_project(&project_id);
    let id = make_id("resource", env, OsTokens.uuid());
    let now = latchkey_core::clock::rfc3339(SystemClock.now());
    let r = resource::create(id, settings, &now).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match store.insert_resource_server(&project_id, &r).await {
        Err(StoreError::Conflict(Conflict::Other)) => {
            anyhow::bail!("a resource server with url {} already exists", r.url)
        }
        other => other?,
    }
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{}", line(&r));
    }
    Ok(())
}

async fn all(store: &dyn Store, project_id: &str) -> anyhow::Result<Vec<ResourceServer>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let q = Search {
            operator: latchkey_core::search::Operator::And,
            filters: vec![],
            limit: 1000,
            after_seq: after,
        };
        let page = store.search_resource_servers(project_id, None, &q).await?;
        out.extend(page.items);
        match page.next_after {
            Some(n) => after = n,
            None => return Ok(out),
        }
    }
}

async fn list(store: &dyn Store, project: Option<String>, json: bool) -> anyhow::Result<()> {
    let project_id = resolve_project(store, project).await?;
    let resources = all(store, &project_id).await?;
    if json {
        println!("{}", serde_json::to_string(&resources)?);
    } else if resources.is_empty() {
        println!("no resource servers");
    } else {
        for r in &resources {
            println!("{}", line(r));
        }
    }
    Ok(())
}

async fn delete(store: &dyn Store, project: Option<String>, key: &str) -> anyhow::Result<()> {
    let project_id = resolve_project(store, project).await?;
    let url = resource::canonical_url(key).ok();
    let found = all(store, &project_id)
        .await?
        .into_iter()
        .find(|r| r.resource_id == key || Some(&r.url) == url.as_ref())
        .ok_or_else(|| anyhow::anyhow!("no resource server {key:?} in {project_id}"))?;
    store
        .delete_resource_server(&project_id, &found.resource_id)
        .await?;
    println!("deleted {} ({})", found.url, found.resource_id);
    Ok(())
}

fn line(r: &ResourceServer) -> String {
    let scopes: Vec<&str> = r.scopes.iter().map(|s| s.scope.as_str()).collect();
    format!(
        "{}\t{}\t{}\tscopes: {}",
        r.resource_id,
        r.url,
        r.name,
        scopes.join(" ")
    )
}
