//! The only place that reads the wall clock and the operating system's random number
//! generator. Everything else takes `now` and a [`TokenGenerator`] as parameters.

use rand::RngCore;
use time::OffsetDateTime;
use uuid::Uuid;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the wall clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Where identifiers and secrets come from.
pub trait TokenGenerator: Send + Sync {
    /// A random (v4) UUID for resource identifiers.
    fn uuid(&self) -> Uuid;
    /// `N` random bytes for secrets, tokens and codes.
    fn fill(&self, out: &mut [u8]);
}

/// Cryptographically secure randomness from the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsTokens;

impl TokenGenerator for OsTokens {
    fn uuid(&self) -> Uuid {
        let mut b = [0u8; 16];
        self.fill(&mut b);
        uuid::Builder::from_random_bytes(b).into_uuid()
    }

    fn fill(&self, out: &mut [u8]) {
        rand::rngs::OsRng.fill_bytes(out);
    }
}

/// Formats a timestamp the way Stytch does: RFC 3339, whole seconds, `Z`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rfc3339_is_whole_seconds_utc() {
        assert_eq!(
            rfc3339(datetime!(2021-12-29 12:33:09.123 UTC)),
            "2021-12-29T12:33:09Z"
        );
    }

    #[test]
    fn os_tokens_are_random() {
        assert_ne!(OsTokens.uuid(), OsTokens.uuid());
    }
}
