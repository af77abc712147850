//! Refresh tokens (RFC 6749 §6, OAuth 2.1 §4.3.1, Stytch §6.5). Stytch's semantics:
//! public clients rotate (each refresh returns a new token; the old one is spent), confidential
//! clients keep one token whose expiry slides forward with each use and get no new
//! `refresh_token` in the response.
//!
//! Reuse of a spent token is the signature of theft (OAuth 2.1 §4.3.1): the whole family is
//! revoked. Agents run tool calls in parallel, though, and several may refresh with the same
//! token at once; within a short grace window the same client gets the same successor instead.
//! The successor is derived from the spent token with a server-side key
//! (`HMAC-SHA256(key, token)`), so it can be handed out again without ever being stored in the
//! clear, and cannot be computed by anyone holding only the spent token.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::client::ClientType;
use super::error::OAuthError;
use super::grant::Grant;

/// Refresh tokens live three months from issuance (public) or from last use (confidential).
pub const REFRESH_LIFETIME_SECS: i64 = 90 * 86_400;

/// How a client's refresh tokens behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshPolicy {
    /// Public clients: a new token on every refresh.
    Rotate,
    /// Confidential clients: the same token, expiry extended on each use.
    Slide,
}

impl RefreshPolicy {
    pub fn for_client(t: ClientType) -> Self {
        if t.is_public() {
            RefreshPolicy::Rotate
        } else {
            RefreshPolicy::Slide
        }
    }
}

/// What the store keeps for a refresh token (the token only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub grant: Grant,
    pub expires_at: i64,
    /// Set once a rotating token has been exchanged for its successor.
    pub rotated_at: Option<i64>,
    /// RFC 9449 §5: the DPoP key (RFC 7638 thumbprint) a public client's refresh token is
    /// bound to; every refresh must carry a proof by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}

/// RFC 9449 §5: a refresh token bound to a key is refused without a proof by that key.
pub fn check_binding(bound: Option<&str>, proof_jkt: Option<&str>) -> Result<(), OAuthError> {
    match (bound, proof_jkt) {
        (Some(b), Some(p)) if b == p => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "The refresh token is bound to another DPoP key.",
        )),
        (Some(_), None) => Err(OAuthError::new(
            super::error::OAuthErrorCode::InvalidDpopProof,
            "The refresh token is bound to a DPoP key: send a DPoP proof by it.",
        )),
        (None, _) => Ok(()),
    }
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Rotate: spend this token and issue its successor, valid until `expires_at`.
    Rotate { expires_at: i64 },
    /// Slide: keep the token, new expiry.
    Slide { expires_at: i64 },
    /// A parallel refresh within the grace window: hand out the existing successor again.
    ReplaySuccessor,
    /// A spent token used again after the grace window: revoke the family.
    Reuse,
}

/// Decides a refresh. `grace_secs` is the parallel-refresh window (0 disables it).
pub fn decide(
    record: &RefreshRecord,
    client_id: &str,
    policy: RefreshPolicy,
    now: i64,
    grace_secs: i64,
) -> Result<RefreshDecision, OAuthError> {
    if record.grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The refresh token was issued to another client.",
        ));
    }
    if let Some(spent) = record.rotated_at {
        return Ok(if within_grace(spent, now, grace_secs) {
            RefreshDecision::ReplaySuccessor
        } else {
            RefreshDecision::Reuse
        });
    }
    if record.expires_at <= now {
        return Err(OAuthError::invalid_grant("The refresh token has expired."));
    }
    Ok(match policy {
        RefreshPolicy::Rotate => RefreshDecision::Rotate {
            expires_at: now + REFRESH_LIFETIME_SECS,
        },
        RefreshPolicy::Slide => RefreshDecision::Slide {
            expires_at: now + REFRESH_LIFETIME_SECS,
        },
    })
}

/// Whether a token spent at `spent` may still be replayed at `now`. Times are whole seconds, so
/// `now - spent <= 0` would hold within the second of the rotation: a window of 0 must mean none
/// at all (security review #11).
pub fn within_grace(spent: i64, now: i64, grace_secs: i64) -> bool {
    grace_secs > 0 && now - spent <= grace_secs
}

/// The successor of a rotating refresh token: `base64url(HMAC-SHA256(key, token))`.
pub fn successor(key: &[u8], token: &str) -> String {
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map(|mut m| {
        m.update(b"latchkey refresh successor v1\0");
        m.update(token.as_bytes());
        m.finalize().into_bytes()
    });
    match mac {
        Ok(bytes) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => String::new(),
    }
}

/// Narrows the scopes on refresh (RFC 6749 §6): a requested `scope` must be a subset of the
/// grant's; absent means unchanged.
pub fn narrow_scopes(grant: &Grant, requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(req) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(grant.scopes.clone());
    };
    let mut out = Vec::new();
    for s in req.split_ascii_whitespace() {
        if !grant.scopes.iter().any(|g| g == s) {
            return Err(OAuthError::invalid_scope(format!(
                "Scope {s:?} was not granted."
            )));
        }
        if !out.iter().any(|x: &String| x == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rotated_at: Option<i64>) -> RefreshRecord {
        RefreshRecord {
            jkt: None,
            grant: Grant {
                grant_id: "g".into(),
                project_id: "p".into(),
                client_id: "c".into(),
                member_id: "m".into(),
                organization_id: "o".into(),
                member_session_id: None,
                scopes: vec!["openid".into(), "offline_access".into(), "read:docs".into()],
                nonce: None,
                auth_time: 0,
                resources: vec![],
            },
            expires_at: 1_000,
            rotated_at,
        }
    }

    #[test]
    fn policies() {
        assert_eq!(
            RefreshPolicy::for_client(ClientType::ThirdPartyPublic),
            RefreshPolicy::Rotate
        );
        assert_eq!(
            RefreshPolicy::for_client(ClientType::FirstParty),
            RefreshPolicy::Slide
        );
        assert!(matches!(
            decide(&record(None), "c", RefreshPolicy::Rotate, 10, 5),
            Ok(RefreshDecision::Rotate { .. })
        ));
        assert_eq!(
            decide(&record(None), "c", RefreshPolicy::Slide, 10, 5),
            Ok(RefreshDecision::Slide {
                expires_at: 10 + REFRESH_LIFETIME_SECS
            })
        );
    }

    #[test]
    fn reuse_and_grace() {
        assert_eq!(
            decide(&record(Some(100)), "c", RefreshPolicy::Rotate, 104, 5),
            Ok(RefreshDecision::ReplaySuccessor)
        );
        assert_eq!(
            decide(&record(Some(100)), "c", RefreshPolicy::Rotate, 106, 5),
            Ok(RefreshDecision::Reuse)
        );
        assert_eq!(
            decide(&record(Some(100)), "c", RefreshPolicy::Rotate, 100, 1),
            Ok(RefreshDecision::ReplaySuccessor)
        );
        assert!(decide(&record(None), "other", RefreshPolicy::Rotate, 10, 5).is_err());
        assert!(
            decide(&record(None), "c", RefreshPolicy::Rotate, 1_000, 5).is_err(),
            "expired"
        );
    }

    /// A window of 0 is none: even a replay within the second of the rotation is reuse.
    #[test]
    fn grace_zero_disables_the_window() {
        for now in [100, 101] {
            assert_eq!(
                decide(&record(Some(100)), "c", RefreshPolicy::Rotate, now, 0),
                Ok(RefreshDecision::Reuse)
            );
        }
        assert!(!within_grace(100, 100, 0));
        assert!(!within_grace(100, 100, -5));
        assert!(within_grace(100, 100, 1));
    }

    #[test]
    fn successors_are_keyed_and_stable() {
        let a = successor(b"key-1", "token");
        assert_eq!(a, successor(b"key-1", "token"));
        assert_ne!(a, successor(b"key-2", "token"));
        assert_ne!(a, successor(b"key-1", "token2"));
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn narrowing() {
        let r = record(None);
        assert_eq!(narrow_scopes(&r.grant, None).unwrap().len(), 3);
        assert_eq!(
            narrow_scopes(&r.grant, Some("read:docs openid")).unwrap(),
            vec!["read:docs", "openid"]
        );
        assert!(narrow_scopes(&r.grant, Some("write:docs")).is_err());
    }
}
