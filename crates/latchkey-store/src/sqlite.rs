//! The embedded SQLite backend: WAL mode, a busy timeout, foreign keys on, its own migrations
//! (`migrations/sqlite`). The database file is created on first use.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

use crate::sql::{Dialect, SqlStore};
use crate::Result;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the SQLite database at `url` and migrates it.
pub async fn connect(url: &str) -> Result<SqlStore> {
    sqlx::any::install_default_drivers();
    let url = with_create_mode(url);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // An in-memory database lives in one connection, which reads and writes.
        let pool = options(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect(&url)
            .await?;
        MIGRATOR.run(&pool).await?;
        return Ok(SqlStore::new(pool.clone(), pool, Dialect::Sqlite));
    }
    // A file: one writer connection (see `SqlStore`), readers in parallel under WAL.
    let writer = options(1).connect(&url).await?;
    MIGRATOR.run(&writer).await?;
    let readers = options(8).connect(&url).await?;
    Ok(SqlStore::new(readers, writer, Dialect::Sqlite))
}

/// Pool settings shared by the reader and writer pools. The busy timeout still covers other
/// processes on the same file (`latchkey` CLI commands, another server).
fn options(max: u32) -> AnyPoolOptions {
    crate::pool::checked_when_idle(AnyPoolOptions::new())
        .max_connections(max)
        .idle_timeout(Some(Duration::from_secs(600)))
        .max_lifetime(Some(Duration::from_secs(3600)))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
}

/// `sqlite://file.db` opens read-write but does not create the file unless `mode=rwc`.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn create_mode_is_added() {
        assert_eq!(
            super::with_create_mode("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            super::with_create_mode("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(
            super::with_create_mode("sqlite::memory:"),
            "sqlite::memory:"
        );
    }
}
