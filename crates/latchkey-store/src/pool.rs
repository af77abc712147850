//! Pool behaviour both engines share: when a pooled connection is checked before use.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::Connection;

/// A connection idle at least this long is pinged before it is handed out.
pub(crate) const IDLE_CHECK: Duration = Duration::from_secs(30);

/// sqlx pings every connection it takes from the pool by default (`test_before_acquire`): on
/// PostgreSQL a network round trip, on SQLite a hand-off to the connection's thread and back,
/// before every query and transaction (it doubled the round trips of an introspection; see
/// docs/benchmarks.md). A connection in steady use is known to be alive, so only one that sat
/// idle for [`IDLE_CHECK`] is pinged; a failed ping discards it and sqlx takes or opens another.
/// A connection that breaks while in use fails that statement as before.
pub(crate) fn checked_when_idle(options: AnyPoolOptions) -> AnyPoolOptions {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= IDLE_CHECK {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
