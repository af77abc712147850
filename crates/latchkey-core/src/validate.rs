//! Field validators shared by the organization and member rules. Each returns the normalized
//! value or an [`ApiError`] naming the field, with the Stytch error type where one exists.

use crate::ApiError;

/// `organization_slug`: 2-128 of alphanumerics and `- . _ ~` (Stytch Organization object).
pub fn slug(s: &str) -> Result<String, ApiError> {
    let ok_len = (2..=128).contains(&s.chars().count());
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'));
    if ok_len && ok_chars {
        Ok(s.to_string())
    } else {
        Err(ApiError::bad_request(
            "invalid_organization_slug",
            "organization_slug must be 2 to 128 characters of letters, digits and - . _ ~",
        ))
    }
}

/// External ids (organization and member): up to 128 of alphanumerics and `. _ - |`.
pub fn external_id(field: &str, error_type: &'static str, s: &str) -> Result<String, ApiError> {
    let ok = !s.is_empty()
        && s.chars().count() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '|'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::bad_request(
            error_type,
            format!("{field} must be 1 to 128 characters of letters, digits and . _ - |"),
        ))
    }
}

/// `organization_name`: 1-128 characters after trimming.
pub fn organization_name(s: &str) -> Result<String, ApiError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 128 {
        return Err(ApiError::bad_request(
            "invalid_organization_name",
            "organization_name must be 1 to 128 characters",
        ));
    }
    Ok(t.to_string())
}

/// An email address, lowercased. Deliberately simple (RFC 5321 is not worth re-implementing):
/// one `@`, a non-empty local part without spaces, and a valid domain.
pub fn email(s: &str) -> Result<String, ApiError> {
    let s = s.trim().to_ascii_lowercase();
    let invalid = || ApiError::bad_request("invalid_email", "Email format is invalid.");
    let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || local.len() > 64
        || s.len() > 254
        || local
            .chars()
            .any(|c| c.is_whitespace() || c == '@' || c.is_control())
        || email_domain(domain).is_err()
    {
        return Err(invalid());
    }
    Ok(s)
}

/// A domain name as used in `email_allowed_domains` / `claimed_email_domains`: lowercase
/// labels of letters, digits and hyphens, at least one dot.
pub fn email_domain(s: &str) -> Result<String, ApiError> {
    let d = s.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if d.len() <= 253 && d.contains('.') && d.split('.').all(label_ok) {
        Ok(d)
    } else {
        Err(ApiError::bad_request(
            "invalid_email_domain",
            format!("{s:?} is not a valid email domain"),
        ))
    }
}

/// Phone numbers in E.164: `+` then 7-15 digits, the first not 0.
pub fn e164(s: &str) -> Result<String, ApiError> {
    let digits = s.strip_prefix('+').unwrap_or("");
    let ok = (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::bad_request(
            "invalid_phone_number",
            "Phone number format is invalid. Use E.164, e.g. +12025550123.",
        ))
    }
}

/// An absolute http(s) URL, or the empty string (unset).
pub fn optional_url(field: &str, s: &str) -> Result<String, ApiError> {
    if s.is_empty() {
        return Ok(String::new());
    }
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(s.into()),
        _ => Err(ApiError::invalid_field(
            field,
            "must be an absolute http or https URL",
        )),
    }
}

/// One value of a closed set, e.g. `sso_jit_provisioning`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_field(
            field,
            &format!("must be one of {}; got {value:?}", allowed.join(", ")),
        ))
    }
}

/// Every value of a list from a closed set, deduplicated in order.
pub fn all_of(field: &str, values: &[String], allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let v = one_of(field, v, allowed)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(slug("acme-co.1_~").is_ok());
        assert!(slug("a").is_err());
        assert!(slug("has space").is_err());
        assert!(slug(&"x".repeat(129)).is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "ada@exa_mple.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(e164("+12025550123").is_ok());
        assert!(e164("12025550123").is_err());
        assert!(e164("+0123456789").is_err());
        assert!(e164("+1-202").is_err());
    }

    #[test]
    fn urls_and_sets() {
        assert!(optional_url("logo", "").is_ok());
        assert!(optional_url("logo", "https://x.test/a.png").is_ok());
        assert!(optional_url("logo", "javascript:alert(1)").is_err());
        assert!(one_of("f", "A", &["A", "B"]).is_ok());
        assert!(one_of("f", "C", &["A", "B"]).is_err());
        assert_eq!(
            all_of("f", &["A".into(), "A".into()], &["A"]).unwrap(),
            vec!["A"]
        );
    }
}
