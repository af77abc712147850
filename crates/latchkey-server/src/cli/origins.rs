//! `latchkey project origins add|remove|list`: the authorized origins of a project's frontend
//! SDK surface (`/sdk/v1`, Stytch's "authorized applications"). Only pages on these origins may
//! call it; test projects also accept loopback origins without configuration.

use clap::Subcommand;
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::sdk_origin;
use latchkey_store::Store;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum OriginsCommand {
    /// Authorize an origin (scheme://host[:port], e.g. https://app.example.com).
    Add {
        /// Project to configure [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        origin: String,
    },
    /// Remove an authorized origin.
    Remove {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        origin: String,
    },
    /// List the project's authorized origins, one a line (`--json`: a JSON array).
    List {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, cmd: OriginsCommand) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = apply(&store, cmd).await;
    store.close().await;
    result
}

async fn apply(store: &dyn Store, cmd: OriginsCommand) -> anyhow::Result<()> {
    match cmd {
        OriginsCommand::Add { project, origin } => {
            let project = super::pick_project(store, project).await?;
            let o = normalized(&origin)?;
            let now = SystemClock.now().unix_timestamp();
            if store.add_sdk_origin(&project, &o, now).await? {
                println!("authorized {o}");
            } else {
                println!("{o} was already authorized");
            }
        }
        OriginsCommand::Remove { project, origin } => {
            let project = super::pick_project(store, project).await?;
            let o = normalized(&origin)?;
            if !store.remove_sdk_origin(&project, &o).await? {
                anyhow::bail!("{o} is not an authorized origin of {project}");
            }
            println!("removed {o}");
        }
        OriginsCommand::List { project, json } => {
            let project = super::pick_project(store, project).await?;
            let list = store.sdk_origins(&project).await?;
            if json {
                println!("{}", serde_json::json!(list));
            } else {
                for o in list {
                    println!("{o}");
                }
            }
        }
    }
    Ok(())
}

fn normalized(origin: &str) -> anyhow::Result<String> {
    sdk_origin::normalize(origin).map_err(|e| anyhow::anyhow!("{}", e.message))
}
