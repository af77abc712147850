//! `latchkey db copy` and `latchkey db backup` (issue 15 item 4): moving a deployment between
//! engines and backing up an embedded SQLite database. The work is in
//! `latchkey_store::SqlStore::{copy_into, backup_into}`; this module checks the arguments.

use std::path::PathBuf;

use clap::Subcommand;
use latchkey_store::Store;

use crate::config::Config;
use crate::startup::redact;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every row of one database into another, between engines (SQLite to PostgreSQL and
    /// back). Stop the server on the source first; the target must be new and empty (it is
    /// migrated first). Row counts are compared per table at the end.
    Copy {
        /// The database to read, e.g. sqlite://latchkey.db
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty database to fill, e.g. postgres://latchkey@db.internal/latchkey
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Write a consistent copy of the SQLite database (--database-url) to PATH while the server
    /// keeps running (`VACUUM INTO`). PATH must not exist. For PostgreSQL use pg_dump.
    Backup {
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
    },
}

/// The file of a `sqlite://PATH[?...]` URL (`None` for other engines and in-memory databases).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

pub async fn run(config: Config, cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Copy { from, to } => copy(&from, &to).await,
        DbCommand::Backup { to } => backup(&config.database_url, &to).await,
    }
}

async fn copy(from: &str, to: &str) -> anyhow::Result<()> {
    if from == to {
        anyhow::bail!("--from and --to name the same database");
    }
    if let Some(p) = sqlite_file(from) {
        if !p.exists() {
            anyhow::bail!("--from: no SQLite database at {}", p.display());
        }
    }
    let source = latchkey_store::connect(from)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open --from {}: {e}", redact(from)))?;
    let target = latchkey_store::connect(to)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open --to {}: {e}", redact(to)))?;
    let result = source.copy_into(&target).await;
    source.close().await;
    target.close().await;
    let report = result?;
    let rows: i64 = report.tables.iter().map(|(_, n)| n).sum();
    for (table, n) in &report.tables {
        println!("{table:<32} {n:>10}");
    }
    println!(
        "copied {rows} rows in {} tables from {} to {}; row counts match",
        report.tables.len(),
        redact(from),
        redact(to)
    );
    Ok(())
}

async fn backup(database_url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if sqlite_file(database_url).is_none() {
        anyhow::bail!(
            "db backup copies a SQLite database file; {} is not one. For PostgreSQL use \
             pg_dump (docs/operations.md, \"Backups and restore\")",
            redact(database_url)
        );
    }
    if to.exists() {
        anyhow::bail!("{} already exists; choose a new file", to.display());
    }
    let path = to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("--to must be a UTF-8 path"))?;
    let store = latchkey_store::connect(database_url).await?;
    let result = store.backup_into(path).await;
    store.close().await;
    result?;
    println!("backed up {} to {}", redact(database_url), to.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file("sqlite://a/b.db?mode=rwc"),
            Some("a/b.db".into())
        );
        assert_eq!(sqlite_file("sqlite:x.db"), Some("x.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/d"), None);
    }
}
