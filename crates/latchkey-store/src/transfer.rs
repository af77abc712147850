//! Moving and backing up a whole deployment (issue 15 item 4): `latchkey db copy` and
//! `latchkey db backup`.
//!
//! The copy takes its table list, columns and foreign keys from the database's own catalogue
//! (`sqlite_master` / `pragma_foreign_key_list`, `information_schema` on PostgreSQL), never from a
//! hand-kept list, so a new migration's tables are copied without touching this file. Tables are
//! written parents first (a topological order of the foreign keys), in one target transaction,
//! from one read snapshot of the source; identity sequences are moved past the copied ids on
//! PostgreSQL; row counts are compared per table at the end.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Row};

use crate::sql::{Dialect, SqlStore};

/// Rows per INSERT statement.
const BATCH: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the target database is not empty: table {table} holds {rows} rows; copy only into a freshly created database")]
    NotEmpty { table: String, rows: i64 },
    #[error("row counts differ after the copy: {table} has {in_source} rows in the source and {in_target} in the target")]
    CountMismatch {
        table: String,
        in_source: i64,
        in_target: i64,
    },
    #[error("the source and target schemas differ: {0}")]
    Schema(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// Rows copied, per table, in the order they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    identity: bool,
}

#[derive(Debug, Clone)]
enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Table and column names come from the catalogue; anything unusual is refused, not quoted.
fn ident(name: &str) -> Result<String, TransferError> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(format!("\"{name}\""))
    } else {
        Err(TransferError::Unsupported(format!(
            "unexpected table or column name {name:?}"
        )))
    }
}

fn kind_of(declared: &str) -> Result<Kind, TransferError> {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Ok(Kind::Int)
    } else if t == "text" {
        Ok(Kind::Text)
    } else {
        // A new column type needs its own decoding here (and a test that copies it).
        Err(TransferError::Unsupported(format!(
            "column type {declared:?} is not handled by db copy"
        )))
    }
}

/// Tables with no unwritten parent first; ties by name. `deps` maps a table to its parents.
fn dependency_order(
    tables: &BTreeSet<String>,
    deps: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, TransferError> {
    let mut done: Vec<String> = Vec::new();
    let mut left = tables.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                deps.get(*t).is_none_or(|parents| {
                    parents
                        .iter()
                        .all(|p| p == *t || done.contains(p) || !tables.contains(p))
                })
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(TransferError::Unsupported(format!(
                "foreign keys form a cycle among {left:?}"
            )));
        }
        for t in ready {
            left.remove(&t);
            done.push(t);
        }
    }
    Ok(done)
}

impl SqlStore {
    /// Application tables (not sqlx's migration bookkeeping), parents before children.
    pub async fn tables_in_dependency_order(&self) -> Result<Vec<String>, TransferError> {
        let (tables_sql, fks_sql) = match self.dialect {
            Dialect::Sqlite => (
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
                "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table'",
            ),
            Dialect::Postgres => (
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 AND table_name <> '_sqlx_migrations'",
                "SELECT tc.table_name::text, ccu.table_name::text \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.constraint_column_usage ccu \
                   ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
            ),
        };
        let tables: BTreeSet<String> = sqlx::query(tables_sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in sqlx::query(fks_sql).fetch_all(&self.pool).await? {
            let child: String = r.try_get(0)?;
            let parent: String = r.try_get(1)?;
            deps.entry(child).or_default().insert(parent);
        }
        dependency_order(&tables, &deps)
    }

    async fn columns(&self, table: &str) -> Result<Vec<Column>, TransferError> {
        let sql = match self.dialect {
            Dialect::Sqlite => "SELECT name, type, 0 FROM pragma_table_info($1) ORDER BY cid",
            Dialect::Postgres => {
                "SELECT column_name::text, data_type::text, \
                 CASE WHEN is_identity::text = 'YES' THEN 1 ELSE 0 END \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position"
            }
        };
        sqlx::query(sql)
            .bind(table)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Column {
                    name: r.try_get(0)?,
                    kind: kind_of(&r.try_get::<String, _>(1)?)?,
                    identity: r.try_get::<i64, _>(2)? == 1,
                })
            })
            .collect()
    }

    /// Rows per application table.
    pub async fn row_counts(&self) -> Result<Vec<(String, i64)>, TransferError> {
        let mut out = Vec::new();
        for t in self.tables_in_dependency_order().await? {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {}", ident(&t)?))
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
            out.push((t, n));
        }
        Ok(out)
    }

    /// Copies every application row of `self` into `target`, an empty database of either engine
    /// migrated by this build. The source is read in one snapshot (stop the server first: writes
    /// after the snapshot are not copied); the target is written in one transaction, so a failed
    /// copy leaves it empty.
    pub async fn copy_into(&self, target: &SqlStore) -> Result<CopyReport, TransferError> {
        let tables = self.tables_in_dependency_order().await?;
        self.check_target(target, &tables).await?;
        let mut read = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *read)
                .await?;
        }
        let mut write = target.begin_write().await?;
        let mut report = Vec::new();
        for table in &tables {
            let columns = target.columns(table).await?;
            let names = |c: &[Column]| c.iter().map(|c| c.name.clone()).collect::<BTreeSet<_>>();
            if names(&columns) != names(&self.columns(table).await?) {
                return Err(TransferError::Schema(format!(
                    "the columns of {table} differ"
                )));
            }
            let n = copy_table(&mut read, &mut write, target.dialect, table, &columns).await?;
            report.push((table.clone(), n));
        }
        if target.dialect == Dialect::Postgres {
            target.move_identity_sequences(&mut write, &tables).await?;
        }
        write.commit().await?;
        read.rollback().await?;
        verify_counts(&report, target.row_counts().await?)?;
        Ok(CopyReport { tables: report })
    }

    /// The target has the source's tables and not one row in them.
    async fn check_target(
        &self,
        target: &SqlStore,
        tables: &[String],
    ) -> Result<(), TransferError> {
        let source: BTreeSet<String> = tables.iter().cloned().collect();
        let counts = target.row_counts().await?;
        let in_target: BTreeSet<String> = counts.iter().map(|(t, _)| t.clone()).collect();
        if source != in_target {
            return Err(TransferError::Schema(format!(
                "tables only in the source: {:?}; only in the target: {:?}",
                source.difference(&in_target).collect::<Vec<_>>(),
                in_target.difference(&source).collect::<Vec<_>>()
            )));
        }
        match counts.into_iter().find(|(_, rows)| *rows > 0) {
            Some((table, rows)) => Err(TransferError::NotEmpty { table, rows }),
            None => Ok(()),
        }
    }

    /// PostgreSQL: each identity column's next value follows the largest copied id (rows were
    /// inserted with `OVERRIDING SYSTEM VALUE`, which does not advance the sequence).
    async fn move_identity_sequences(
        &self,
        write: &mut sqlx::Transaction<'static, Any>,
        tables: &[String],
    ) -> Result<(), TransferError> {
        for table in tables {
            for c in self.columns(table).await?.iter().filter(|c| c.identity) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{ti}', '{c}'), \
                     COALESCE((SELECT MAX({ci}) FROM {ti}), 0) + 1, false)",
                    c = c.name,
                    ci = ident(&c.name)?,
                    ti = ident(table)?
                );
                sqlx::query(&sql).execute(&mut **write).await?;
            }
        }
        Ok(())
    }

    /// A consistent copy of a SQLite database at `path` (`VACUUM INTO`), safe while the server
    /// runs: it reads one snapshot. The file must not exist. PostgreSQL has its own tools.
    pub async fn backup_into(&self, path: &str) -> Result<(), TransferError> {
        if self.dialect != Dialect::Sqlite {
            return Err(TransferError::Unsupported(
                "db backup makes SQLite backups; back up PostgreSQL with pg_dump \
                 (docs/operations.md, \"Backups and restore\")"
                    .into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Every table holds as many rows in the target as were read from the source.
fn verify_counts(
    report: &[(String, i64)],
    target: Vec<(String, i64)>,
) -> Result<(), TransferError> {
    let copied: BTreeMap<String, i64> = target.into_iter().collect();
    for (table, source) in report {
        let target = copied.get(table).copied().unwrap_or(0);
        if target != *source {
            return Err(TransferError::CountMismatch {
                table: table.clone(),
                in_source: *source,
                in_target: target,
            });
        }
    }
    Ok(())
}

/// Streams `table` from the source snapshot into the target transaction; returns the rows read.
async fn copy_table(
    read: &mut sqlx::Transaction<'static, Any>,
    write: &mut sqlx::Transaction<'static, Any>,
    target: Dialect,
    table: &str,
    columns: &[Column],
) -> Result<i64, TransferError> {
    use futures_util::TryStreamExt;
    let list = columns
        .iter()
        .map(|c| ident(&c.name))
        .collect::<Result<Vec<_>, _>>()?
        .join(", ");
    let select = format!("SELECT {list} FROM {}", ident(table)?);
    let overriding = if target == Dialect::Postgres && columns.iter().any(|c| c.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let insert = format!("INSERT INTO {} ({list}){overriding} VALUES ", ident(table)?);
    let mut rows = sqlx::query(&select).fetch(&mut **read);
    let mut batch: Vec<Vec<Val>> = Vec::new();
    let mut total = 0i64;
    while let Some(row) = rows.try_next().await? {
        let mut vals = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            vals.push(match c.kind {
                Kind::Int => Val::Int(row.try_get(i)?),
                Kind::Text => Val::Text(row.try_get(i)?),
            });
        }
        batch.push(vals);
        total += 1;
        if batch.len() == BATCH {
            insert_batch(write, &insert, &batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        insert_batch(write, &insert, &batch).await?;
    }
    Ok(total)
}

async fn insert_batch(
    write: &mut sqlx::Transaction<'static, Any>,
    insert: &str,
    batch: &[Vec<Val>],
) -> Result<(), TransferError> {
    let mut args = AnyArguments::default();
    let mut groups = Vec::with_capacity(batch.len());
    let mut n = 0;
    for row in batch {
        let mut ph = Vec::with_capacity(row.len());
        for v in row {
            let added = match v {
                Val::Int(i) => args.add(*i),
                Val::Text(t) => args.add(t.clone()),
            };
            added.map_err(|e| TransferError::Unsupported(e.to_string()))?;
            n += 1;
            ph.push(format!("${n}"));
        }
        groups.push(format!("({})", ph.join(", ")));
    }
    let sql = format!("{insert}{}", groups.join(", "));
    sqlx::query_with(&sql, args).execute(&mut **write).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first() {
        let tables: BTreeSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut deps = BTreeMap::new();
        deps.insert("a".to_string(), BTreeSet::from(["c".to_string()]));
        deps.insert(
            "c".to_string(),
            BTreeSet::from(["b".to_string(), "c".to_string()]),
        );
        assert_eq!(dependency_order(&tables, &deps).unwrap(), ["b", "c", "a"]);
        deps.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
        assert!(dependency_order(&tables, &deps).is_err());
    }
}
