//! `latchkey rbac set|show`: the project's RBAC policy from a JSON or TOML file (spec §15.7).
//! The file holds `{resources, roles, scopes}` in Stytch's shape (docs/examples/rbac-policy.json);
//! Stytch's default resources and roles are always added. Every problem is reported with the
//! path of the offending entry, and nothing is stored unless the whole file is valid.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::oauth::RbacPolicy;
use latchkey_core::rbac::{effective_policy, parse_policy_document, validate_policy};
use latchkey_store::Store;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// Replace the project's RBAC policy with the one in FILE (.json or .toml). Stytch's default
    /// resources (stytch.*) and roles (stytch_member, stytch_admin) are always present; list
    /// those two roles to add permissions to them.
    Set {
        /// Project to configure [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// Policy file: {"resources": [...], "roles": [...], "scopes": [...]}
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the project's effective RBAC policy (what GET /v1/b2b/rbac/policy returns).
    Show {
        /// Project to show [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// Print the policy as JSON ({"roles", "resources", "scopes"}); it can be edited and set
        /// again.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, cmd: RbacCommand) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = match cmd {
        RbacCommand::Set { project, file } => set(&store, project, &file).await,
        RbacCommand::Show { project, json } => show(&store, project, json).await,
    };
    store.close().await;
    result
}

async fn set(store: &dyn Store, project: Option<String>, file: &Path) -> anyhow::Result<()> {
    let policy = read_policy_file(file)?;
    let project_id = resolve_project(store, project).await?;
    let now = SystemClock.now().unix_timestamp();
    store.set_rbac_policy(&project_id, &policy, now).await?;
    let action = crate::audit::actions::RBAC_POLICY_CHANGED;
    let tokens = latchkey_core::clock::OsTokens;
    let e = crate::audit::system_event(&tokens, now, &project_id, action, crate::audit::operator());
    crate::audit::record_in(store, e).await;
    println!(
        "RBAC policy of {project_id} set from {}: {} resources, {} roles, {} scopes (plus Stytch's defaults).",
        file.display(),
        policy.resources.len(),
        policy.roles.len(),
        policy.scopes.len()
    );
    Ok(())
}

async fn show(store: &dyn Store, project: Option<String>, json: bool) -> anyhow::Result<()> {
    let project_id = resolve_project(store, project).await?;
    let policy = effective_policy(store.get_rbac_policy(&project_id).await?.as_ref());
    if json {
        println!("{}", serde_json::to_string_pretty(&policy)?);
    } else {
        print!("{}", describe(&policy));
    }
    Ok(())
}

/// Reads, parses and validates a policy file; the error lists every problem with its path.
pub fn read_policy_file(file: &Path) -> anyhow::Result<RbacPolicy> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let doc: serde_json::Value = match ext.to_ascii_lowercase().as_str() {
        "json" => serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not valid JSON: {e}", file.display()))?,
        "toml" => toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not valid TOML: {e}", file.display()))?,
        _ => anyhow::bail!(
            "{}: unknown policy file type; name it *.json or *.toml",
            file.display()
        ),
    };
    parse_policy_document(&doc)
        .and_then(|p| validate_policy(&p))
        .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::anyhow!(
                "{} has {} problem(s); nothing was changed:\n{}",
                file.display(),
                errors.len(),
                lines.join("\n")
            )
        })
}

/// `--project`, or the only project; otherwise an error listing the projects.
pub(super) async fn resolve_project(
    store: &dyn Store,
    project: Option<String>,
) -> anyhow::Result<String> {
    let projects = store.list_projects().await?;
    let listing = || {
        let ids: Vec<String> = projects
            .iter()
            .map(|p| format!("  {}\t{}", p.project_id, p.name))
            .collect();
        ids.join("\n")
    };
    match project {
        Some(id) if projects.iter().any(|p| p.project_id == id) => Ok(id),
        Some(id) => anyhow::bail!("no project {id:?}; the projects are:\n{}", listing()),
        None => match projects.as_slice() {
            [only] => Ok(only.project_id.clone()),
            [] => anyhow::bail!(
                "there are no projects yet; create one with `latchkey project create --name NAME`"
            ),
            _ => anyhow::bail!(
                "there are {} projects; choose one with --project:\n{}",
                projects.len(),
                listing()
            ),
        },
    }
}

/// A plain-text listing of a policy.
fn describe(policy: &RbacPolicy) -> String {
    let perms = |ps: &[latchkey_core::oauth::Permission]| {
        ps.iter()
            .map(|p| format!("{}: {}", p.resource_id, p.actions.join(" ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut out = String::from("resources:\n");
    for r in &policy.resources {
        out.push_str(&format!("  {}  [{}]\n", r.resource_id, r.actions.join(" ")));
    }
    out.push_str("roles:\n");
    for r in &policy.roles {
        out.push_str(&format!("  {}  {}\n", r.role_id, perms(&r.permissions)));
    }
    out.push_str("scopes:\n");
    for s in &policy.scopes {
        out.push_str(&format!("  {}  {}\n", s.scope, perms(&s.permissions)));
    }
    out
}
