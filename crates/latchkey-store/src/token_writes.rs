//! The token endpoint's hottest writes, shaped per engine: on SQLite each statement is a
//! hand-off to the connection's thread and back while the single writer is held, so related
//! statements go as one batch; on PostgreSQL each statement is a round trip, so the family
//! lock and the writes that depend on it are one statement where the engine allows it.

use sqlx::Row;

use crate::oauth::{bind_access, bind_refresh};
use crate::sql::Dialect;
use crate::{AccessRow, NewRefresh, Result, SqlStore};

/// The grant row of a live family (`$3` is the grant id in every statement here).
const LIVE: &str = "EXISTS (SELECT 1 FROM oauth_grants WHERE grant_id = $3 AND revoked_at IS NULL)";

/// PostgreSQL: the family's lock (its grant row, `FOR UPDATE`, as `lock_family` takes it) as
/// a CTE named `live`, empty when the family is revoked or gone.
const LOCK: &str =
    "live AS (SELECT 1 FROM oauth_grants WHERE grant_id = $3 AND revoked_at IS NULL FOR UPDATE)";

/// Records a redemption's access token and optional refresh token; true when the family was
/// revoked (or its grant is gone), in which case both are recorded revoked
/// (`revoked_at = expires_at`), as are any other live tokens of the family. The family check
/// is inside the inserts: on PostgreSQL one statement (its own transaction) that locks the
/// grant row `FOR UPDATE` as `lock_family` does, so a concurrent revocation either committed
/// first or waits and then revokes these tokens too; on SQLite one batch inside a
/// `BEGIN IMMEDIATE` transaction, which no revocation can interleave (a batch cut short is
/// rolled back with the transaction).
pub(crate) async fn issue(
    store: &SqlStore,
    a: &AccessRow,
    refresh: Option<&NewRefresh>,
) -> Result<bool> {
    let live = match store.dialect {
        Dialect::Postgres => "EXISTS (SELECT 1 FROM live)",
        Dialect::Sqlite => LIVE,
    };
    let access = format!(
        "INSERT INTO access_tokens (jti, project_id, grant_id, client_id, member_id, member_session_id, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN {live} THEN NULL ELSE $7 END) RETURNING revoked_at"
    );
    let refresh_sql = format!(
        "INSERT INTO refresh_tokens (token_hash, project_id, grant_id, client_id, member_id, expires_at, data, revoked_at) \
         VALUES ($8, $9, $10, $11, $12, $13, $14, CASE WHEN {live} THEN NULL ELSE $13 END)"
    );
    let sql = match (store.dialect, refresh.is_some()) {
        (Dialect::Sqlite, false) => access,
        (Dialect::Sqlite, true) => format!("{access}; {refresh_sql}"),
        (Dialect::Postgres, false) => {
            format!("WITH {LOCK}, acc AS ({access}) SELECT revoked_at FROM acc")
        }
        (Dialect::Postgres, true) => format!(
            "WITH {LOCK}, acc AS ({access}), rt AS ({refresh_sql}) SELECT revoked_at FROM acc"
        ),
    };
    let mut q = bind_access(sqlx::query(&sql), a);
    if let Some(r) = refresh {
        q = bind_refresh(q, r)?;
    }
    // The rare revoked case also revokes the family's other live tokens (as before).
    const REVOKE: [&str; 2] = [
        "UPDATE refresh_tokens SET revoked_at = expires_at WHERE grant_id = $1 AND revoked_at IS NULL",
        "UPDATE access_tokens SET revoked_at = expires_at WHERE grant_id = $1 AND revoked_at IS NULL",
    ];
    let revoked = match store.dialect {
        Dialect::Postgres => {
            let revoked = was_revoked(&q.fetch_all(&store.writer).await?)?;
            if revoked {
                for sql in REVOKE {
                    sqlx::query(sql)
                        .bind(&a.grant_id)
                        .execute(&store.writer)
                        .await?;
                }
            }
            revoked
        }
        Dialect::Sqlite => {
            let mut tx = store.begin_write().await?;
            let revoked = was_revoked(&q.fetch_all(&mut *tx).await?)?;
            if revoked {
                for sql in REVOKE {
                    sqlx::query(sql).bind(&a.grant_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            revoked
        }
    };
    Ok(revoked)
}

/// The `revoked_at` the access-token insert returned.
fn was_revoked(rows: &[sqlx::any::AnyRow]) -> Result<bool> {
    let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    Ok(row.try_get::<Option<i64>, _>("revoked_at")?.is_some())
}

/// Extends a confidential client's refresh token (`hash`) to `expires_at` and records the new
/// access token, if the token is unrevoked and its family live; false otherwise. PostgreSQL:
/// one statement (its own transaction) that locks the grant row `FOR UPDATE` as
/// `lock_family` does, so a revocation either committed first (nothing is written) or waits
/// and then revokes the new access token too. SQLite: one batch in a write transaction.
pub(crate) async fn slide(
    store: &SqlStore,
    hash: &str,
    expires_at: i64,
    a: &AccessRow,
) -> Result<bool> {
    const INSERT: &str = "INSERT INTO access_tokens (jti, project_id, grant_id, client_id, member_id, member_session_id, expires_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7";
    let sql = match store.dialect {
        Dialect::Postgres => format!(
            "WITH {LOCK}, \
             slid AS (UPDATE refresh_tokens SET expires_at = $8 WHERE token_hash = $9 AND revoked_at IS NULL \
                      AND EXISTS (SELECT 1 FROM live) RETURNING 1) \
             {INSERT} WHERE EXISTS (SELECT 1 FROM slid) RETURNING jti"
        ),
        Dialect::Sqlite => format!(
            "UPDATE refresh_tokens SET expires_at = $8 WHERE token_hash = $9 AND revoked_at IS NULL AND {LIVE}; \
             {INSERT} WHERE changes() = 1 RETURNING jti"
        ),
    };
    let q = bind_access(sqlx::query(&sql), a)
        .bind(expires_at)
        .bind(hash);
    let inserted = match store.dialect {
        Dialect::Postgres => q.fetch_all(&store.writer).await?,
        Dialect::Sqlite => {
            let mut tx = store.begin_write().await?;
            let rows = q.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows
        }
    };
    Ok(!inserted.is_empty())
}
