//! Member session rules (https://stytch.com/docs/b2b/api/session-object, Stytch §15.6):
//! durations, starting and extending sessions, factors, custom claims, and the session JWT's
//! claims. Session tokens are random 256-bit values; only their hash is stored.

use base64::Engine;
use latchkey_types::{AuthenticationFactor, EmailFactor, Member, MemberSession, Organization};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::clock::{rfc3339, TokenGenerator};
use crate::secret::SecretHash;
use crate::ApiError;

/// Session JWTs live five minutes whatever the session's length (Stytch).
pub const SESSION_JWT_LIFETIME_SECS: i64 = 300;
/// Session length when a new session is made without `session_duration_minutes`.
pub const DEFAULT_SESSION_MINUTES: i64 = 60;
const MIN_SESSION_MINUTES: i64 = 5;
const MAX_SESSION_MINUTES: i64 = 527_040;
const MAX_CUSTOM_CLAIMS_BYTES: usize = 4096;
const RESERVED_CLAIMS: &[&str] = &["iss", "aud", "sub", "iat", "nbf", "exp", "jti"];

/// A stored session: what the database keeps (the token only as a hash).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub member_session_id: String,
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    pub started_at: i64,
    pub last_accessed_at: i64,
    pub expires_at: i64,
    pub factors: Vec<AuthenticationFactor>,
    pub custom_claims: Map<String, Value>,
}

/// A session token in the clear: handed to the client once. Redacted Debug, no Clone.
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate(tokens: &dyn TokenGenerator) -> Self {
        let mut b = [0u8; 32];
        tokens.fill(&mut b);
        SessionToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
    /// The stored form of a token presented by a caller.
    pub fn hash_of(presented: &str) -> SecretHash {
        SecretHash::of(presented)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// Validates `session_duration_minutes` (5 to 527040, Stytch).
pub fn duration(minutes: Option<i64>) -> Result<Option<i64>, ApiError> {
    match minutes {
        None => Ok(None),
        Some(m) if (MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES).contains(&m) => Ok(Some(m)),
        Some(_) => Err(ApiError::bad_request(
            "invalid_session_duration_minutes",
            "session_duration_minutes is invalid, should be between 5 to 527040 minutes.",
        )),
    }
}

/// A factor of `kind` delivered by `delivery` at `now`, with the member's email when it is an
/// email factor.
pub fn factor(
    kind: &str,
    delivery: &str,
    member: &Member,
    now: OffsetDateTime,
) -> AuthenticationFactor {
    let ts = rfc3339(now);
    // Email delivery proves the address; a password is looked up by the member's email, so its
    // factor names that address too (Stytch shows `email_factor` on both).
    let email_factor = (delivery == "email" || kind == "password").then(|| EmailFactor {
        email_id: format!("email-{}", member.member_id.trim_start_matches("member-")),
        email_address: member.email_address.clone(),
    });
    AuthenticationFactor {
        kind: kind.into(),
        delivery_method: delivery.into(),
        last_authenticated_at: ts.clone(),
        created_at: ts.clone(),
        updated_at: ts,
        email_factor,
        oauth_access_token_exchange_factor: None,
        phone_number_factor: None,
    }
}

/// When the session's member last proved a factor (OIDC `auth_time`): the latest
/// `last_authenticated_at`, else the session's start.
pub fn auth_time(record: &SessionRecord) -> i64 {
    record
        .factors
        .iter()
        .filter_map(|f| {
            OffsetDateTime::parse(
                &f.last_authenticated_at,
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        })
        .map(|t| t.unix_timestamp())
        .max()
        .unwrap_or(record.started_at)
}

/// Whether the session holds a factor that proves control of `email`: a password, magic link
/// or email OTP factor whose `email_factor` is that address. `sessions/exchange` requires one,
/// so an address an admin typed in (unverified) never opens another organization (issue 9 #2).
pub fn proves_email(record: &SessionRecord, email: &str) -> bool {
    record.factors.iter().any(|f| {
        matches!(f.kind.as_str(), "password" | "magic_link" | "email_otp")
            && f.email_factor
                .as_ref()
                .is_some_and(|e| e.email_address.eq_ignore_ascii_case(email))
    })
}

/// Starts a session for `member` with one factor.
pub fn start(
    session_id: String,
    project_id: &str,
    member: &Member,
    first_factor: AuthenticationFactor,
    minutes: Option<i64>,
    custom_claims: Option<&Map<String, Value>>,
    now: OffsetDateTime,
) -> Result<SessionRecord, ApiError> {
    let t = now.unix_timestamp();
    let mut record = SessionRecord {
        member_session_id: session_id,
        project_id: project_id.into(),
        organization_id: member.organization_id.clone(),
        member_id: member.member_id.clone(),
        started_at: t,
        last_accessed_at: t,
        expires_at: t + minutes.unwrap_or(DEFAULT_SESSION_MINUTES) * 60,
        factors: vec![first_factor],
        custom_claims: Map::new(),
    };
    if let Some(c) = custom_claims {
        merge_custom_claims(&mut record, c)?;
    }
    Ok(record)
}

/// Uses a live session: refuses an expired one, updates `last_accessed_at`, and extends it when
/// a duration is given (from now, as Stytch does).
pub fn touch(
    record: &mut SessionRecord,
    minutes: Option<i64>,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let t = now.unix_timestamp();
    if record.expires_at <= t {
        return Err(session_not_found());
    }
    record.last_accessed_at = t;
    if let Some(m) = minutes {
        record.expires_at = t + m * 60;
    }
    Ok(())
}

/// Adds a factor to an existing session, or refreshes the same kind of factor.
pub fn add_factor(record: &mut SessionRecord, f: AuthenticationFactor) {
    match record
        .factors
        .iter_mut()
        .find(|x| x.kind == f.kind && x.delivery_method == f.delivery_method)
    {
        Some(existing) => {
            existing.last_authenticated_at = f.last_authenticated_at;
            existing.updated_at = f.updated_at;
        }
        None => record.factors.push(f),
    }
}

/// Merges `session_custom_claims`: reserved claims refused, `null` deletes a key, 4 KB at most.
pub fn merge_custom_claims(
    record: &mut SessionRecord,
    claims: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (k, v) in claims {
        if RESERVED_CLAIMS.contains(&k.as_str()) || k.starts_with("https://stytch.com/") {
            return Err(ApiError::bad_request(
                "invalid_session_custom_claims",
                format!("{k:?} is a reserved claim and cannot be set as a custom claim."),
            ));
        }
        if v.is_null() {
            record.custom_claims.remove(k);
        } else {
            record.custom_claims.insert(k.clone(), v.clone());
        }
    }
    let size = serde_json::to_vec(&record.custom_claims)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CUSTOM_CLAIMS_BYTES {
        return Err(ApiError::bad_request(
            "invalid_session_custom_claims",
            "Custom claims may be at most 4 KB.",
        ));
    }
    Ok(())
}

/// The MemberSession object, with the member's effective roles.
pub fn render(record: &SessionRecord, org: &Organization, roles: Vec<String>) -> MemberSession {
    let ts = |t: i64| {
        rfc3339(OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH))
    };
    MemberSession {
        member_session_id: record.member_session_id.clone(),
        member_id: record.member_id.clone(),
        organization_id: record.organization_id.clone(),
        organization_slug: org.organization_slug.clone(),
        started_at: ts(record.started_at),
        last_accessed_at: ts(record.last_accessed_at),
        expires_at: ts(record.expires_at),
        authentication_factors: record.factors.clone(),
        roles,
        custom_claims: record.custom_claims.clone(),
    }
}

/// The issuer of session JWTs: Stytch's `stytch.com/{project_id}`, which the official SDKs
/// accept when verifying locally.
pub fn jwt_issuer(project_id: &str) -> String {
    format!("stytch.com/{project_id}")
}

/// The session JWT's claims (Stytch §15.6): registered claims, the `https://stytch.com/session`
/// and `https://stytch.com/organization` objects, and custom claims at the top level.
pub fn jwt_claims(
    session: &MemberSession,
    project_id: &str,
    jti: &str,
    now: OffsetDateTime,
) -> Value {
    let t = now.unix_timestamp();
    let mut claims = Map::new();
    for (k, v) in &session.custom_claims {
        claims.insert(k.clone(), v.clone());
    }
    let fixed = json!({
        "iss": jwt_issuer(project_id),
        "aud": [project_id],
        "sub": session.member_id,
        "iat": t,
        "nbf": t,
        "exp": t + SESSION_JWT_LIFETIME_SECS,
        "jti": jti,
        "https://stytch.com/session": {
            "id": session.member_session_id,
            "started_at": session.started_at,
            "last_accessed_at": session.last_accessed_at,
            "expires_at": session.expires_at,
            "attributes": {"ip_address": "", "user_agent": ""},
            "authentication_factors": session.authentication_factors,
            "roles": session.roles,
        },
        "https://stytch.com/organization": {
            "organization_id": session.organization_id,
            "slug": session.organization_slug,
        },
    });
    if let Value::Object(f) = fixed {
        claims.extend(f);
    }
    Value::Object(claims)
}

/// The session id inside a verified session JWT.
pub fn session_id_from_claims(claims: &Value) -> Option<&str> {
    claims
        .get("https://stytch.com/session")?
        .get("id")?
        .as_str()
}

pub fn session_not_found() -> ApiError {
    ApiError::new(404, "session_not_found", "Session could not be found.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsTokens;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

    fn member() -> Member {
        let org = crate::organization::create(
            "organization-test-1".into(),
            &serde_json::from_value(json!({"organization_name": "A", "organization_slug": "acme"}))
                .unwrap(),
            crate::organization::slugify,
            &["stytch_member"],
            NOW,
        )
        .unwrap();
        crate::member::create(
            "member-test-1".into(),
            &org,
            &serde_json::from_value(json!({"email_address": "a@acme.com"})).unwrap(),
            &["stytch_member"],
            NOW,
        )
        .unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(duration(None).unwrap(), None);
        assert_eq!(duration(Some(5)).unwrap(), Some(5));
        assert!(duration(Some(4)).is_err());
        assert!(duration(Some(527_041)).is_err());
    }

    #[test]
    fn start_touch_and_expire() {
        let m = member();
        let f = factor("password", "knowledge", &m, NOW);
        let mut s = start(
            "session-test-1".into(),
            "project-test-1",
            &m,
            f,
            None,
            None,
            NOW,
        )
        .unwrap();
        assert_eq!(s.expires_at - s.started_at, 3600);
        touch(&mut s, Some(120), NOW + time::Duration::minutes(30)).unwrap();
        assert_eq!(s.expires_at, NOW.unix_timestamp() + 30 * 60 + 120 * 60);
        let late = NOW + time::Duration::days(1);
        assert_eq!(
            touch(&mut s, None, late).unwrap_err().error_type,
            "session_not_found"
        );
    }

    #[test]
    fn factors_merge_by_kind() {
        let m = member();
        let mut s = start(
            "s".into(),
            "p",
            &m,
            factor("password", "knowledge", &m, NOW),
            None,
            None,
            NOW,
        )
        .unwrap();
        add_factor(&mut s, factor("magic_link", "email", &m, NOW));
        add_factor(
            &mut s,
            factor(
                "password",
                "knowledge",
                &m,
                NOW + time::Duration::minutes(1),
            ),
        );
        assert_eq!(s.factors.len(), 2);
        assert_eq!(
            s.factors[1].email_factor.as_ref().unwrap().email_address,
            "a@acme.com"
        );
    }

    #[test]
    fn factors_prove_the_email_they_name() {
        let mut m = member();
        let s = start(
            "s".into(),
            "p",
            &m,
            factor("password", "knowledge", &m, NOW),
            None,
            None,
            NOW,
        )
        .unwrap();
        assert!(proves_email(&s, "A@acme.com"));
        assert!(!proves_email(&s, "b@acme.com"));
        assert_eq!(auth_time(&s), NOW.unix_timestamp());
        m.email_address = "b@acme.com".into();
        let mut x = s.clone();
        x.factors = vec![factor(
            "oauth_access_token_exchange",
            "oauth_access_token_exchange",
            &m,
            NOW,
        )];
        assert!(!proves_email(&x, "b@acme.com"), "no email factor");
        assert_eq!(auth_time(&x), NOW.unix_timestamp());
    }

    #[test]
    fn custom_claims_rules() {
        let m = member();
        let mut s = start(
            "s".into(),
            "p",
            &m,
            factor("password", "knowledge", &m, NOW),
            None,
            None,
            NOW,
        )
        .unwrap();
        merge_custom_claims(&mut s, json!({"plan": "pro", "n": 1}).as_object().unwrap()).unwrap();
        merge_custom_claims(&mut s, json!({"n": null}).as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(s.custom_claims.clone()),
            json!({"plan": "pro"})
        );
        assert!(merge_custom_claims(&mut s, json!({"sub": "x"}).as_object().unwrap()).is_err());
        assert!(merge_custom_claims(
            &mut s,
            json!({"https://stytch.com/session": 1})
                .as_object()
                .unwrap()
        )
        .is_err());
        assert!(merge_custom_claims(
            &mut s,
            json!({"big": "x".repeat(5000)}).as_object().unwrap()
        )
        .is_err());
    }

    #[test]
    fn jwt_claims_layout() {
        let m = member();
        let s = start(
            "session-test-1".into(),
            "project-test-1",
            &m,
            factor("password", "knowledge", &m, NOW),
            None,
            Some(json!({"plan": "pro"}).as_object().unwrap()),
            NOW,
        )
        .unwrap();
        let org = crate::organization::create(
            "organization-test-1".into(),
            &serde_json::from_value(json!({"organization_name": "A", "organization_slug": "acme"}))
                .unwrap(),
            crate::organization::slugify,
            &[],
            NOW,
        )
        .unwrap();
        let wire = render(&s, &org, vec!["stytch_member".into()]);
        let c = jwt_claims(&wire, "project-test-1", "jti-1", NOW);
        assert_eq!(c["iss"], "stytch.com/project-test-1");
        assert_eq!(c["aud"], json!(["project-test-1"]));
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
        assert_eq!(c["https://stytch.com/session"]["id"], "session-test-1");
        assert_eq!(
            c["https://stytch.com/session"]["roles"],
            json!(["stytch_member"])
        );
        assert_eq!(c["https://stytch.com/organization"]["slug"], "acme");
        assert_eq!(c["plan"], "pro");
        assert_eq!(session_id_from_claims(&c), Some("session-test-1"));
    }

    #[test]
    fn tokens_are_redacted_and_hashed() {
        let t = SessionToken::generate(&OsTokens);
        assert_eq!(t.expose_secret().len(), 43);
        assert!(t.hash().matches(t.expose_secret()));
        assert_eq!(format!("{t:?}"), "SessionToken(<redacted>)");
    }
}
