//! `latchkey project redirect-urls add|remove|list`: the project's registered magic-link redirect
//! URLs, as Stytch's dashboard "Redirect URLs" (issue 9 #16). `magic_links/email/*` accept a
//! `login_redirect_url`, `signup_redirect_url` or `invite_redirect_url` only when it is one of
//! these (exact match, query included), the configured `magic_link_redirect_url`, or, in a test
//! project, a loopback `http://localhost:*` / `127.0.0.1:*` URL.

use clap::Subcommand;
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::magic_link::{self as ml, LinkKind};
use latchkey_store::Store;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RedirectUrlsCommand {
    /// Register a redirect URL (an absolute http or https URL, matched exactly).
    Add {
        /// Project to configure [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        url: String,
    },
    /// Unregister a redirect URL.
    Remove {
        /// Project to configure [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        url: String,
    },
    /// Print the registered redirect URLs, one a line.
    List {
        /// Project to show [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
    },
}

pub async fn run(config: Config, cmd: RedirectUrlsCommand) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = apply(&store, cmd).await;
    store.close().await;
    result
}

async fn apply(store: &dyn Store, cmd: RedirectUrlsCommand) -> anyhow::Result<()> {
    match cmd {
        RedirectUrlsCommand::Add { project, url } => {
            let project_id = super::rbac::resolve_project(store, project).await?;
            // Stored as the URL parser writes it, the form the send path compares.
            let url = ml::redirect_url(LinkKind::Login, Some(&url), None)
                .map_err(|e| anyhow::anyhow!("{url:?}: {}", e.message))?
                .to_string();
            let now = SystemClock.now().unix_timestamp();
            if store.add_redirect_url(&project_id, &url, now).await? {
                println!("registered {url} for {project_id}");
            } else {
                println!("{url} was already registered for {project_id}");
            }
        }
        RedirectUrlsCommand::Remove { project, url } => {
            let project_id = super::rbac::resolve_project(store, project).await?;
            let normal = url::Url::parse(&url).map(|u| u.to_string()).unwrap_or(url);
            if !store.remove_redirect_url(&project_id, &normal).await? {
                anyhow::bail!("{normal} is not registered for {project_id}");
            }
            println!("unregistered {normal} for {project_id}");
        }
        RedirectUrlsCommand::List { project } => {
            let project_id = super::rbac::resolve_project(store, project).await?;
            for u in store.redirect_urls(&project_id).await? {
                println!("{u}");
            }
        }
    }
    Ok(())
}
