//! Organizations: the JSON document plus its searchable columns and email-domain rows.

use latchkey_core::search::{Operator, OrgFilter, Search};
use latchkey_types::Organization;
use sqlx::{Any, Row, Transaction};

use crate::query::{Arg, Where};
use crate::sql::{conflict, from_json, to_json};
use crate::{Page, Result, SqlStore};

impl SqlStore {
    pub(crate) async fn insert_organization_impl(
        &self,
        project_id: &str,
        org: &Organization,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO organizations (organization_id, project_id, slug, external_id, name, data) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&org.organization_id)
        .bind(project_id)
        .bind(&org.organization_slug)
        .bind(org.organization_external_id.as_deref())
        .bind(&org.organization_name)
        .bind(to_json(org)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, "organizations"))?;
        write_domains(&mut tx, org).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn get_organization_impl(
        &self,
        project_id: &str,
        key: &str,
    ) -> Result<Option<Organization>> {
        // An id wins over a slug, a slug over an external id (they are unique separately).
        // One branch per unique key, so each is an index lookup (an `OR` of the three let
        // SQLite scan the table once statistics said most external ids are null).
        let row = sqlx::query(
            "SELECT data FROM ( \
               SELECT data, 0 AS r FROM organizations WHERE organization_id = $2 AND project_id = $1 \
               UNION ALL SELECT data, 1 FROM organizations WHERE project_id = $1 AND slug = $2 \
               UNION ALL SELECT data, 2 FROM organizations WHERE project_id = $1 AND external_id = $2) o \
             ORDER BY r LIMIT 1",
        )
        .bind(project_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    pub(crate) async fn get_organizations_impl(
        &self,
        project_id: &str,
        ids: &[String],
    ) -> Result<Vec<Organization>> {
        let mut w = Where::default();
        let p = w.text(project_id);
        // Ids, slugs and external ids are all accepted where Stytch takes organization ids.
        let cond = format!(
            "({} OR {} OR {})",
            w.in_list("organization_id", ids),
            w.in_list("slug", ids),
            w.in_list("external_id", ids)
        );
        let sql = format!(
            "SELECT data FROM organizations WHERE project_id = {p} AND {cond} ORDER BY seq"
        );
        let rows = sqlx::query_with(&sql, w.arguments()?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>("data")?))
            .collect()
    }

    pub(crate) async fn update_organization_impl(
        &self,
        project_id: &str,
        org: &Organization,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE organizations SET slug = $1, external_id = $2, name = $3, data = $4 \
             WHERE organization_id = $5 AND project_id = $6",
        )
        .bind(&org.organization_slug)
        .bind(org.organization_external_id.as_deref())
        .bind(&org.organization_name)
        .bind(to_json(org)?)
        .bind(&org.organization_id)
        .bind(project_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, "organizations"))?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM organization_domains WHERE organization_id = $1")
            .bind(&org.organization_id)
            .execute(&mut *tx)
            .await?;
        write_domains(&mut tx, org).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn delete_organization_impl(
        &self,
        project_id: &str,
        organization_id: &str,
    ) -> Result<bool> {
        // Members and domain rows go with it (ON DELETE CASCADE), in the same statement; the
        // tokens of its members are revoked first, in the same transaction (review #13).
        let mut tx = self.begin_write().await?;
        let which = crate::grants::Families::Organization(organization_id);
        self.revoke_families(&mut tx, which, None).await?;
        let done =
            sqlx::query("DELETE FROM organizations WHERE organization_id = $1 AND project_id = $2")
                .bind(organization_id)
                .bind(project_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            // Not this project's organization: the revocation above is rolled back.
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn count_members_impl(&self, organization_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM members WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    pub(crate) async fn search_organizations_impl(
        &self,
        project_id: &str,
        q: &Search<OrgFilter>,
    ) -> Result<Page<Organization>> {
        let mut w = Where::default();
        for f in &q.filters {
            let c = org_filter(&mut w, f);
            w.push(c);
        }
        let filters = w.joined(match q.operator {
            Operator::And => "AND",
            Operator::Or => "OR",
        });
        let p = w.text(project_id);
        let base = format!("FROM organizations o WHERE o.project_id = {p} AND {filters}");
        self.page(
            &format!("SELECT COUNT(*) AS n {base}"),
            &base,
            w,
            q.after_seq,
            q.limit,
            "o",
        )
        .await
    }

    /// Runs the count and the page query of a search; shared with member search.
    pub(crate) async fn page<T: serde::de::DeserializeOwned>(
        &self,
        count_sql: &str,
        base: &str,
        mut w: Where,
        after_seq: i64,
        limit: i64,
        alias: &str,
    ) -> Result<Page<T>> {
        let total: i64 = sqlx::query_with(count_sql, w.arguments()?)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let after = w.bind(Arg::Int(after_seq));
        let lim = w.bind(Arg::Int(limit + 1));
        let sql = format!("SELECT {alias}.seq AS seq, {alias}.data AS data {base} AND {alias}.seq > {after} ORDER BY {alias}.seq LIMIT {lim}");
        let rows = sqlx::query_with(&sql, w.arguments()?)
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() as i64 > limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = after_seq;
        for r in rows.iter().take(limit as usize) {
            last = r.try_get("seq")?;
            items.push(from_json(&r.try_get::<String, _>("data")?)?);
        }
        Ok(Page {
            items,
            total,
            next_after: more.then_some(last),
        })
    }
}

fn org_filter(w: &mut Where, f: &OrgFilter) -> String {
    let domain = |w: &mut Where, kind: &str, values: Option<&[String]>, fuzzy: Option<&str>| {
        let k = w.text(kind);
        let cond = match (values, fuzzy) {
            (Some(v), _) => w.in_list("d.domain", v),
            (None, Some(n)) => w.fuzzy("d.domain", n),
            (None, None) => "1 = 0".into(),
        };
        format!("EXISTS (SELECT 1 FROM organization_domains d WHERE d.organization_id = o.organization_id AND d.kind = {k} AND {cond})")
    };
    let member = |w: &mut Where, values: Option<&[String]>, fuzzy: Option<&str>| {
        let cond = match (values, fuzzy) {
            (Some(v), _) => w.in_list("m.email_address", v),
            (None, Some(n)) => w.fuzzy("m.email_address", n),
            (None, None) => "1 = 0".into(),
        };
        format!("EXISTS (SELECT 1 FROM members m WHERE m.organization_id = o.organization_id AND {cond})")
    };
    match f {
        OrgFilter::OrganizationIds(v) => w.in_list("o.organization_id", v),
        OrgFilter::OrganizationSlugs(v) => w.in_list("o.slug", v),
        OrgFilter::NameFuzzy(n) => w.fuzzy("o.name", n),
        OrgFilter::SlugFuzzy(n) => w.fuzzy("o.slug", n),
        OrgFilter::MemberEmails(v) => member(w, Some(v), None),
        OrgFilter::MemberEmailFuzzy(n) => member(w, None, Some(n)),
        OrgFilter::AllowedDomains(v) => domain(w, "allowed", Some(v), None),
        OrgFilter::AllowedDomainFuzzy(n) => domain(w, "allowed", None, Some(n)),
        OrgFilter::ClaimedEmailDomains(v) => domain(w, "claimed", Some(v), None),
        // No SSO connections exist in latchkey yet.
        OrgFilter::HasActiveSsoConnection(true) | OrgFilter::SsoConnectionId(_) => "1 = 0".into(),
        OrgFilter::HasActiveSsoConnection(false) => "1 = 1".into(),
    }
}

async fn write_domains(tx: &mut Transaction<'static, Any>, org: &Organization) -> Result<()> {
    let rows = org
        .email_allowed_domains
        .iter()
        .map(|d| ("allowed", d))
        .chain(org.claimed_email_domains.iter().map(|d| ("claimed", d)));
    for (kind, domain) in rows {
        sqlx::query(
            "INSERT INTO organization_domains (organization_id, kind, domain) VALUES ($1, $2, $3)",
        )
        .bind(&org.organization_id)
        .bind(kind)
        .bind(domain)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
