//! Readiness probes of the store (issue 15 item 1): one cheap read that proves the database
//! answers and that every migration this build knows has been applied, and the pool's size.
//! Nothing here writes.

use std::collections::HashSet;

use sqlx::Row;

use crate::sql::{Dialect, SqlStore};
use crate::Result;

/// What the readiness probe learned from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Migrations this build ships for the engine.
    pub expected: usize,
    /// Versions this build ships that the database has not applied successfully.
    pub missing: Vec<i64>,
}

impl MigrationStatus {
    pub fn current(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Open and idle connections of the read pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
}

impl SqlStore {
    pub(crate) async fn migration_status_impl(&self) -> Result<MigrationStatus> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &crate::sqlite::MIGRATOR,
            Dialect::Postgres => &crate::postgres::MIGRATOR,
        };
        // sqlx's own bookkeeping table: a failed migration is recorded with success = false.
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await?;
        let applied: HashSet<i64> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<std::result::Result<_, _>>()?;
        let expected: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        Ok(MigrationStatus {
            expected: expected.len(),
            missing: expected
                .into_iter()
                .filter(|v| !applied.contains(v))
                .collect(),
        })
    }

    pub(crate) fn pool_stats_impl(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle(),
        }
    }
}
