//! Claims of the tokens the authorization server issues: access tokens (RFC 9068 plus
//! Stytch's `scope`, `client_id` and `https://stytch.com/organization`, `aud` = the project id and
//! any custom audience), ID tokens (OIDC Core §2, §3.1.3.6: `aud` = the client, `nonce`,
//! `auth_time`, `at_hash`) and UserInfo (OIDC Core §5.3), with the standard claims each scope
//! allows (§5.4), and Stytch's custom-claims templates for access tokens.

use serde_json::{json, Map, Value};

use super::grant::Grant;
use super::scope::BuiltinScope;
use latchkey_types::{Member, Organization};

/// ID tokens live one hour (Stytch §14.4).
pub const ID_TOKEN_LIFETIME_SECS: i64 = 3600;
/// Registered claims a template may not set.
const RESERVED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "scope",
    "client_id",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
];

/// The `https://stytch.com/organization` claim every B2B token carries.
pub fn organization_claim(org: &Organization) -> Value {
    json!({"organization_id": org.organization_id, "slug": org.organization_slug})
}

/// Access token claims. `audience` is the project id plus the client's custom audience.
#[allow(clippy::too_many_arguments)]
pub fn access_token(
    grant: &Grant,
    scopes: &[String],
    issuer: &str,
    audience: &[String],
    org: &Organization,
    custom: &Map<String, Value>,
    jti: &str,
    now: i64,
    lifetime_secs: i64,
) -> Value {
    let mut claims = custom.clone();
    let fixed = json!({
        "iss": issuer,
        "sub": grant.member_id,
        "aud": audience,
        "client_id": grant.client_id,
        "exp": now + lifetime_secs,
        "nbf": now,
        "iat": now,
        "jti": jti,
        "scope": scopes.join(" "),
        "https://stytch.com/organization": organization_claim(org),
    });
    if let Value::Object(f) = fixed {
        claims.extend(f);
    }
    Value::Object(claims)
}

/// ID token claims for a grant that includes `openid`.
pub fn id_token(
    grant: &Grant,
    scopes: &[String],
    issuer: &str,
    member: &Member,
    org: &Organization,
    at_hash: &str,
    now: i64,
) -> Value {
    let mut claims = profile_claims(member, scopes);
    let fixed = json!({
        "iss": issuer,
        "sub": grant.member_id,
        "aud": [grant.client_id],
        "exp": now + ID_TOKEN_LIFETIME_SECS,
        "nbf": now,
        "iat": now,
        "auth_time": grant.auth_time,
        "at_hash": at_hash,
        "https://stytch.com/organization": organization_claim(org),
    });
    if let Value::Object(f) = fixed {
        claims.extend(f);
    }
    if let Some(n) = &grant.nonce {
        claims.insert("nonce".into(), n.clone().into());
    }
    Value::Object(claims)
}

/// UserInfo: `sub` plus what the token's scopes allow; claims that do not exist are omitted.
pub fn userinfo(member: &Member, scopes: &[String]) -> Map<String, Value> {
    let mut claims = profile_claims(member, scopes);
    claims.insert("sub".into(), member.member_id.clone().into());
    claims
}

fn profile_claims(member: &Member, scopes: &[String]) -> Map<String, Value> {
    let has = |s: BuiltinScope| scopes.iter().any(|x| x == s.as_str());
    let mut c = Map::new();
    if has(BuiltinScope::Email) {
        c.insert("email".into(), member.email_address.clone().into());
        c.insert(
            "email_verified".into(),
            member.email_address_verified.into(),
        );
    }
    if has(BuiltinScope::Profile) && !member.name.is_empty() {
        let mut parts = member.name.split_whitespace();
        let given = parts.next().unwrap_or_default().to_string();
        let family: Vec<&str> = parts.collect();
        c.insert("name".into(), member.name.clone().into());
        c.insert("given_name".into(), given.into());
        if !family.is_empty() {
            c.insert("family_name".into(), family.join(" ").into());
        }
    }
    if has(BuiltinScope::Phone) && !member.mfa_phone_number.is_empty() {
        c.insert(
            "phone_number".into(),
            member.mfa_phone_number.clone().into(),
        );
        c.insert(
            "phone_number_verified".into(),
            member.mfa_phone_number_verified.into(),
        );
    }
    c
}

/// Renders a client's `access_token_template_content` (Stytch custom claims templates): a JSON
/// object whose string values may be `{{ path }}` expressions over `{member, organization}`
/// (e.g. `{{ member.trusted_metadata.plan }}`, `{{ member.rbac.roles }}`). A value that resolves
/// to nothing omits the claim; registered claims are dropped.
pub fn render_template(
    template: &str,
    member: &Member,
    org: &Organization,
    roles: &[String],
) -> Map<String, Value> {
    let Ok(Value::Object(t)) = serde_json::from_str::<Value>(template) else {
        return Map::new();
    };
    let mut member_ctx = serde_json::to_value(member).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut member_ctx {
        m.insert("rbac".into(), json!({"roles": roles}));
    }
    let ctx = json!({"member": member_ctx, "organization": serde_json::to_value(org).unwrap_or(Value::Null)});
    let mut out = Map::new();
    for (k, v) in t {
        if RESERVED.contains(&k.as_str()) || k.starts_with("https://stytch.com/") {
            continue;
        }
        if let Some(v) = render_value(&v, &ctx) {
            out.insert(k, v);
        }
    }
    out
}

fn render_value(v: &Value, ctx: &Value) -> Option<Value> {
    match v {
        Value::String(s) => match template_path(s) {
            Some(path) => lookup(ctx, path).filter(|x| !x.is_null()).cloned(),
            None => Some(v.clone()),
        },
        Value::Object(o) => {
            let inner: Map<String, Value> = o
                .iter()
                .filter_map(|(k, v)| render_value(v, ctx).map(|r| (k.clone(), r)))
                .collect();
            Some(Value::Object(inner))
        }
        other => Some(other.clone()),
    }
}

/// `{{ a.b.c }}` → `a.b.c`.
fn template_path(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    (!inner.is_empty()).then_some(inner)
}

fn lookup<'a>(ctx: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(ctx, |cur, key| cur.get(key))
}

#[cfg(test)]
mod tests;
