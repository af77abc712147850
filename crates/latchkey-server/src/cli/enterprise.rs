//! `latchkey identity-assertion-issuer add|list|remove` and `latchkey client-grants`
//! (issue 14 item 7): the identity assertion issuers an organization trusts for
//! enterprise-managed authorization, and which grants a Connected App client may use. The same
//! rules as `/v1/b2b/organizations/{organization_id}/identity_assertion_issuers` and the
//! Connected Apps update (core `oauth::id_jag::issuer`, `connected_app::update`).

use clap::{ArgAction, Args, Subcommand};
use latchkey_core::clock::{Clock, OsTokens, SystemClock, TokenGenerator};
use latchkey_core::ids::{make_id, Environment};
use latchkey_core::oauth::id_jag::issuer as rules;
use latchkey_store::{Conflict, Store, StoreError};
use latchkey_types::{
    ConnectedAppSettings, IdentityAssertionIssuer, IdentityAssertionIssuerSettings,
};

use super::rbac::resolve_project;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Trust an identity provider to sign ID-JAGs for the organization's members (matched by
    /// their external_id), presented by the listed Connected App clients.
    Add {
        /// Project [default: the only project, if there is exactly one]
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        /// The organization (id or slug is not accepted: its id).
        #[arg(long, value_name = "ORGANIZATION_ID")]
        organization: String,
        /// The exact `iss` of the IdP's assertions.
        #[arg(long)]
        issuer: String,
        /// Where the IdP publishes its signing keys (JWK set).
        #[arg(long, value_name = "URL")]
        jwks_url: String,
        /// A Connected App client allowed to present its assertions. Repeat for more.
        #[arg(long = "allow-client", value_name = "CLIENT_ID")]
        allowed_client_ids: Vec<String>,
        /// Print the issuer as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the issuers an organization trusts.
    List {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        #[arg(long, value_name = "ORGANIZATION_ID")]
        organization: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Stop trusting an issuer (by issuer id or `iss`).
    Remove {
        #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
        project: Option<String>,
        #[arg(long, value_name = "ORGANIZATION_ID")]
        organization: String,
        issuer: String,
    },
}

/// `latchkey client-grants CLIENT_ID [--client-credentials on|off] [--token-exchange on|off]
/// [--jwt-bearer on|off] [--device-code on|off]`: shows, and changes when told, the grants a client may use.
#[derive(Debug, Args)]
pub struct ClientGrantsArgs {
    #[arg(long, env = "LATCHKEY_PROJECT_ID", value_name = "PROJECT_ID")]
    project: Option<String>,
    client_id: String,
    /// RFC 6749 §4.4: the client may get tokens about itself.
    #[arg(long, value_name = "on|off", value_parser = on_off, action = ArgAction::Set)]
    client_credentials: Option<bool>,
    /// RFC 8693: the client may exchange access tokens (down-scoping, delegation).
    #[arg(long, value_name = "on|off", value_parser = on_off, action = ArgAction::Set)]
    token_exchange: Option<bool>,
    /// RFC 7523 with ID-JAGs: enterprise-managed authorization (confidential clients only).
    #[arg(long, value_name = "on|off", value_parser = on_off, action = ArgAction::Set)]
    jwt_bearer: Option<bool>,
    /// RFC 8628: the client may start device authorization requests (browserless devices).
    #[arg(long, value_name = "on|off", value_parser = on_off, action = ArgAction::Set)]
    device_code: Option<bool>,
}

fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err("use on or off".into()),
    }
}

pub async fn run_issuers(config: Config, cmd: IssuerCommand) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = match cmd {
        IssuerCommand::Add {
            project,
            organization,
            issuer,
            jwks_url,
            allowed_client_ids,
            json,
        } => {
            let settings = IdentityAssertionIssuerSettings {
                issuer: Some(issuer),
                jwks_url: Some(jwks_url),
                allowed_client_ids: Some(allowed_client_ids),
                subject_mapping: None,
            };
            add(&store, project, &organization, &settings, json).await
        }
        IssuerCommand::List {
            project,
            organization,
            json,
        } => list(&store, project, &organization, json).await,
        IssuerCommand::Remove {
            project,
            organization,
            issuer,
        } => remove(&store, project, &organization, &issuer).await,
    };
    store.close().await;
    result
}

async fn organization_id(
    store: &dyn Store,
    project: Option<String>,
    organization: &str,
) -> anyhow::Result<(String, String)> {
    let project_id = resolve_project(store, project).await?;
    let org = store
        .get_organization(&project_id, organization)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization {organization} in {project_id}"))?;
    Ok((project_id, org.organization_id))
}

async fn add(
    store: &dyn Store,
    project: Option<String>,
    organization: &str,
    settings: &IdentityAssertionIssuerSettings,
    json: bool,
) -> anyhow::Result<()> {
    let (project_id, org_id) = organization_id(store, project, organization).await?;
    let id = make_id(
        "identity-assertion-issuer",
        Environment::of_project(&project_id),
        OsTokens.uuid(),
    );
    let now = latchkey_core::clock::rfc3339(SystemClock.now());
    let issuer =
        rules::create(id, &org_id, settings, &now).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match store.insert_assertion_issuer(&project_id, &issuer).await {
        Err(StoreError::Conflict(Conflict::Other)) => {
            anyhow::bail!(
                "an organization of {project_id} already trusts {}",
                issuer.issuer
            )
        }
        other => other?,
    }
    if json {
        println!("{}", serde_json::to_string(&issuer)?);
    } else {
        println!("{}", line(&issuer));
    }
    Ok(())
}

async fn list(
    store: &dyn Store,
    project: Option<String>,
    organization: &str,
    json: bool,
) -> anyhow::Result<()> {
    let (_, org_id) = organization_id(store, project, organization).await?;
    let issuers = store.assertion_issuers(&org_id).await?;
    if json {
        println!("{}", serde_json::to_string(&issuers)?);
    } else if issuers.is_empty() {
        println!("no identity assertion issuers");
    } else {
        for i in &issuers {
            println!("{}", line(i));
        }
    }
    Ok(())
}

async fn remove(
    store: &dyn Store,
    project: Option<String>,
    organization: &str,
    key: &str,
) -> anyhow::Result<()> {
    let (_, org_id) = organization_id(store, project, organization).await?;
    let found = store
        .assertion_issuers(&org_id)
        .await?
        .into_iter()
        .find(|i| i.issuer_id == key || i.issuer == key)
        .ok_or_else(|| anyhow::anyhow!("no identity assertion issuer {key:?} in {org_id}"))?;
    store
        .delete_assertion_issuer(&org_id, &found.issuer_id)
        .await?;
    println!("removed {} ({})", found.issuer, found.issuer_id);
    Ok(())
}

fn line(i: &IdentityAssertionIssuer) -> String {
    format!(
        "{}\t{}\tjwks: {}\tclients: {}\tsubject: {}",
        i.issuer_id,
        i.issuer,
        i.jwks_url,
        i.allowed_client_ids.join(" "),
        i.subject_mapping
    )
}

pub async fn run_client_grants(config: Config, args: ClientGrantsArgs) -> anyhow::Result<()> {
    let store = latchkey_store::connect(&config.database_url).await?;
    let result = client_grants(&store, args).await;
    store.close().await;
    result
}

async fn client_grants(store: &dyn Store, args: ClientGrantsArgs) -> anyhow::Result<()> {
    let project_id = resolve_project(store, args.project).await?;
    let mut app = store
        .get_connected_app(&project_id, &args.client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no Connected App {} in {project_id}", args.client_id))?;
    let change = ConnectedAppSettings {
        client_credentials_allowed: args.client_credentials,
        token_exchange_allowed: args.token_exchange,
        jwt_bearer_allowed: args.jwt_bearer,
        device_code_allowed: args.device_code,
        ..Default::default()
    };
    let changing = args.client_credentials.is_some()
        || args.token_exchange.is_some()
        || args.jwt_bearer.is_some()
        || args.device_code.is_some();
    if changing {
        latchkey_core::connected_app::update(&mut app, &change)
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        if !store.update_connected_app(&project_id, &app).await? {
            anyhow::bail!("the Connected App {} was deleted meanwhile", app.client_id);
        }
    }
    let on = |b: bool| if b { "on" } else { "off" };
    println!(
        "{}\tclient_credentials: {}\ttoken_exchange: {}\tjwt_bearer: {}\tdevice_code: {}",
        app.client_id,
        on(app.client_credentials_allowed),
        on(app.token_exchange_allowed),
        on(app.jwt_bearer_allowed),
        on(app.device_code_allowed)
    );
    Ok(())
}
