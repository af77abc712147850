//! RS256 JWT verification against a [`KeySet`], with distinct error variants.
//!
//! Order of checks: size and shape → header (`alg` must be `RS256`, no `crit`, `kid` must be
//! known) → signature → header `typ` (`JWT`) → payload is a JSON object → claims (`exp`,
//! `nbf`, `iss`, `aud`). Nothing from the payload is looked at before the signature
//! verifies. The key is chosen by `kid` only; `jku`/`jwk`/`x5u` headers are ignored.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::keys::RS256;
use super::{b64url_decode, KeySet, VerifyError};

/// Tokens longer than this are rejected as malformed before any decoding.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a token's registered claims must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Accepted `iss` values, e.g. `https://{domain}` and `stytch.com/{project_id}` (spec §1.5).
    pub issuers: Vec<String>,
    /// A value `aud` (string or array) must contain: the project id for access tokens and
    /// session JWTs, the client id for ID tokens (spec §14.3, §14.4).
    pub audience: String,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: i64,
}

impl Expectations {
    /// Expectations with zero leeway.
    pub fn new<I, S>(issuers: I, audience: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            issuers: issuers.into_iter().map(Into::into).collect(),
            audience: audience.into(),
            leeway_secs: 0,
        }
    }

    /// Sets the clock-skew leeway in seconds (negative values count as zero).
    pub fn with_leeway(mut self, leeway_secs: i64) -> Self {
        self.leeway_secs = leeway_secs.max(0);
        self
    }
}

/// Verifies signature, header and all claims; returns the claims object.
pub fn verify_jwt(
    token: &str,
    keys: &KeySet,
    now: i64,
    expect: &Expectations,
) -> Result<Value, VerifyError> {
    let claims = verify_signature_inner(token, keys)?;
    check_time(&claims, now, expect.leeway_secs, true)?;
    check_iss_aud(&claims, expect)?;
    Ok(Value::Object(claims))
}

/// Like [`verify_jwt`] but accepts a token whose `exp` has passed (`exp` must still be
/// present and numeric; `nbf`, `iss`, `aud` are checked). For `sessions/authenticate`,
/// which accepts an expired session JWT if the underlying session is still valid (§15.6).
pub fn verify_jwt_allow_expired(
    token: &str,
    keys: &KeySet,
    now: i64,
    expect: &Expectations,
) -> Result<Value, VerifyError> {
    let claims = verify_signature_inner(token, keys)?;
    check_time(&claims, now, expect.leeway_secs, false)?;
    check_iss_aud(&claims, expect)?;
    Ok(Value::Object(claims))
}

/// Checks only `alg`, `kid`, signature and `typ`, and that the payload is a JSON object.
/// No claim is checked: the caller must validate whatever it relies on.
pub fn verify_signature_only(token: &str, keys: &KeySet) -> Result<Value, VerifyError> {
    verify_signature_inner(token, keys).map(Value::Object)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

fn verify_signature_inner(token: &str, keys: &KeySet) -> Result<Map<String, Value>, VerifyError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(VerifyError::Malformed("token too long"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed("not three dot-separated parts"));
    };
    let header_json =
        b64url_decode(header_b64).ok_or(VerifyError::Malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_json)
        .map_err(|_| VerifyError::Malformed("header is not a valid JSON object"))?;
    if header.alg != RS256 || header.crit.is_some() {
        return Err(VerifyError::UnsupportedAlgorithm);
    }
    let kid = header.kid.ok_or(VerifyError::UnknownKid)?;
    let key = keys.find(&kid).ok_or(VerifyError::UnknownKid)?;

    let signature =
        b64url_decode(sig_b64).ok_or(VerifyError::Malformed("signature is not base64url"))?;
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    let signing_input = token
        .get(..signed_len)
        .ok_or(VerifyError::Malformed("bad signing input"))?;
    if !key.verify(signing_input.as_bytes(), &signature) {
        return Err(VerifyError::BadSignature);
    }

    match header.typ.as_deref() {
        Some(typ) if typ.eq_ignore_ascii_case("JWT") => {}
        _ => return Err(VerifyError::WrongType),
    }

    let payload =
        b64url_decode(payload_b64).ok_or(VerifyError::Malformed("payload is not base64url"))?;
    match serde_json::from_slice::<Value>(&payload) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(VerifyError::Malformed("payload is not a JSON object")),
    }
}

/// Reads a NumericDate claim; `Ok(None)` if absent, `Err` if present but not a number.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                // `as` saturates; fractional NumericDates are allowed by RFC 7519 §2.
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(VerifyError::Malformed("NumericDate claim out of range")),
        Some(_) => Err(VerifyError::Malformed("NumericDate claim is not a number")),
    }
}

fn check_time(
    claims: &Map<String, Value>,
    now: i64,
    leeway: i64,
    enforce_exp: bool,
) -> Result<(), VerifyError> {
    let leeway = leeway.max(0);
    let exp = numeric_date(claims, "exp")?.ok_or(VerifyError::Malformed("missing exp"))?;
    // RFC 7519 §4.1.4: the current time must be before `exp`.
    if enforce_exp && now >= exp.saturating_add(leeway) {
        return Err(VerifyError::Expired);
    }
    if let Some(nbf) = numeric_date(claims, "nbf")? {
        if now.saturating_add(leeway) < nbf {
            return Err(VerifyError::NotYetValid);
        }
    }
    Ok(())
}

fn check_iss_aud(claims: &Map<String, Value>, expect: &Expectations) -> Result<(), VerifyError> {
    match claims.get("iss") {
        Some(Value::String(iss)) if expect.issuers.iter().any(|i| i == iss) => {}
        _ => return Err(VerifyError::WrongIssuer),
    }
    let ok = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == expect.audience,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|a| a.as_str() == Some(expect.audience.as_str())),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(VerifyError::WrongAudience)
    }
}
