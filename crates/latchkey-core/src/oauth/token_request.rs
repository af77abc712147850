//! The token endpoint's request (RFC 6749 §3.2, §4.1.3, §6), parsed once from a flat form or
//! JSON body into a typed request. This is the only place that answers `invalid_request` or
//! `unsupported_grant_type` for the shape of a token request.

use serde::Deserialize;

use super::error::{OAuthError, OAuthErrorCode};
use super::pkce::PkceVerifier;

/// The body as it arrives (form or JSON), every field optional.
#[derive(Debug, Default, Deserialize)]
pub struct RawTokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// RFC 8707 §2.2 `resource`: one value in a form body, one or an array in JSON.
    pub resource: Option<OneOrMany>,
    /// RFC 7521 §4.2 / RFC 7523 §2.2 client authentication by assertion.
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    /// RFC 7523 §2.1 (`jwt-bearer` grant): the ID-JAG.
    pub assertion: Option<String>,
    /// RFC 8693 §2.1 token exchange parameters.
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub actor_token: Option<String>,
    pub actor_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub audience: Option<OneOrMany>,
    /// RFC 8628 §3.4.
    pub device_code: Option<String>,
}

/// A parameter given once or, in JSON, as an array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

/// A well-formed grant.
#[derive(Debug)]
pub enum TokenGrant {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        verifier: Option<PkceVerifier>,
        /// RFC 8707 `resource` values (possibly empty).
        resources: Vec<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
        resources: Vec<String>,
    },
    /// RFC 6749 §4.4: Stytch M2M clients, and Connected Apps allowed to (issue 14).
    ClientCredentials {
        scope: Option<String>,
        resources: Vec<String>,
    },
    /// RFC 7523 §2.1 with an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.3).
    JwtBearer {
        assertion: String,
        scope: Option<String>,
        resources: Vec<String>,
    },
    /// RFC 8693 §2.1.
    TokenExchange(Box<TokenExchangeRequest>),
    /// RFC 8628 §3.4.
    DeviceCode { device_code: String },
}

/// The parameters of a token exchange (RFC 8693 §2.1).
#[derive(Debug)]
pub struct TokenExchangeRequest {
    pub subject_token: String,
    pub subject_token_type: Option<String>,
    /// `(actor_token, actor_token_type)`.
    pub actor: Option<(String, Option<String>)>,
    pub requested_token_type: Option<String>,
    pub scope: Option<String>,
    pub resources: Vec<String>,
    pub audiences: Vec<String>,
}

impl TokenGrant {
    /// The `grant_type` value, for metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode { .. } => "authorization_code",
            Self::RefreshToken { .. } => "refresh_token",
            Self::ClientCredentials { .. } => "client_credentials",
            Self::JwtBearer { .. } => "jwt_bearer",
            Self::TokenExchange(_) => "token_exchange",
            Self::DeviceCode { .. } => "device_code",
        }
    }
}

/// How the client identified itself in the body (Basic credentials are read by the server).
#[derive(Debug)]
pub struct BodyCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `(client_assertion_type, client_assertion)` when the client sent an assertion.
    pub client_assertion: Option<(String, String)>,
}

pub fn parse(raw: RawTokenRequest) -> Result<(TokenGrant, BodyCredentials), OAuthError> {
    let creds = BodyCredentials {
        client_id: raw.client_id.filter(|s| !s.is_empty()),
        client_secret: raw.client_secret.filter(|s| !s.is_empty()),
        client_assertion: raw
            .client_assertion
            .filter(|s| !s.is_empty())
            .map(|a| (raw.client_assertion_type.unwrap_or_default(), a)),
    };
    let required = |v: Option<String>, name: &str| {
        v.filter(|s| !s.is_empty())
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required.")))
    };
    let resources: Vec<String> = raw
        .resource
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    let grant = match raw.grant_type.as_deref() {
        Some("authorization_code") => TokenGrant::AuthorizationCode {
            code: required(raw.code, "code")?,
            redirect_uri: raw.redirect_uri.filter(|s| !s.is_empty()),
            verifier: match raw.code_verifier.filter(|s| !s.is_empty()) {
                Some(v) => Some(PkceVerifier::parse(&v).map_err(|e| e.to_oauth())?),
                None => None,
            },
            resources,
        },
        Some("refresh_token") => TokenGrant::RefreshToken {
            refresh_token: required(raw.refresh_token, "refresh_token")?,
            scope: raw.scope,
            resources,
        },
        Some("client_credentials") => TokenGrant::ClientCredentials {
            scope: raw.scope.filter(|s| !s.is_empty()),
            resources,
        },
        Some(super::id_jag::GRANT_TYPE) => TokenGrant::JwtBearer {
            assertion: required(raw.assertion, "assertion")?,
            scope: raw.scope.filter(|s| !s.is_empty()),
            resources,
        },
        Some(super::token_exchange::GRANT_TYPE) => {
            let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
            let actor = nonempty(raw.actor_token).map(|t| (t, nonempty(raw.actor_token_type)));
            TokenGrant::TokenExchange(Box::new(TokenExchangeRequest {
                subject_token: required(raw.subject_token, "subject_token")?,
                subject_token_type: nonempty(raw.subject_token_type),
                actor,
                requested_token_type: nonempty(raw.requested_token_type),
                scope: nonempty(raw.scope),
                resources,
                audiences: raw
                    .audience
                    .map(OneOrMany::into_vec)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| !a.is_empty())
                    .collect(),
            }))
        }
        Some(super::device::GRANT_TYPE) => TokenGrant::DeviceCode {
            device_code: required(raw.device_code, "device_code")?,
        },
        Some(other) if !other.is_empty() => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!(
                "grant_type {other:?} is not supported; use authorization_code, refresh_token, client_credentials, {}, {} or {}.",
                super::id_jag::GRANT_TYPE,
                super::token_exchange::GRANT_TYPE,
                super::device::GRANT_TYPE,
            ),
            ))
        }
        _ => return Err(OAuthError::invalid_request("grant_type is required.")),
    };
    Ok((grant, creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: serde_json::Value) -> RawTokenRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn parses_grants() {
        let (g, c) = parse(raw(
            serde_json::json!({"grant_type": "authorization_code", "code": "x", "client_id": "c"}),
        ))
        .unwrap();
        assert!(matches!(g, TokenGrant::AuthorizationCode { .. }));
        assert_eq!(c.client_id.as_deref(), Some("c"));
        let (g, _) = parse(raw(serde_json::json!({"grant_type": "refresh_token", "refresh_token": "r", "scope": "openid"}))).unwrap();
        assert!(matches!(g, TokenGrant::RefreshToken { .. }));
        let (g, _) = parse(raw(serde_json::json!({"grant_type": super::super::id_jag::GRANT_TYPE, "assertion": "a.b.c"}))).unwrap();
        assert!(matches!(g, TokenGrant::JwtBearer { .. }));
        let (g, _) = parse(raw(serde_json::json!({
            "grant_type": super::super::token_exchange::GRANT_TYPE, "subject_token": "t",
            "audience": ["a", "b"], "actor_token": "x"
        })))
        .unwrap();
        let TokenGrant::TokenExchange(x) = g else {
            panic!("not an exchange")
        };
        assert_eq!(x.audiences, ["a", "b"]);
        assert_eq!(x.actor, Some(("x".into(), None)));
    }

    #[test]
    fn refuses_malformed() {
        let cases = [
            (serde_json::json!({}), OAuthErrorCode::InvalidRequest),
            (
                serde_json::json!({"grant_type": "password"}),
                OAuthErrorCode::UnsupportedGrantType,
            ),
            (
                serde_json::json!({"grant_type": "authorization_code"}),
                OAuthErrorCode::InvalidRequest,
            ),
            (
                serde_json::json!({"grant_type": "refresh_token", "refresh_token": ""}),
                OAuthErrorCode::InvalidRequest,
            ),
            (
                serde_json::json!({"grant_type": "authorization_code", "code": "c", "code_verifier": "short"}),
                OAuthErrorCode::InvalidRequest,
            ),
            (
                serde_json::json!({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}),
                OAuthErrorCode::InvalidRequest,
            ),
            (
                serde_json::json!({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"}),
                OAuthErrorCode::InvalidRequest,
            ),
        ];
        for (j, want) in cases {
            assert_eq!(parse(raw(j.clone())).unwrap_err().code, want, "{j}");
        }
    }
}
