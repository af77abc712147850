//! Schemas that cannot drift: the SQLite and PostgreSQL migration directories hold the same
//! files, equal but for dialect, and the two migrated databases have the same tables, columns
//! and index names (code review 2026-12, §3 and §9 item 4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sqlx::Row;

fn dir(engine: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine)
}

fn files(engine: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(dir(engine))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The SQLite text in PostgreSQL's words: the only differences the two dirs may have. A
/// statement only PostgreSQL needs sits in the SQLite file as a `-- postgres: ` comment; what
/// only SQLite needs (a table rebuild, as SQLite cannot drop a constraint) sits between
/// `-- sqlite only: begin` and `-- sqlite only: end`.
fn to_postgres(sqlite: &str) -> String {
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in sqlite.lines() {
        match line {
            "-- sqlite only: begin" => skipping = true,
            "-- sqlite only: end" => skipping = false,
            _ if !skipping => kept.push(line),
            _ => {}
        }
    }
    let mut text = kept.join("\n");
    if sqlite.ends_with('\n') {
        text.push('\n');
    }
    text.replace(
        "INTEGER PRIMARY KEY AUTOINCREMENT",
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    )
    .replace("INTEGER", "BIGINT")
    .replace("-- postgres: ", "")
}

/// Differences already applied to databases, which cannot be edited away (sqlx refuses a
/// migration whose checksum changed): (file, line as PostgreSQL has it). Each is corrected by a
/// later migration.
const FROZEN: &[(&str, &str)] = &[
    // Corrected by 0010 (ALTER ... TYPE BIGINT).
    ("0004_sessions_keys.sql", "    activated_at       INTEGER,"),
];

fn unfreeze(name: &str, postgres: &str) -> String {
    postgres
        .lines()
        .map(
            |l| match FROZEN.iter().find(|(f, line)| *f == name && *line == l) {
                Some(_) => l.replace("INTEGER", "BIGINT"),
                None => l.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn migration_dirs_differ_only_in_dialect() {
    let sqlite = files("sqlite");
    let postgres = files("postgres");
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "both engines need the same migration files"
    );
    for (name, text) in &sqlite {
        let want = to_postgres(text).lines().collect::<Vec<_>>().join("\n");
        let got = &unfreeze(name, &postgres[name]);
        if &want != got {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
            panic!(
                "{name} differs beyond dialect at line {}:\n  sqlite (as postgres): {:?}\n  postgres:             {:?}",
                line + 1,
                want.lines().nth(line),
                got.lines().nth(line)
            );
        }
    }
}

/// Table -> sorted columns, and the sorted names of the indexes created by migrations.
#[derive(Debug, PartialEq)]
struct Schema {
    tables: BTreeMap<String, Vec<String>>,
    indexes: Vec<String>,
}

async fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    latchkey_store::connect(&url).await.unwrap();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let names: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    let mut tables = BTreeMap::new();
    for t in names {
        let mut cols: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info($1)")
            .bind(&t)
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("name"))
            .collect();
        cols.sort();
        tables.insert(t, cols);
    }
    // Indexes SQLite makes for PRIMARY KEY / UNIQUE are `sqlite_autoindex_*`: not ours.
    let indexes = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'index' \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    pool.close().await;
    Schema { tables, indexes }
}

async fn postgres_schema() -> Schema {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let run = std::env::var("LATCHKEY_TEST_RUN_ID")
        .map(|r| format!("{}_", r.replace(|c: char| !c.is_ascii_alphanumeric(), "")))
        .unwrap_or_default();
    let name = format!("latchkey_store_{run}{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    latchkey_store::connect(&url).await.unwrap();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name NOT LIKE '\\_sqlx%' ORDER BY t, c",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        tables.entry(r.get("t")).or_default().push(r.get("c"));
    }
    // Indexes behind PRIMARY KEY / UNIQUE constraints are named by PostgreSQL: not ours.
    let indexes = sqlx::query(
        "SELECT CAST(indexname AS TEXT) AS name FROM pg_indexes i WHERE schemaname = 'public' \
         AND tablename NOT LIKE '\\_sqlx%' \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) \
         ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    pool.close().await;
    Schema { tables, indexes }
}

#[tokio::test]
async fn live_schemas_match() {
    let (sqlite, postgres) = (sqlite_schema().await, postgres_schema().await);
    assert!(sqlite.tables.contains_key("oauth_grants"), "{sqlite:?}");
    for (t, cols) in &sqlite.tables {
        assert_eq!(Some(cols), postgres.tables.get(t), "columns of {t}");
    }
    assert_eq!(
        sqlite.tables.keys().collect::<Vec<_>>(),
        postgres.tables.keys().collect::<Vec<_>>(),
        "tables"
    );
    assert_eq!(sqlite.indexes, postgres.indexes, "index names");
}
