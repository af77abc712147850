//! Failed-login lockout and per-address throttling for password logins (pure rules; the
//! caller counts failures in the store and passes `now`).
//!
//! - A member is locked after [`LockoutPolicy::member_max_failures`] wrong passwords within
//!   [`LockoutPolicy::member_window_secs`], for [`LockoutPolicy::lock_secs`] (10 in an hour,
//!   locked an hour: Stytch's documented password lockout). The lock shows on the Member
//!   object (`is_locked`, `lock_created_at`, `lock_expires_at`) and a locked member's logins
//!   answer 429 `user_lock_limit_reached` even with the right password.
//! - A client address with more than [`LockoutPolicy::address_max_failures`] failures within
//!   [`LockoutPolicy::address_window_secs`] gets 429 `too_many_requests` *before* any
//!   password is checked, and those refused attempts count toward no member's lock: one
//!   address can lock at most two members per window instead of everyone.
//! - IPv6 clients are bucketed by /64 (one host usually holds a whole /64).

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use crate::clock::rfc3339;
use crate::ApiError;

/// The thresholds; [`LockoutPolicy::default`] is what latchkey uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub member_max_failures: i64,
    pub member_window_secs: i64,
    pub lock_secs: i64,
    pub address_max_failures: i64,
    pub address_window_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            member_max_failures: 10,
            member_window_secs: 3600,
            lock_secs: 3600,
            address_max_failures: 20,
            address_window_secs: 900,
        }
    }
}

impl LockoutPolicy {
    /// How long counters must be kept (for purging).
    pub fn longest_window_secs(&self) -> i64 {
        self.member_window_secs.max(self.address_window_secs)
    }
}

/// A lock to put on a member, as the Member object shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub created_at: String,
    pub expires_at: String,
}

/// The bucket an address's failures are counted in: the IPv4 address, or an IPv6 /64
/// (IPv4-mapped IPv6 addresses count as IPv4). `None` (no peer address known) is one bucket.
pub fn address_bucket(ip: Option<IpAddr>) -> String {
    match ip.map(|i| i.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

/// Refuses the attempt when the address already has too many failures in its window.
pub fn check_address(failures_in_window: i64, policy: &LockoutPolicy) -> Result<(), ApiError> {
    if failures_in_window >= policy.address_max_failures {
        return Err(ApiError::new(
            429,
            "too_many_requests",
            "Too many requests have been made.",
        ));
    }
    Ok(())
}

/// The lock to apply after a failure that brought the member's count to `failures`, if any.
pub fn lock_after_failure(
    failures: i64,
    now: OffsetDateTime,
    policy: &LockoutPolicy,
) -> Option<Lock> {
    (failures >= policy.member_max_failures).then(|| Lock {
        created_at: rfc3339(now),
        expires_at: rfc3339(now + Duration::seconds(policy.lock_secs)),
    })
}

/// True while a lock with this `lock_expires_at` holds at `now`. An unreadable time counts as
/// locked (fail closed) only when `is_locked` says so.
pub fn is_locked(is_locked: bool, lock_expires_at: Option<&str>, now: OffsetDateTime) -> bool {
    if !is_locked {
        return false;
    }
    let Some(expires) = lock_expires_at else {
        return true;
    };
    match OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339) {
        Ok(t) => t > now,
        Err(_) => true,
    }
}

/// The error a locked member's login gets (Stytch 429 `user_lock_limit_reached`).
pub fn locked_error() -> ApiError {
    ApiError::new(
        429,
        "user_lock_limit_reached",
        "The user has been locked out due to too many failed authentication attempts. Please try again later.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

    #[test]
    fn member_locks_at_the_tenth_failure_for_an_hour() {
        let p = LockoutPolicy::default();
        assert_eq!(lock_after_failure(9, NOW, &p), None);
        let lock = lock_after_failure(10, NOW, &p).unwrap();
        assert_eq!(lock.created_at, "2026-01-02T03:04:05Z");
        assert_eq!(lock.expires_at, "2026-01-02T04:04:05Z");
        assert!(is_locked(true, Some(&lock.expires_at), NOW));
        assert!(is_locked(
            true,
            Some(&lock.expires_at),
            NOW + Duration::minutes(59)
        ));
        assert!(!is_locked(
            true,
            Some(&lock.expires_at),
            NOW + Duration::hours(1)
        ));
        assert!(!is_locked(false, Some(&lock.expires_at), NOW));
        assert!(is_locked(true, Some("garbage"), NOW), "fail closed");
        assert_eq!(locked_error().status, 429);
    }

    #[test]
    fn address_throttle_refuses_the_twenty_first_attempt() {
        let p = LockoutPolicy::default();
        assert!(check_address(19, &p).is_ok());
        let e = check_address(20, &p).unwrap_err();
        assert_eq!(
            (e.status, e.error_type.as_ref()),
            (429, "too_many_requests")
        );
    }

    #[test]
    fn address_buckets() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(address_bucket(Some(v4)), "203.0.113.7");
        assert_eq!(address_bucket(Some(mapped)), "203.0.113.7");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_bucket(Some(a)), address_bucket(Some(b)));
        assert_eq!(address_bucket(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(address_bucket(None), "unknown");
    }
}
