//! The device authorization grant's rules (RFC 8628; issue 14 item 5): who may start one
//! (`device_code_allowed`), the user code (RFC 8628 §6.1: 8 characters from an alphabet of
//! consonants without look-alikes, shown as `XXXX-XXXX`, and how a typed code is normalized),
//! and what a poll of the token endpoint gets (§3.4, §3.5): `authorization_pending`,
//! `slow_down` (the interval grows by 5 seconds, §3.5), `expired_token`, `access_denied`, or the
//! grant to issue tokens on.

use serde::{Deserialize, Serialize};

use super::error::{OAuthError, OAuthErrorCode};
use super::grant::Grant;
use crate::clock::TokenGenerator;

/// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §6.1: base-20, no vowels (no words), no look-alike letters.
pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters of a user code: 20^8 ≈ 2^34.6 codes (RFC 8628 §5.1 with rate limiting).
pub const USER_CODE_LEN: usize = 8;
/// How long a device request lives (`expires_in`).
pub const LIFETIME_SECS: i64 = 600;
/// The minimum polling interval (`interval`, RFC 8628 §3.2 default).
pub const INTERVAL_SECS: i64 = 5;
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval.
pub const SLOW_DOWN_SECS: i64 = 5;

/// The client may start device requests: `device_code_allowed` is on (RFC 8628 §3.1: otherwise
/// `unauthorized_client`).
pub fn check_allowed(device_code_allowed: bool) -> Result<(), OAuthError> {
    if device_code_allowed {
        Ok(())
    } else {
        Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "This client may not use the device authorization grant (device_code_allowed is off).",
        ))
    }
}

/// A fresh user code, undashed (`BCDFGHJK`), uniformly from [`ALPHABET`] (rejection sampling).
pub fn new_user_code(tokens: &dyn TokenGenerator) -> String {
    let mut out = String::with_capacity(USER_CODE_LEN);
    while out.len() < USER_CODE_LEN {
        let mut b = [0u8; 16];
        tokens.fill(&mut b);
        // 240 = 12 × 20: bytes at or above it would bias the first letters.
        for x in b.into_iter().filter(|x| *x < 240) {
            if out.len() < USER_CODE_LEN {
                out.push(char::from(ALPHABET[usize::from(x % 20)]));
            }
        }
    }
    out
}

/// `XXXX-XXXX`, as shown to the member (RFC 8628 §6.1).
pub fn display(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(USER_CODE_LEN / 2));
    format!("{a}-{b}")
}

/// A typed code as stored: case folded, dashes and spaces dropped (RFC 8628 §6.1). `None`
/// when it cannot be a user code, so nothing is looked up (and the attempt still counts).
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// Where a device request stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeviceStatus {
    Pending,
    /// The member consented; tokens are issued on this grant.
    Approved {
        grant: Box<Grant>,
    },
    Denied,
}

/// A device request as stored (both codes by hash, elsewhere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub project_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// RFC 8707 `resource` values of the device request.
    pub resources: Vec<String>,
    pub expires_at: i64,
    /// The interval the client must keep now (grows with `slow_down`).
    pub interval: i64,
    pub last_poll_at: Option<i64>,
    pub status: DeviceStatus,
    /// Tokens were issued already (single use).
    pub consumed: bool,
}

/// What a poll gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// Not decided yet; the poll is recorded with this interval.
    Pending { interval: i64 },
    /// Too fast: recorded with the longer interval, answered `slow_down`.
    SlowDown { interval: i64 },
    /// Approved: spend the device code, then issue on the grant.
    Issue(Box<Grant>),
}

/// The answer to a poll at `now` by `client_id` (RFC 8628 §3.4, §3.5). Errors that need no
/// write come back as `Err`; `Pending` and `SlowDown` are recorded by the caller.
pub fn poll(record: &DeviceRecord, client_id: &str, now: i64) -> Result<Poll, OAuthError> {
    // A device code issued to another client is as unknown to this one (RFC 6749 §5.2).
    if record.client_id != client_id {
        return Err(OAuthError::invalid_grant("The device code is not valid."));
    }
    if record.consumed {
        return Err(OAuthError::invalid_grant(
            "The device code has already been used.",
        ));
    }
    if now >= record.expires_at {
        return Err(OAuthError::new(
            OAuthErrorCode::ExpiredToken,
            "The device code has expired; start the device authorization again.",
        ));
    }
    match &record.status {
        DeviceStatus::Denied => Err(OAuthError::access_denied(
            "The member denied the device authorization request.",
        )),
        DeviceStatus::Approved { grant } => Ok(Poll::Issue(grant.clone())),
        DeviceStatus::Pending => {
            let too_fast = record
                .last_poll_at
                .is_some_and(|t| now - t < record.interval);
            Ok(if too_fast {
                Poll::SlowDown {
                    interval: record.interval + SLOW_DOWN_SECS,
                }
            } else {
                Poll::Pending {
                    interval: record.interval,
                }
            })
        }
    }
}

/// The error a recorded [`Poll::Pending`] / [`Poll::SlowDown`] is answered with.
pub fn poll_error(p: &Poll) -> Option<OAuthError> {
    match p {
        Poll::Pending { .. } => Some(OAuthError::new(
            OAuthErrorCode::AuthorizationPending,
            "The member has not yet completed the device authorization.",
        )),
        Poll::SlowDown { interval } => Some(OAuthError::new(
            OAuthErrorCode::SlowDown,
            format!("Polling too fast; wait at least {interval} seconds between requests."),
        )),
        Poll::Issue(_) => None,
    }
}

#[cfg(test)]
mod tests;
