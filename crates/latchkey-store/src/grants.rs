//! Token families and their lock: one `oauth_grants` row per authorization (migration 0010).
//! Every write to a family (issuing, rotating, sliding, revoking) locks the family's grant row
//! first, inside its transaction, so a revocation and an issuance never interleave. The lock
//! is the grant row, not the code row, so codes can be purged while the family lives on.
//!
//! Also here: revoking whole sets of families at once, for consent withdrawal and for the
//! deletion of a member, an organization or a client (security review #8, #13, #17).

use sqlx::{Any, Row, Transaction};

use crate::sql::Dialect;
use crate::{Result, SqlStore};

/// Whose families a revocation ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Families<'a> {
    /// A member's consent to one client (consent withdrawal).
    Consent {
        member_id: &'a str,
        client_id: &'a str,
    },
    /// Every family of a member (the member is being deleted).
    Member(&'a str),
    /// Every family of every member of an organization (the organization is being deleted).
    Organization(&'a str),
    /// Every family of one client among an organization's members (the organization revoked
    /// the client, or denied it after approving it).
    OrganizationClient {
        organization_id: &'a str,
        client_id: &'a str,
    },
    /// Every family of a client in one project (the client is being deleted; a metadata
    /// document URL may name a client in other projects too).
    Client {
        project_id: &'a str,
        client_id: &'a str,
    },
}

impl Families<'_> {
    /// The filter on a table with `member_id` and `client_id` columns, its values bound from
    /// placeholder `$first` on.
    fn filter(&self, first: usize) -> String {
        let (a, b) = (first, first + 1);
        match self {
            Families::Consent { .. } => format!("member_id = ${a} AND client_id = ${b}"),
            Families::Member(_) => format!("member_id = ${a}"),
            Families::Organization(_) => {
                format!("member_id IN (SELECT member_id FROM members WHERE organization_id = ${a})")
            }
            Families::OrganizationClient { .. } => format!(
                "client_id = ${a} AND member_id IN (SELECT member_id FROM members WHERE organization_id = ${b})"
            ),
            Families::Client { .. } => format!(
                "client_id = ${a} AND member_id IN (SELECT member_id FROM members WHERE project_id = ${b})"
            ),
        }
    }

    fn values(&self) -> Vec<&str> {
        match *self {
            Families::Consent {
                member_id,
                client_id,
            } => vec![member_id, client_id],
            Families::Client {
                project_id,
                client_id,
            } => vec![client_id, project_id],
            Families::OrganizationClient {
                organization_id,
                client_id,
            } => vec![client_id, organization_id],
            Families::Member(v) | Families::Organization(v) => vec![v],
        }
    }
}

impl SqlStore {
    /// Takes the family's lock (its grant row) inside a write transaction and tells whether the
    /// family may still grow: false when it has been revoked, or when no such family exists
    /// (fail closed: every family is created with its code, by `insert_code`). On SQLite,
    /// `BEGIN IMMEDIATE` already serializes writers; on PostgreSQL, `FOR UPDATE` does.
    pub(crate) async fn lock_family(
        &self,
        tx: &mut Transaction<'static, Any>,
        grant_id: &str,
    ) -> Result<bool> {
        let sql = match self.dialect {
            Dialect::Postgres => {
                "SELECT revoked_at FROM oauth_grants WHERE grant_id = $1 FOR UPDATE"
            }
            Dialect::Sqlite => "SELECT revoked_at FROM oauth_grants WHERE grant_id = $1",
        };
        let row = sqlx::query(sql)
            .bind(grant_id)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("revoked_at")?.is_none(),
            None => false,
        })
    }

    /// Revokes every family matching `which`, in the caller's transaction: locks each grant row
    /// (in `grant_id` order, so two such revocations cannot deadlock), marks the grants
    /// revoked, spends and revokes their unredeemed codes, and revokes their refresh and access
    /// tokens. A rotation racing this either committed before the lock (its successor is then
    /// revoked here) or sees the family revoked after it.
    ///
    /// `at` is the revocation time; the deletes, which are given none (time is a parameter, and
    /// their callers pass none), mark each row with its own expiry, as `issue_tokens` does.
    pub(crate) async fn revoke_families(
        &self,
        tx: &mut Transaction<'static, Any>,
        which: Families<'_>,
        at: Option<i64>,
    ) -> Result<()> {
        let lock = match self.dialect {
            Dialect::Postgres => " ORDER BY grant_id FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let select = format!(
            "SELECT grant_id FROM oauth_grants WHERE {}{lock}",
            which.filter(1)
        );
        let mut q = sqlx::query(&select);
        for v in which.values() {
            q = q.bind(v);
        }
        q.fetch_all(&mut **tx).await?;
        let (f, stamp, grant_stamp) = match at {
            Some(_) => (which.filter(2), "$1", "$1"),
            None => (which.filter(1), "expires_at", "created_at"),
        };
        let marks = [
            ("oauth_grants", "revoked_at", grant_stamp),
            ("authorization_codes", "revoked_at", stamp),
            ("authorization_codes", "consumed_at", stamp),
            ("refresh_tokens", "revoked_at", stamp),
            ("access_tokens", "revoked_at", stamp),
        ];
        for (table, column, value) in marks {
            let sql =
                format!("UPDATE {table} SET {column} = {value} WHERE {column} IS NULL AND {f}");
            let mut q = sqlx::query(&sql);
            if let Some(now) = at {
                q = q.bind(now);
            }
            for v in which.values() {
                q = q.bind(v);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Records a new family (its grant row) in the transaction that stores its first code.
pub(crate) async fn insert_grant(
    tx: &mut Transaction<'static, Any>,
    g: &latchkey_core::oauth::grant::Grant,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_grants (grant_id, project_id, client_id, member_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (grant_id) DO NOTHING",
    )
    .bind(&g.grant_id)
    .bind(&g.project_id)
    .bind(&g.client_id)
    .bind(&g.member_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
