//! Authorization codes (RFC 6749 §4.1, OAuth 2.1 §4.1, RFC 7636): issued by Submit, redeemed
//! once at the token endpoint by the client they were issued to, with the same redirect URI and
//! the PKCE verifier. Single use is enforced atomically by the store; this module decides
//! whether a code the store handed over may be redeemed.

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::grant::Grant;
use super::pkce::{check_code_verifier, PkceChallenge, PkceVerifier};

/// Codes live five minutes: long enough for a slow client, short enough to limit replay
/// (RFC 6749 §4.1.2 recommends at most ten).
pub const CODE_LIFETIME_SECS: i64 = 300;

/// What the store keeps for a code (the code itself only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
}

/// Checks a code presented at the token endpoint. `redirect_uri` may be omitted by the client
/// (Stytch's own CLI example does); when given it must equal the authorization request's.
pub fn redeem(
    record: &CodeRecord,
    client_id: &str,
    redirect_uri: Option<&str>,
    verifier: Option<PkceVerifier>,
    now: i64,
) -> Result<Grant, OAuthError> {
    if record.grant.client_id != client_id {
        // RFC 6749 §4.1.3: the code must have been issued to the authenticated client.
        return Err(OAuthError::invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if record.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "The authorization code has expired.",
        ));
    }
    if let Some(uri) = redirect_uri {
        if uri != record.redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the one of the authorization request.",
            ));
        }
    }
    let challenge = match &record.code_challenge {
        Some(c) => Some(PkceChallenge::parse(c).map_err(|e| e.to_oauth())?),
        None => None,
    };
    check_code_verifier(challenge.as_ref(), verifier).map_err(|e| e.to_oauth())?;
    Ok(record.grant.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::OAuthErrorCode;

    fn record(challenge: Option<&str>) -> CodeRecord {
        CodeRecord {
            grant: Grant {
                grant_id: "g".into(),
                project_id: "p".into(),
                client_id: "c".into(),
                member_id: "m".into(),
                organization_id: "o".into(),
                member_session_id: None,
                scopes: vec!["openid".into()],
                nonce: None,
                auth_time: 0,
                resources: vec![],
            },
            redirect_uri: "https://app.test/cb".into(),
            code_challenge: challenge.map(str::to_string),
            expires_at: 100,
        }
    }

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn verifier(s: &str) -> Option<PkceVerifier> {
        Some(PkceVerifier::parse(s).unwrap())
    }

    #[test]
    fn redeems_with_matching_client_uri_and_verifier() {
        let g = redeem(
            &record(Some(CHALLENGE)),
            "c",
            Some("https://app.test/cb"),
            verifier(VERIFIER),
            50,
        )
        .unwrap();
        assert_eq!(g.member_id, "m");
        assert!(
            redeem(&record(None), "c", None, None, 50).is_ok(),
            "redirect_uri may be omitted"
        );
    }

    #[test]
    fn refuses_every_mismatch() {
        let r = record(Some(CHALLENGE));
        let wrong_verifier = "x".repeat(43);
        let cases: Vec<(&str, Option<&str>, Option<PkceVerifier>, i64)> = vec![
            ("other", Some("https://app.test/cb"), verifier(VERIFIER), 50),
            ("c", Some("https://app.test/cb"), verifier(VERIFIER), 100),
            ("c", Some("https://app.test/cb/"), verifier(VERIFIER), 50),
            ("c", Some("https://app.test/cb"), None, 50),
            (
                "c",
                Some("https://app.test/cb"),
                verifier(&wrong_verifier),
                50,
            ),
        ];
        for (client, uri, v, now) in cases {
            let err = redeem(&r, client, uri, v, now).unwrap_err();
            assert_eq!(
                err.code,
                OAuthErrorCode::InvalidGrant,
                "{client} {uri:?} {now}"
            );
        }
        // A verifier where no challenge was sent is refused too (RFC 7636 §4.6 / OAuth 2.1).
        assert!(redeem(&record(None), "c", None, verifier(VERIFIER), 50).is_err());
    }
}
