//! Per-key send limits: Stytch allows one magic link email per second per email address
//! (across login-or-signup and invite). Kept in memory, so with several replicas each one
//! enforces it on its own.

use std::collections::HashMap;
use std::sync::Mutex;

use latchkey_core::ApiError;
use time::OffsetDateTime;

/// Entries older than the window are dropped once the map grows past this.
const PRUNE_ABOVE: usize = 10_000;

/// At most one send per key per window.
#[derive(Debug)]
pub struct SendLimiter {
    window_nanos: i128,
    last: Mutex<HashMap<String, i128>>,
}

impl SendLimiter {
    pub fn new(window: std::time::Duration) -> Self {
        SendLimiter {
            window_nanos: i128::try_from(window.as_nanos()).unwrap_or(i128::MAX),
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Records a send for `key` at `now`, or refuses with 429 `too_many_requests` when the
    /// previous one was less than a window ago.
    pub fn check(&self, key: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let t = now.unix_timestamp_nanos();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(prev) = last.get(key) {
            if t - prev < self.window_nanos {
                return Err(ApiError::new(
                    429,
                    "too_many_requests",
                    "Too many requests have been made.",
                ));
            }
        }
        if last.len() > PRUNE_ABOVE {
            let window = self.window_nanos;
            last.retain(|_, prev| t - *prev < window);
        }
        last.insert(key.to_string(), t);
        Ok(())
    }
}

/// Wrong answers per key (a client address) per fixed window: after `max` failures the key is
/// refused until the window turns. RFC 8628 §5.1: user codes are short, so guessing them must
/// be rate limited. In memory, per replica, like [`SendLimiter`].
#[derive(Debug)]
pub struct FailureLimiter {
    window_secs: i64,
    max: u32,
    failures: Mutex<HashMap<String, (i64, u32)>>,
}

impl FailureLimiter {
    pub fn new(window_secs: i64, max: u32) -> Self {
        FailureLimiter {
            window_secs: window_secs.max(1),
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// True while the key has failed fewer than `max` times in the current window.
    pub fn allowed(&self, key: &str, now: i64) -> bool {
        let window = now.div_euclid(self.window_secs);
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures
            .get(key)
            .is_none_or(|(w, n)| *w != window || *n < self.max)
    }

    /// Counts a wrong answer.
    pub fn fail(&self, key: &str, now: i64) {
        let window = now.div_euclid(self.window_secs);
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, (w, _)| *w == window);
        }
        let entry = failures.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn one_per_window_per_key() {
        let l = SendLimiter::new(std::time::Duration::from_secs(1));
        let t = datetime!(2026-01-01 00:00 UTC);
        l.check("a", t).unwrap();
        assert_eq!(
            l.check("a", t + time::Duration::milliseconds(500))
                .unwrap_err()
                .status,
            429
        );
        l.check("b", t).unwrap();
        l.check("a", t + time::Duration::milliseconds(1000))
            .unwrap();
    }

    #[test]
    fn failures_lock_out_until_the_window_turns() {
        let l = FailureLimiter::new(60, 2);
        assert!(l.allowed("a", 0));
        l.fail("a", 1);
        l.fail("a", 2);
        assert!(!l.allowed("a", 3));
        assert!(l.allowed("b", 3));
        assert!(l.allowed("a", 61));
    }
}
