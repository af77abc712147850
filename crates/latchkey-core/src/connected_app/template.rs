//! Custom claims templates: `access_token_template_content` and `id_token_template_content`
//! (spec §14.5, https://stytch.com/docs/multi-tenant-auth/manage-sessions/custom-claims).
//!
//! A template is "" (none) or a JSON object whose values are strings (which may hold
//! `{{ variable }}` expressions), numbers, booleans or nested objects with the same rules.
//! Registered JWT claims and the claims latchkey itself sets may not be overridden, and the
//! whole template is at most 4 KB.

use serde_json::{Map, Value};

use crate::ApiError;

/// Largest template, in bytes (Stytch: custom claims ≤ 4 KB).
pub const MAX_TEMPLATE_BYTES: usize = 4096;

/// Deepest nesting of objects accepted.
const MAX_DEPTH: usize = 8;

/// Prefix of Stytch's own namespaced claims (`https://stytch.com/organization`, ...).
const STYTCH_CLAIM_PREFIX: &str = "https://stytch.com/";

/// RFC 7519 §4.1 registered claims plus those latchkey sets on access tokens (spec §14.3).
const ACCESS_TOKEN_RESERVED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "scope",
    "client_id",
];

/// Additionally reserved in ID tokens: OpenID Connect Core §2 and §5.1 claims (spec §14.4).
const ID_TOKEN_RESERVED: &[&str] = &[
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "azp",
    "amr",
    "acr",
    "sid",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "name",
    "given_name",
    "middle_name",
    "family_name",
    "picture",
    "profile_picture",
    "locale",
];

/// Which token a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    AccessToken,
    IdToken,
}

impl TemplateKind {
    fn field(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token_template_content",
            Self::IdToken => "id_token_template_content",
        }
    }

    fn is_reserved(self, claim: &str) -> bool {
        claim.starts_with(STYTCH_CLAIM_PREFIX)
            || ACCESS_TOKEN_RESERVED.contains(&claim)
            || (self == Self::IdToken && ID_TOKEN_RESERVED.contains(&claim))
    }
}

/// Validates a template and returns it unchanged. Both kinds report
/// `idp_invalid_access_token_jwt_template` (the only template error Stytch's enum has).
pub fn validate_template(raw: &str, kind: TemplateKind) -> Result<String, ApiError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let bad = |why: String| {
        ApiError::bad_request(
            "idp_invalid_access_token_jwt_template",
            format!("{} {why}.", kind.field()),
        )
    };
    if raw.len() > MAX_TEMPLATE_BYTES {
        return Err(bad(format!("must be at most {MAX_TEMPLATE_BYTES} bytes")));
    }
    let value: Value =
        serde_json::from_str(raw).map_err(|e| bad(format!("is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad("must be a JSON object".into()));
    };
    if let Some(claim) = map.keys().find(|k| kind.is_reserved(k)) {
        return Err(bad(format!("may not set the reserved claim {claim:?}")));
    }
    check_object(&map, 1).map_err(bad)?;
    Ok(raw.to_string())
}

fn check_object(map: &Map<String, Value>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("nests objects deeper than {MAX_DEPTH} levels"));
    }
    for (key, value) in map {
        if key.is_empty() || key.contains("{{") {
            return Err(format!(
                "has the key {key:?}: keys must be non-empty literals, variables are only allowed as values"
            ));
        }
        match value {
            Value::String(s) => check_expressions(key, s)?,
            Value::Number(_) | Value::Bool(_) => {}
            Value::Object(inner) => check_object(inner, depth + 1)?,
            Value::Null | Value::Array(_) => {
                return Err(format!(
                    "has {key:?} set to an array or null: values must be strings, numbers, booleans or objects"
                ))
            }
        }
    }
    Ok(())
}

/// Each `{{` opens an expression closed by `}}` before the next `{{`, with a non-empty body.
fn check_expressions(key: &str, s: &str) -> Result<(), String> {
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("has an unclosed {{{{ in the value of {key:?}"))?;
        let body = &after[..close];
        if body.trim().is_empty() || body.contains("{{") {
            return Err(format!(
                "has a malformed {{{{ }}}} expression in the value of {key:?}"
            ));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}
