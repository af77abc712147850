//! DPoP proof validation (RFC 9449 §4.2, §4.3, §7.1; issue 14 item 6, first part): a pure check
//! of one `DPoP` header value against the request it came with. It verifies the JOSE header
//! (`typ: dpop+jwt`, an asymmetric `alg`, a public `jwk` and nothing private), the signature
//! with that key, `htm`, `htu` (compared after RFC 3986 normalization, without query and
//! fragment), `iat` within the window, `ath` when an access token is presented, the server
//! `nonce` when one is required, and returns the key's RFC 7638 thumbprint (`jkt`, what
//! `cnf.jkt` binds) and the `jti`. Remembering `jti`s (replay) and issuing nonces need state and
//! belong to the caller: [`Proof::replay_key`] is what it records, until [`Proof::keep_until`].
//!
//! Used by the token endpoint and userinfo (`latchkey-server`'s `oauth::dpop`).

use aws_lc_rs::signature::{
    RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519,
    RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// RFC 9449 §4.2.
pub const TYP: &str = "dpop+jwt";
/// `dpop_signing_alg_values_supported`. `Ed25519` is the fully-specified name of EdDSA with
/// Ed25519 (RFC 9864), which current DPoP libraries (panva's `dpop` 2.x) send.
pub const ALGORITHMS: [&str; 5] = ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"];
/// How old a proof may be (RFC 9449 §11.1 leaves the window to the server).
pub const MAX_AGE_SECS: i64 = 300;
/// How far ahead of our clock a proof's `iat` may be.
pub const SKEW_SECS: i64 = 60;
const MAX_PROOF_LEN: usize = 8 * 1024;
const MAX_JTI_LEN: usize = 256;
/// JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// Why a proof is refused: `invalid_dpop_proof`, or `use_dpop_nonce` when the server's nonce is
/// missing or stale (RFC 9449 §7.1, §8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    #[error("{0}")]
    Invalid(String),
    #[error("The DPoP proof must carry the server's current nonce.")]
    UseNonce,
}

impl DpopError {
    /// The OAuth `error` code (RFC 9449 §12.2).
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_dpop_proof",
            Self::UseNonce => "use_dpop_nonce",
        }
    }
}

fn bad(why: impl Into<String>) -> DpopError {
    DpopError::Invalid(why.into())
}

/// The request a proof must match.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The HTTP method, as sent (`POST`).
    pub htm: &'a str,
    /// The request's URL as this server is reached (its public origin and the path).
    pub htu: &'a str,
    pub now: i64,
    /// The access token presented with the proof (a resource request), whose hash `ath` must be.
    pub access_token: Option<&'a str>,
    /// The nonce the server requires, if any.
    pub nonce: Option<&'a str>,
}

/// A valid proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 SHA-256 thumbprint of the proof's key (`cnf.jkt`, RFC 9449 §6.1).
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

impl Proof {
    /// What to remember to refuse a replay: per key, since `jti`s are chosen by the key holder.
    pub fn replay_key(&self) -> String {
        format!("dpop\n{}\n{}", self.jkt, self.jti)
    }

    /// Until when a replay could still be accepted (the record may go after).
    pub fn keep_until(&self) -> i64 {
        self.iat + MAX_AGE_SECS + SKEW_SECS
    }
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    B64.encode(Sha256::digest(access_token.as_bytes()))
}

/// Checks one proof against the request (see the module header).
pub fn verify(proof: &str, expect: &Expect<'_>) -> Result<Proof, DpopError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(bad("The DPoP proof is too long."));
    }
    let mut parts = proof.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("The DPoP proof is not a compact JWS (three segments)."));
    };
    let header = decode_json(h, "header")?;
    let claims = decode_json(p, "claims")?;
    let signature = B64
        .decode(s)
        .map_err(|_| bad("The DPoP proof's signature is not base64url."))?;
    let typ = header["typ"].as_str().map(str::to_ascii_lowercase);
    let typ = typ
        .as_deref()
        .map(|t| t.strip_prefix("application/").unwrap_or(t));
    if typ != Some(TYP) {
        return Err(bad("The DPoP proof's typ must be dpop+jwt."));
    }
    let alg = header["alg"].as_str().unwrap_or_default();
    if !ALGORITHMS.contains(&alg) {
        return Err(bad(format!(
            "The DPoP proof's alg {alg:?} is not accepted; use ES256, RS256, PS256, EdDSA or Ed25519."
        )));
    }
    let jwk = header
        .get("jwk")
        .filter(|j| j.is_object())
        .ok_or_else(|| bad("The DPoP proof has no jwk (an object) in its header."))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk.get(m).is_some()) {
        return Err(bad("The DPoP proof's jwk must not contain a private key."));
    }
    let signed = &proof[..h.len() + 1 + p.len()];
    check_signature(alg, jwk, signed.as_bytes(), &signature)?;
    check_claims(&claims, expect)?;
    Ok(Proof {
        jkt: thumbprint(jwk)?,
        jti: claims["jti"].as_str().unwrap_or_default().to_string(),
        iat: claims["iat"].as_i64().unwrap_or_default(),
    })
}

fn decode_json(segment: &str, what: &str) -> Result<Value, DpopError> {
    let bytes = B64
        .decode(segment)
        .map_err(|_| bad(format!("The DPoP proof's {what} is not base64url.")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(bad(format!(
            "The DPoP proof's {what} is not a JSON object."
        ))),
    }
}

fn member(jwk: &Value, name: &str) -> Result<Vec<u8>, DpopError> {
    jwk[name]
        .as_str()
        .and_then(|v| B64.decode(v).ok())
        .ok_or_else(|| bad(format!("The DPoP proof's jwk has no usable {name}.")))
}

/// Verifies the signature with the header's key, which must suit the algorithm.
fn check_signature(alg: &str, jwk: &Value, signed: &[u8], sig: &[u8]) -> Result<(), DpopError> {
    let kty = jwk["kty"].as_str().unwrap_or_default();
    let crv = jwk["crv"].as_str().unwrap_or_default();
    let ok = match (alg, kty, crv) {
        ("ES256", "EC", "P-256") => {
            let (x, y) = (member(jwk, "x")?, member(jwk, "y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(bad("The DPoP proof's P-256 key is malformed."));
            }
            let point = [&[0x04][..], &x, &y].concat();
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(signed, sig)
                .is_ok()
        }
        ("RS256" | "PS256", "RSA", _) => {
            let key = RsaPublicKeyComponents {
                n: member(jwk, "n")?,
                e: member(jwk, "e")?,
            };
            let params = if alg == "RS256" {
                &RSA_PKCS1_2048_8192_SHA256
            } else {
                &RSA_PSS_2048_8192_SHA256
            };
            key.verify(params, signed, sig).is_ok()
        }
        ("EdDSA" | "Ed25519", "OKP", "Ed25519") => {
            UnparsedPublicKey::new(&ED25519, member(jwk, "x")?)
                .verify(signed, sig)
                .is_ok()
        }
        _ => {
            return Err(bad(format!(
                "The DPoP proof's jwk does not suit alg {alg}."
            )))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(bad(
            "The DPoP proof's signature does not verify with its jwk.",
        ))
    }
}

fn check_claims(claims: &Value, expect: &Expect<'_>) -> Result<(), DpopError> {
    let jti = claims["jti"].as_str().unwrap_or_default();
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(bad("The DPoP proof has no jti."));
    }
    // RFC 9110 §9.1: methods are case-sensitive.
    if claims["htm"].as_str() != Some(expect.htm) {
        return Err(bad(format!("The DPoP proof's htm is not {}.", expect.htm)));
    }
    let htu = claims["htu"].as_str().and_then(normalized);
    if htu.is_none() || htu != normalized(expect.htu) {
        return Err(bad("The DPoP proof's htu is not this request's URL."));
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or_else(|| bad("The DPoP proof has no iat."))?;
    if iat > expect.now + SKEW_SECS || iat < expect.now - MAX_AGE_SECS {
        return Err(bad(
            "The DPoP proof's iat is outside the acceptance window.",
        ));
    }
    if let Some(token) = expect.access_token {
        if claims["ath"].as_str() != Some(ath(token).as_str()) {
            return Err(bad(
                "The DPoP proof's ath is not the hash of the access token.",
            ));
        }
    }
    if let Some(n) = expect.nonce {
        if claims["nonce"].as_str() != Some(n) {
            return Err(DpopError::UseNonce);
        }
    }
    Ok(())
}

/// `htu` without query and fragment, RFC 3986 §6.2.2 normalized (scheme and host lowercase,
/// default port dropped, dot segments removed), as the `url` crate parses it.
fn normalized(raw: &str) -> Option<String> {
    let mut u = url::Url::parse(raw).ok()?;
    if !matches!(u.scheme(), "https" | "http") || !u.username().is_empty() || u.password().is_some()
    {
        return None;
    }
    u.set_query(None);
    u.set_fragment(None);
    Some(u.to_string())
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) over the required members in lexicographic
/// order, no whitespace.
pub fn thumbprint(jwk: &Value) -> Result<String, DpopError> {
    let s = |n: &str| {
        jwk[n]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(format!("The jwk has no {n}.")))
    };
    let canonical = match jwk["kty"].as_str() {
        Some("EC") => json!({"crv": s("crv")?, "kty": "EC", "x": s("x")?, "y": s("y")?}),
        Some("RSA") => json!({"e": s("e")?, "kty": "RSA", "n": s("n")?}),
        Some("OKP") => json!({"crv": s("crv")?, "kty": "OKP", "x": s("x")?}),
        _ => return Err(bad("The jwk's kty is not EC, RSA or OKP.")),
    };
    // serde_json's map keeps keys sorted (no `preserve_order`), as RFC 7638 §3.3 requires.
    let text = serde_json::to_string(&canonical).map_err(|_| bad("The jwk cannot be hashed."))?;
    Ok(B64.encode(Sha256::digest(text.as_bytes())))
}

#[cfg(test)]
mod tests;
