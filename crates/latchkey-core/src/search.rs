//! Search requests parsed into typed filters (Stytch Search Organizations / Search Members):
//! operator, operands, cursor and limit are checked here once, so the store only ever sees a
//! well-formed query.

use base64::Engine;
use latchkey_types::SearchQuery;
use serde_json::Value;

use crate::ApiError;

/// Default and maximum page sizes (Stytch: default 100, at most 1000).
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// How operands combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    And,
    Or,
}

/// A filter of `POST /v1/b2b/organizations/search`.
#[derive(Debug, Clone, PartialEq)]
pub enum OrgFilter {
    OrganizationIds(Vec<String>),
    OrganizationSlugs(Vec<String>),
    NameFuzzy(String),
    SlugFuzzy(String),
    MemberEmails(Vec<String>),
    MemberEmailFuzzy(String),
    AllowedDomains(Vec<String>),
    AllowedDomainFuzzy(String),
    ClaimedEmailDomains(Vec<String>),
    /// latchkey has no SSO connections yet: `true` matches nothing, `false` everything.
    HasActiveSsoConnection(bool),
    SsoConnectionId(String),
}

/// A filter of `POST /v1/b2b/organizations/members/search`.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberFilter {
    MemberIds(Vec<String>),
    MemberEmails(Vec<String>),
    MemberEmailFuzzy(String),
    MemberIsBreakglass(bool),
    Statuses(Vec<String>),
    MemberPhoneNumbers(Vec<String>),
    MemberPhoneNumberFuzzy(String),
    MemberExternalIds(Vec<String>),
}

/// A parsed search: filters combined by `operator`, a page after `after_seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct Search<F> {
    pub operator: Operator,
    pub filters: Vec<F>,
    pub limit: i64,
    /// Keyset position: results have a creation sequence greater than this.
    pub after_seq: i64,
}

/// Parses an organization search.
pub fn organizations(
    query: Option<&SearchQuery>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Search<OrgFilter>, ApiError> {
    parse(query, cursor, limit, |name, v| {
        Ok(match name {
            "organization_ids" => OrgFilter::OrganizationIds(strings(name, v)?),
            "organization_slugs" => OrgFilter::OrganizationSlugs(strings(name, v)?),
            "organization_name_fuzzy" => OrgFilter::NameFuzzy(string(name, v)?),
            "organization_slug_fuzzy" => OrgFilter::SlugFuzzy(string(name, v)?),
            "member_emails" => OrgFilter::MemberEmails(lower(strings(name, v)?)),
            "member_email_fuzzy" => OrgFilter::MemberEmailFuzzy(string(name, v)?),
            "allowed_domains" => OrgFilter::AllowedDomains(lower(strings(name, v)?)),
            "allowed_domain_fuzzy" => OrgFilter::AllowedDomainFuzzy(string(name, v)?),
            "claimed_email_domains" => OrgFilter::ClaimedEmailDomains(lower(strings(name, v)?)),
            "has_active_sso_connection" => OrgFilter::HasActiveSsoConnection(boolean(name, v)?),
            "sso_connection_id" => OrgFilter::SsoConnectionId(string(name, v)?),
            _ => return Err(unknown_filter(name)),
        })
    })
}

/// Parses a member search.
pub fn members(
    query: Option<&SearchQuery>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Search<MemberFilter>, ApiError> {
    parse(query, cursor, limit, |name, v| {
        Ok(match name {
            "member_ids" => MemberFilter::MemberIds(strings(name, v)?),
            "member_emails" => MemberFilter::MemberEmails(lower(strings(name, v)?)),
            "member_email_fuzzy" => MemberFilter::MemberEmailFuzzy(string(name, v)?),
            "member_is_breakglass" => MemberFilter::MemberIsBreakglass(boolean(name, v)?),
            "statuses" => MemberFilter::Statuses(strings(name, v)?),
            "member_phone_numbers" => MemberFilter::MemberPhoneNumbers(strings(name, v)?),
            "member_phone_number_fuzzy" => MemberFilter::MemberPhoneNumberFuzzy(string(name, v)?),
            "member_external_ids" => MemberFilter::MemberExternalIds(strings(name, v)?),
            _ => return Err(unknown_filter(name)),
        })
    })
}

/// A filter of `POST /v1/m2m/clients/search` (issue 14); every value is a list of strings.
#[derive(Debug, Clone, PartialEq)]
pub enum M2MFilter {
    ClientIds(Vec<String>),
    ClientNames(Vec<String>),
    Scopes(Vec<String>),
}

/// Parses an M2M client search.
pub fn m2m_clients(
    query: Option<&SearchQuery>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Search<M2MFilter>, ApiError> {
    parse(query, cursor, limit, |name, v| {
        Ok(match name {
            "client_id" => M2MFilter::ClientIds(strings(name, v)?),
            "client_name" => M2MFilter::ClientNames(strings(name, v)?),
            "scopes" => M2MFilter::Scopes(strings(name, v)?),
            _ => return Err(unknown_filter(name)),
        })
    })
}

/// Parses paging alone (`cursor`, `limit`) for searches without filters, e.g. Search Connected
/// Apps.
pub fn paging(cursor: Option<&str>, limit: Option<i64>) -> Result<Search<()>, ApiError> {
    parse(None, cursor, limit, |name, _| Err(unknown_filter(name)))
}

fn parse<F>(
    query: Option<&SearchQuery>,
    cursor: Option<&str>,
    limit: Option<i64>,
    filter: impl Fn(&str, &Value) -> Result<F, ApiError>,
) -> Result<Search<F>, ApiError> {
    let limit = match limit {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ))
        }
    };
    let after_seq = match cursor {
        None | Some("") => 0,
        Some(c) => decode_cursor(c)?,
    };
    let (operator, filters) = match query {
        None => (Operator::And, vec![]),
        Some(q) => {
            let operator = match q
                .operator
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None | Some("AND") => Operator::And,
                Some("OR") => Operator::Or,
                Some(other) => {
                    return Err(ApiError::bad_request(
                        "invalid_search_query_operator",
                        format!("query.operator must be AND or OR; got {other:?}"),
                    ))
                }
            };
            let filters = q
                .operands
                .iter()
                .map(|op| {
                    let name = op
                        .get("filter_name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "invalid_search_query",
                                "each operand needs a string filter_name and a filter_value",
                            )
                        })?;
                    filter(name, op.get("filter_value").unwrap_or(&Value::Null))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (operator, filters)
        }
    };
    Ok(Search {
        operator,
        filters,
        limit,
        after_seq,
    })
}

/// Cursors are opaque to clients: base64url of `v1:<seq>`.
pub fn encode_cursor(seq: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{seq}"))
}

fn decode_cursor(c: &str) -> Result<i64, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("v1:").and_then(|n| n.parse::<i64>().ok()))
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                "The cursor is not valid. Pass back next_cursor exactly as returned.",
            )
        })
}

fn unknown_filter(name: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_search_query",
        format!("Unknown filter_name {name:?}."),
    )
}

fn strings(name: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| wrong_type(name, "an array of strings"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| wrong_type(name, "an array of strings"))
        })
        .collect()
}

fn string(name: &str, v: &Value) -> Result<String, ApiError> {
    match v.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(wrong_type(name, "a non-empty string")),
    }
}

fn boolean(name: &str, v: &Value) -> Result<bool, ApiError> {
    v.as_bool().ok_or_else(|| wrong_type(name, "a boolean"))
}

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn wrong_type(name: &str, want: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_search_query",
        format!("filter_value of {name} must be {want}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(json: Value) -> SearchQuery {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn parses_operands() {
        let s = organizations(
            Some(&q(serde_json::json!({"operator": "AND", "operands": [
                {"filter_name": "organization_slugs", "filter_value": ["a", "b"]},
                {"filter_name": "has_active_sso_connection", "filter_value": false},
                {"filter_name": "member_emails", "filter_value": ["A@X.com"]}
            ]}))),
            None,
            Some(10),
        )
        .unwrap();
        assert_eq!(s.limit, 10);
        assert_eq!(
            s.filters[0],
            OrgFilter::OrganizationSlugs(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            s.filters[2],
            OrgFilter::MemberEmails(vec!["a@x.com".into()])
        );
    }

    #[test]
    fn rejects_bad_queries() {
        let bad = [
            serde_json::json!({"operator": "XOR", "operands": []}),
            serde_json::json!({"operator": "AND", "operands": [{"filter_name": "nope", "filter_value": 1}]}),
            serde_json::json!({"operator": "AND", "operands": [{"filter_name": "statuses", "filter_value": "active"}]}),
            serde_json::json!({"operator": "AND", "operands": [{"filter_value": 1}]}),
        ];
        for b in bad {
            assert_eq!(
                members(Some(&q(b.clone())), None, None).unwrap_err().status,
                400,
                "{b}"
            );
        }
        assert_eq!(
            members(None, Some("garbage"), None).unwrap_err().error_type,
            "invalid_cursor"
        );
        assert_eq!(
            members(None, None, Some(1001)).unwrap_err().error_type,
            "invalid_limit"
        );
    }

    #[test]
    fn cursor_round_trip() {
        let s = members(None, Some(&encode_cursor(42)), None).unwrap();
        assert_eq!((s.after_seq, s.limit), (42, DEFAULT_LIMIT));
    }
}
