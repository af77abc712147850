//! The operator's RBAC policy per project, one JSON document (spec §15.7). The server merges
//! it with Stytch's defaults on read (`latchkey_core::rbac::effective_policy`).

use latchkey_core::oauth::RbacPolicy;
use sqlx::Row;

use crate::sql::{from_json, to_json};
use crate::Result;

impl crate::SqlStore {
    pub(crate) async fn get_rbac_policy_impl(
        &self,
        project_id: &str,
    ) -> Result<Option<RbacPolicy>> {
        let row = sqlx::query("SELECT policy FROM rbac_policies WHERE project_id = $1")
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("policy")?))
            .transpose()
    }

    /// Insert or replace, in one statement (both engines support `ON CONFLICT ... DO UPDATE`).
    pub(crate) async fn set_rbac_policy_impl(
        &self,
        project_id: &str,
        policy: &RbacPolicy,
        updated_at: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO rbac_policies (project_id, policy, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(to_json(policy)?)
        .bind(updated_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
