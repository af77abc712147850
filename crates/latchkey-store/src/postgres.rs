//! The PostgreSQL backend, for deployments that run several latchkey replicas on one database:
//! its own migrations (`migrations/postgres`), a connection pool, and a helper that creates a
//! database (used by tests to get a fresh one per run).

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Connection, Executor};

use crate::sql::{Dialect, SqlStore};
use crate::Result;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects to PostgreSQL at `url` and migrates it. Migrations take an advisory lock, so
/// replicas starting together do not race.
pub async fn connect(url: &str) -> Result<SqlStore> {
    sqlx::any::install_default_drivers();
    let pool = crate::pool::checked_when_idle(AnyPoolOptions::new())
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool.clone(), pool, Dialect::Postgres))
}

/// Creates database `name` on the server at `admin_url` and returns a URL for it.
/// `name` must be a plain identifier (letters, digits, underscores).
pub async fn create_database(admin_url: &str, name: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(crate::StoreError::UnsupportedUrl(name.to_string()));
    }
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(admin_url)
        .map_err(|_| crate::StoreError::UnsupportedUrl(admin_url.into()))?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// Drops database `name` (test clean-up), disconnecting anyone still on it.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<()> {
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}
