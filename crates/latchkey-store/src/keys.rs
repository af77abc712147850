//! Signing keys per project: the public JWK and lifecycle in columns, the private key sealed
//! (AES-256-GCM under the master key, or marked plain when none is configured).

use latchkey_core::jwt::{Jwk, KeyRecord, KeyState};
use sqlx::Row;

use crate::sql::{from_json, to_json};
use crate::{Result, SqlStore};

/// A stored key: its public record and the sealed private key.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSigningKey {
    pub record: KeyRecord,
    pub sealed_private_key: String,
}

/// A rotation applied atomically. `expected_active` guards against two replicas rotating at
/// once: the change applies only if that kid is still the active key.
#[derive(Debug, Clone, Default)]
pub struct KeyChange {
    pub expected_active: Option<String>,
    pub retire: Vec<String>,
    pub promote: Option<String>,
    pub insert: Vec<StoredSigningKey>,
    pub drop: Vec<String>,
    pub now: i64,
}

fn state_str(s: KeyState) -> &'static str {
    match s {
        KeyState::Next => "next",
        KeyState::Active => "active",
        KeyState::Retired => "retired",
    }
}

fn parse_state(s: &str) -> Option<KeyState> {
    match s {
        "next" => Some(KeyState::Next),
        "active" => Some(KeyState::Active),
        "retired" => Some(KeyState::Retired),
        _ => None,
    }
}

impl SqlStore {
    pub(crate) async fn signing_keys_impl(
        &self,
        project_id: &str,
    ) -> Result<Vec<StoredSigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, state, sealed_private_key, public_jwk, created_at, activated_at, retired_at \
             FROM signing_keys WHERE project_id = $1 ORDER BY created_at, kid",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                let jwk: Jwk = from_json(&r.try_get::<String, _>("public_jwk")?)?;
                Ok(StoredSigningKey {
                    record: KeyRecord {
                        kid: r.try_get("kid")?,
                        state: parse_state(&state).ok_or_else(|| {
                            crate::StoreError::Corrupt(format!("key state {state:?}"))
                        })?,
                        created_at: r.try_get("created_at")?,
                        activated_at: r.try_get("activated_at")?,
                        retired_at: r.try_get("retired_at")?,
                        public_jwk: jwk,
                    },
                    sealed_private_key: r.try_get("sealed_private_key")?,
                })
            })
            .collect()
    }

    pub(crate) async fn change_signing_keys_impl(
        &self,
        project_id: &str,
        c: &KeyChange,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if let Some(active) = &c.expected_active {
            let still = sqlx::query("SELECT kid FROM signing_keys WHERE project_id = $1 AND kid = $2 AND state = 'active'")
                .bind(project_id)
                .bind(active)
                .fetch_optional(&mut *tx)
                .await?;
            if still.is_none() {
                return Ok(false);
            }
        }
        for kid in &c.retire {
            sqlx::query("UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE project_id = $2 AND kid = $3 AND state = 'active'")
                .bind(c.now)
                .bind(project_id)
                .bind(kid)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(kid) = &c.promote {
            let done = sqlx::query("UPDATE signing_keys SET state = 'active', activated_at = $1 WHERE project_id = $2 AND kid = $3 AND state = 'next'")
                .bind(c.now)
                .bind(project_id)
                .bind(kid)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
        }
        for k in &c.insert {
            sqlx::query(
                "INSERT INTO signing_keys (kid, project_id, state, sealed_private_key, public_jwk, created_at, activated_at, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&k.record.kid)
            .bind(project_id)
            .bind(state_str(k.record.state))
            .bind(&k.sealed_private_key)
            .bind(to_json(&k.record.public_jwk)?)
            .bind(k.record.created_at)
            .bind(k.record.activated_at)
            .bind(k.record.retired_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::sql::conflict(e, "signing_keys"))?;
        }
        for kid in &c.drop {
            sqlx::query(
                "DELETE FROM signing_keys WHERE project_id = $1 AND kid = $2 AND state = 'retired'",
            )
            .bind(project_id)
            .bind(kid)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
