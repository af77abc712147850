//! Purging what has expired: authorization codes, access and refresh tokens, families left
//! with nothing in them, pending authorizations, magic-link tokens and member sessions.
//!
//! Each statement deletes at most `batch` rows and commits on its own, so a purge never holds
//! SQLite's single writer for long: writers queued behind it get their turn between batches.
//! Some records are kept a while past expiry so that a late use still reads as what it is:
//! a replayed code or refresh token still revokes its family (RFC 6749 §4.1.2, OAuth 2.1
//! §4.3.1), a late magic-link click still reads "expired".

use crate::{Result, SqlStore};

/// A day, the margin kept past expiry where a late use means something.
const DAY: i64 = 86_400;

/// How a purge runs: the time it purges up to, and its bounds.
#[derive(Debug, Clone, Copy)]
pub struct PurgePolicy {
    pub now: i64,
    /// Rows one statement deletes at most.
    pub batch: i64,
    /// Statements per table at most in one run (the rest waits for the next run).
    pub max_batches: u32,
}

impl PurgePolicy {
    /// 500 rows per statement, up to 200 statements per table and run.
    pub fn at(now: i64) -> Self {
        Self {
            now,
            batch: 500,
            max_batches: 200,
        }
    }
}

/// Rows deleted per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub deleted: Vec<(&'static str, u64)>,
}

impl PurgeReport {
    pub fn total(&self) -> u64 {
        self.deleted.iter().map(|(_, n)| n).sum()
    }
}

/// One kind of expired record: its table, key column, condition on `t` (the cutoff bound as
/// `$1`) and how long it is kept past expiry.
struct Rule {
    table: &'static str,
    key: &'static str,
    expired: &'static str,
    keep_secs: i64,
}

/// In dependency order: a family goes only once its codes and tokens have gone.
const RULES: &[Rule] = &[
    Rule {
        table: "authorization_codes",
        key: "code_hash",
        expired: "t.expires_at <= $1",
        keep_secs: DAY,
    },
    // Access tokens are refused by their `exp` already; an hour covers every clock leeway.
    Rule {
        table: "access_tokens",
        key: "jti",
        expired: "t.expires_at <= $1",
        keep_secs: 3_600,
    },
    Rule {
        table: "refresh_tokens",
        key: "token_hash",
        expired: "t.expires_at <= $1",
        keep_secs: DAY,
    },
    Rule {
        table: "oauth_grants",
        key: "grant_id",
        expired: "t.created_at <= $1 \
            AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = t.grant_id) \
            AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = t.grant_id) \
            AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = t.grant_id)",
        keep_secs: DAY,
    },
    Rule {
        table: "pending_authorizations",
        key: "id_hash",
        expired: "t.expires_at <= $1",
        keep_secs: 0,
    },
    Rule {
        table: "magic_link_tokens",
        key: "token_hash",
        expired: "t.expires_at <= $1",
        keep_secs: DAY,
    },
    // Issue 13 item 3: a day past expiry a code still reads "expired" rather than "unknown".
    Rule {
        table: "otp_codes",
        key: "code_id",
        expired: "t.expires_at <= $1",
        keep_secs: DAY,
    },
    // Their extra tokens (`member_session_tokens`) go with them (ON DELETE CASCADE).
    Rule {
        table: "member_sessions",
        key: "member_session_id",
        expired: "t.expires_at <= $1",
        keep_secs: 0,
    },
    // MFA (0020): intermediate sessions past their ten minutes, TOTP registrations never
    // confirmed in time (their recovery codes go with them, ON DELETE CASCADE).
    Rule {
        table: "intermediate_sessions",
        key: "token_hash",
        expired: "t.expires_at <= $1",
        keep_secs: 0,
    },
    Rule {
        table: "totp_registrations",
        key: "totp_registration_id",
        expired: "t.verified = 0 AND t.expires_at <= $1",
        keep_secs: 0,
    },
];

impl SqlStore {
    pub(crate) async fn purge_expired_impl(&self, p: PurgePolicy) -> Result<PurgeReport> {
        let batch = p.batch.max(1);
        let mut report = PurgeReport::default();
        for rule in RULES {
            let (table, key, expired) = (rule.table, rule.key, rule.expired);
            let sql = format!(
                "DELETE FROM {table} WHERE {key} IN \
                 (SELECT t.{key} FROM {table} t WHERE {expired} LIMIT {batch})"
            );
            let mut deleted = 0u64;
            for _ in 0..p.max_batches {
                let done = sqlx::query(&sql)
                    .bind(p.now - rule.keep_secs)
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                deleted += done;
                if done < batch.unsigned_abs() {
                    break;
                }
            }
            report.deleted.push((rule.table, deleted));
        }
        Ok(report)
    }
}
