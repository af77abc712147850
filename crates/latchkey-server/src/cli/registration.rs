//! `latchkey registration`: show or change a project's settings for clients that register
//! themselves (branch mcp, issue 10), the same document as
//! `GET`/`PUT /v1/connected_apps/registration_settings`.

use clap::Args;
use latchkey_store::Store;

use crate::config::Config;
use crate::oauth::registration_settings::{self, StoredSettings};

#[derive(Debug, Args)]
pub struct RegistrationArgs {
    /// The project (default: the only one in the database).
    #[arg(long)]
    project: Option<String>,
    /// Allow RFC 7591 dynamic client registration (default: on in test projects only).
    #[arg(long, conflicts_with = "disable_dcr")]
    enable_dcr: bool,
    /// Refuse dynamic client registration (`dynamic_client_registration_not_enabled`).
    #[arg(long)]
    disable_dcr: bool,
    /// Scopes of an authorization request that names none, space-separated (default: openid).
    #[arg(long)]
    default_scopes: Option<String>,
    /// Most dynamically registered clients the project may hold (default: 1000).
    #[arg(long)]
    max_clients: Option<i64>,
    /// Remove registered clients not used for this many days (default: 30).
    #[arg(long)]
    unused_days: Option<i64>,
    /// Registrations allowed per client address per hour (default: 20).
    #[arg(long)]
    per_address_per_hour: Option<i64>,
    /// Accept clients identified by a metadata document URL (the default).
    #[arg(long, conflicts_with = "disable_cimd")]
    enable_cimd: bool,
    /// Refuse clients identified by a metadata document URL.
    #[arg(long)]
    disable_cimd: bool,
    /// Accept metadata documents only from these hosts and their subdomains (repeatable;
    /// replaces the list). `--cimd-allow-host ''` clears it.
    #[arg(long = "cimd-allow-host", value_name = "HOST")]
    cimd_allow_hosts: Vec<String>,
    /// Never accept metadata documents from these hosts and their subdomains (repeatable;
    /// replaces the list). `--cimd-deny-host ''` clears it.
    #[arg(long = "cimd-deny-host", value_name = "HOST")]
    cimd_deny_hosts: Vec<String>,
}

/// A repeated host flag: absent leaves the list, `''` alone clears it.
fn host_list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().filter(|h| !h.is_empty()).cloned().collect())
}

pub async fn run(config: Config, args: RegistrationArgs) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let project = super::pick_project(&store, args.project.clone()).await?;
    let change = StoredSettings {
        idp_dynamic_client_registration_enabled: if args.enable_dcr {
            Some(true)
        } else if args.disable_dcr {
            Some(false)
        } else {
            None
        },
        default_scopes: args
            .default_scopes
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_string).collect()),
        dynamic_client_registration_max_clients: args.max_clients,
        dynamic_client_registration_unused_days: args.unused_days,
        dynamic_client_registration_per_address_per_hour: args.per_address_per_hour,
        client_id_metadata_document_enabled: if args.enable_cimd {
            Some(true)
        } else if args.disable_cimd {
            Some(false)
        } else {
            None
        },
        client_id_metadata_document_allowed_hosts: host_list(&args.cimd_allow_hosts),
        client_id_metadata_document_denied_hosts: host_list(&args.cimd_deny_hosts),
    };
    let settings = registration_settings::update(&store, &project, &change)
        .await
        .map_err(|f| anyhow::anyhow!("{}", f.0.message))?;
    println!("{}", serde_json::to_string_pretty(&settings)?);
    store.close().await;
    Ok(())
}
