//! DPoP (RFC 9449; issue 14 item 6) at the token endpoint and at userinfo: the `DPoP` header
//! checked by the core checker ([`latchkey_core::oauth::dpop`]) against the issuer-based URL
//! of the endpoint (never one built from `Host` beyond what [`crate::issuer`] allows), and its
//! `jti` remembered (hashed, until the proof could no longer be accepted) so that a replay is
//! refused; the INSERT that records it is the check, so of two concurrent uses one wins.
//! No server nonce is required (RFC 9449 §8 makes it optional).

use axum::http::HeaderMap;
use latchkey_core::oauth::dpop::{self, DpopError, Expect, Proof};
use latchkey_core::oauth::{OAuthError, OAuthErrorCode};
use latchkey_core::secret::SecretHash;

use super::envelope::OAuthFailure;
use crate::state::AppState;

/// `token_type` of a token response: `DPoP` when bound (RFC 9449 §5), else Stytch's `bearer`.
pub fn token_type(jkt: Option<&str>) -> &'static str {
    if jkt.is_some() {
        "DPoP"
    } else {
        "bearer"
    }
}

fn invalid(why: impl Into<String>) -> OAuthFailure {
    OAuthError::new(OAuthErrorCode::InvalidDpopProof, why).into()
}

/// The request's DPoP proof, checked and spent; `None` when it carries none. `htu` is the
/// endpoint's URL under the issuer; `access_token` is the token presented with it (resource
/// requests, for `ath`).
pub async fn proof(
    state: &AppState,
    headers: &HeaderMap,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
) -> Result<Option<Proof>, OAuthFailure> {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // RFC 9449 §4.3: exactly one DPoP header.
    if values.next().is_some() {
        return Err(invalid("Send exactly one DPoP header."));
    }
    let text = value
        .to_str()
        .map_err(|_| invalid("The DPoP header is not ASCII."))?;
    let now = state.clock.now().unix_timestamp();
    let expect = Expect {
        htm,
        htu,
        now,
        access_token,
        nonce: None,
    };
    let proof = dpop::verify(text, &expect).map_err(|e| match e {
        DpopError::Invalid(why) => invalid(why),
        DpopError::UseNonce => invalid("The DPoP proof must carry the server's nonce."),
    })?;
    let key = SecretHash::of(&proof.replay_key());
    if !state
        .store
        .use_dpop_jti(key.as_str(), proof.keep_until())
        .await?
    {
        return Err(invalid("The DPoP proof was used before (jti replayed)."));
    }
    Ok(Some(proof))
}
