//! Members: the JSON document (with directly assigned roles only) plus searchable columns.

use latchkey_core::search::{MemberFilter, Operator, Search};
use latchkey_types::Member;
use sqlx::Row;

use crate::query::{Arg, Where};
use crate::sql::{conflict, from_json, to_json};
use crate::{MemberLookup, Page, Result, SqlStore};

impl SqlStore {
    pub(crate) async fn insert_member_impl(&self, project_id: &str, m: &Member) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        insert_member_row(&mut conn, project_id, m).await
    }

    pub(crate) async fn get_member_impl(
        &self,
        organization_id: &str,
        key: MemberLookup<'_>,
    ) -> Result<Option<Member>> {
        let (sql, value) = match key {
            // One branch per unique key, so the lookup never walks the organization's members.
            MemberLookup::IdOrExternalId(k) => (
                "SELECT data FROM (SELECT data, 0 AS r FROM members WHERE member_id = $2 AND organization_id = $1 \
                 UNION ALL SELECT data, 1 FROM members WHERE organization_id = $1 AND external_id = $2) m \
                 ORDER BY r LIMIT 1",
                k.to_string(),
            ),
            MemberLookup::Email(e) => (
                "SELECT data FROM members WHERE organization_id = $1 AND email_address = $2",
                e.trim().to_ascii_lowercase(),
            ),
        };
        let row = sqlx::query(sql)
            .bind(organization_id)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    /// The organization (by id, slug or external id) and, when it has one, its member (by id or
    /// external id), in one statement: the token endpoint and Connected Apps authorization read
    /// both on every request. `None`: no such organization.
    pub(crate) async fn member_with_organization_impl(
        &self,
        project_id: &str,
        org_key: &str,
        member_key: &str,
    ) -> Result<Option<(latchkey_types::Organization, Option<Member>)>> {
        // The same precedence as `get_organization` and `get_member`. Each branch names a
        // whole unique key, so both engines look the rows up by index whatever the table
        // sizes (an `OR` of the keys let SQLite walk the project's organizations and the
        // organization's members: 1.8 ms instead of 9 µs with 1,000 members).
        let row = sqlx::query(
            "WITH o AS ( \
               SELECT organization_id, data, 0 AS r FROM organizations WHERE organization_id = $2 AND project_id = $1 \
               UNION ALL SELECT organization_id, data, 1 FROM organizations WHERE project_id = $1 AND slug = $2 \
               UNION ALL SELECT organization_id, data, 2 FROM organizations WHERE project_id = $1 AND external_id = $2 \
               ORDER BY r LIMIT 1) \
             SELECT o.data AS org, COALESCE( \
               (SELECT m.data FROM members m WHERE m.member_id = $3 AND m.organization_id = o.organization_id), \
               (SELECT m.data FROM members m WHERE m.organization_id = o.organization_id AND m.external_id = $3)) AS member \
             FROM o",
        )
        .bind(project_id)
        .bind(org_key)
        .bind(member_key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let org = from_json(&row.try_get::<String, _>("org")?)?;
        let member = row
            .try_get::<Option<String>, _>("member")?
            .map(|m| from_json(&m))
            .transpose()?;
        Ok(Some((org, member)))
    }

    pub(crate) async fn get_member_in_project_impl(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Option<Member>> {
        let row = sqlx::query("SELECT data FROM members WHERE project_id = $1 AND member_id = $2")
            .bind(project_id)
            .bind(member_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    pub(crate) async fn update_member_impl(&self, m: &Member) -> Result<bool> {
        let mut conn = self.writer.acquire().await?;
        update_member_row(&mut conn, m).await
    }

    /// Deletes the member and, in the same transaction, revokes every token issued to them
    /// (security review #13: a deleted member's access tokens stayed active at introspection).
    pub(crate) async fn delete_member_impl(
        &self,
        organization_id: &str,
        member_id: &str,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM members WHERE member_id = $1 AND organization_id = $2")
            .bind(member_id)
            .bind(organization_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.revoke_families(&mut tx, crate::grants::Families::Member(member_id), None)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn search_members_impl(
        &self,
        project_id: &str,
        organization_ids: &[String],
        q: &Search<MemberFilter>,
    ) -> Result<Page<Member>> {
        let mut w = Where::default();
        for f in &q.filters {
            let c = member_filter(&mut w, f);
            w.push(c);
        }
        let filters = w.joined(match q.operator {
            Operator::And => "AND",
            Operator::Or => "OR",
        });
        w.take_clauses();
        let p = w.text(project_id);
        let orgs = w.in_list("m.organization_id", organization_ids);
        let base = format!("FROM members m WHERE m.project_id = {p} AND {orgs} AND {filters}");
        self.page(
            &format!("SELECT COUNT(*) AS n {base}"),
            &base,
            w,
            q.after_seq,
            q.limit,
            "m",
        )
        .await
    }
}

/// Inserts a member row (on a pooled connection or inside a transaction).
/// Rewrites a member's row (columns and document); false when there is no such member.
pub(crate) async fn update_member_row(conn: &mut sqlx::AnyConnection, m: &Member) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE members SET email_address = $1, external_id = $2, status = $3, name = $4, \
         is_breakglass = $5, phone_number = $6, data = $7 WHERE member_id = $8 AND organization_id = $9",
    )
    .bind(&m.email_address)
    .bind(m.external_id.as_deref())
    .bind(&m.status)
    .bind(&m.name)
    .bind(i64::from(m.is_breakglass))
    .bind(&m.mfa_phone_number)
    .bind(to_json(m)?)
    .bind(&m.member_id)
    .bind(&m.organization_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict(e, "members"))?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn insert_member_row(
    conn: &mut sqlx::AnyConnection,
    project_id: &str,
    m: &Member,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO members (member_id, organization_id, project_id, email_address, external_id, \
         status, name, is_breakglass, phone_number, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&m.member_id)
    .bind(&m.organization_id)
    .bind(project_id)
    .bind(&m.email_address)
    .bind(m.external_id.as_deref())
    .bind(&m.status)
    .bind(&m.name)
    .bind(i64::from(m.is_breakglass))
    .bind(&m.mfa_phone_number)
    .bind(to_json(m)?)
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict(e, "members"))?;
    Ok(())
}

fn member_filter(w: &mut Where, f: &MemberFilter) -> String {
    match f {
        MemberFilter::MemberIds(v) => w.in_list("m.member_id", v),
        MemberFilter::MemberEmails(v) => w.in_list("m.email_address", v),
        MemberFilter::MemberEmailFuzzy(n) => w.fuzzy("m.email_address", n),
        MemberFilter::MemberIsBreakglass(b) => {
            let p = w.bind(Arg::Int(i64::from(*b)));
            format!("m.is_breakglass = {p}")
        }
        MemberFilter::Statuses(v) => w.in_list("m.status", v),
        MemberFilter::MemberPhoneNumbers(v) => w.in_list("m.phone_number", v),
        MemberFilter::MemberPhoneNumberFuzzy(n) => w.fuzzy("m.phone_number", n),
        MemberFilter::MemberExternalIds(v) => w.in_list("m.external_id", v),
    }
}
