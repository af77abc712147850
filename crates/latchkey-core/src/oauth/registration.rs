//! Dynamic Client Registration rules (RFC 7591 §2-§3, RFC 7592, Stytch §11.1, RFC 8252 §7-§8):
//! a raw metadata request becomes a validated [`Registration`] once, or an RFC 7591 §3.2.2
//! error (`invalid_redirect_uri`, `invalid_client_metadata`).
//!
//! - `token_endpoint_auth_method`: `none` (Stytch's default) makes a `third_party_public`
//!   client; `client_secret_post` / `client_secret_basic` a confidential `third_party` one.
//! - `application_type`: `native` clients may redirect to `http://localhost`, `127.0.0.1` or
//!   `[::1]` (matched on any port, RFC 8252 §7.3) and to private-use schemes; `web` clients keep
//!   the management API's rules. Without `application_type`, loopback redirect URIs make the
//!   client native (many MCP clients registered before the MCP spec asked for it).
//! - Every DCR client gets `grant_types: [authorization_code, refresh_token]` and
//!   `response_types: [code]` (Stytch); other grant types are ignored, not fatal.
//! - Display fields are sanitised: names lose control characters and are cut to 100
//!   characters, URIs must be `https`.

use latchkey_types::ClientRegistrationRequest;
use serde_json::{json, Value};
use url::{Host, Url};

use super::client::ClientType;
use super::redirect::{RedirectUrl, MAX_REDIRECT_URL_LEN};
use super::scope::ScopeSet;
use crate::secret::SecretHash;

/// `creation_method` of clients that registered themselves (RFC 7591).
pub const CREATED_BY_DCR: &str = "dynamic_client_registration";
/// Longest `client_name` kept, in characters.
pub const MAX_CLIENT_NAME: usize = 100;
/// Most redirect URIs one registration may list.
pub const MAX_REDIRECT_URIS: usize = 20;

/// An RFC 7591 §3.2.2 error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct RegistrationError {
    /// `invalid_redirect_uri` or `invalid_client_metadata`.
    pub code: &'static str,
    pub description: String,
}

fn bad_metadata(description: impl Into<String>) -> RegistrationError {
    RegistrationError {
        code: "invalid_client_metadata",
        description: description.into(),
    }
}

fn bad_redirect(description: impl Into<String>) -> RegistrationError {
    RegistrationError {
        code: "invalid_redirect_uri",
        description: description.into(),
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 §2.2 client assertions signed with a registered key.
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
    /// The Stytch client type this method creates (Stytch §11.1).
    pub fn client_type(self) -> ClientType {
        match self {
            Self::None => ClientType::ThirdPartyPublic,
            _ => ClientType::ThirdParty,
        }
    }
}

/// A validated registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub auth_method: AuthMethod,
    pub native: bool,
    pub redirect_uris: Vec<String>,
    pub client_name: String,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
    /// The client's default scopes (RFC 7591 `scope`), used when a request names none.
    pub scope: Option<String>,
    pub contacts: Vec<String>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    /// `private_key_jwt` clients: their public keys (RFC 7591 `jwks`)...
    pub jwks: Option<Value>,
    /// ...or where they are published (RFC 7591 `jwks_uri`), fetched with the SSRF guard.
    pub jwks_uri: Option<String>,
}

impl Registration {
    /// Checks a registration request (RFC 7591 §2).
    pub fn parse(req: &ClientRegistrationRequest) -> Result<Self, RegistrationError> {
        let auth_method = match req.token_endpoint_auth_method.as_deref() {
            None | Some("none") => AuthMethod::None,
            Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
            Some("client_secret_post") => AuthMethod::ClientSecretPost,
            Some("private_key_jwt") => AuthMethod::PrivateKeyJwt,
            Some(other) => {
                return Err(bad_metadata(format!(
                    "token_endpoint_auth_method {other:?} is not supported: use none, client_secret_basic, client_secret_post or private_key_jwt"
                )))
            }
        };
        let jwks = check_jwks(auth_method, req.jwks.as_ref(), req.jwks_uri.as_deref())?;
        let jwks_uri = check_jwks_uri(req.jwks_uri.as_deref())?;
        if let Some(rt) = &req.response_types {
            if !rt.iter().any(|t| t == "code") {
                return Err(bad_metadata(
                    "response_types must include code: only the authorization code flow is supported",
                ));
            }
        }
        if let Some(gt) = &req.grant_types {
            if !gt.iter().any(|g| g == "authorization_code") {
                return Err(bad_metadata("grant_types must include authorization_code"));
            }
        }
        let uris = req
            .redirect_uris
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| bad_redirect("redirect_uris is required and must not be empty"))?;
        if uris.len() > MAX_REDIRECT_URIS {
            return Err(bad_redirect(format!(
                "at most {MAX_REDIRECT_URIS} redirect_uris may be registered"
            )));
        }
        let native = match req.application_type.as_deref() {
            Some("native") => true,
            Some("web") => false,
            None => uris.iter().any(|u| is_http_loopback(u) || is_app_scheme(u)),
            Some(other) => {
                return Err(bad_metadata(format!(
                    "application_type {other:?} is not web or native"
                )))
            }
        };
        let mut redirect_uris: Vec<String> = Vec::with_capacity(uris.len());
        for (i, raw) in uris.iter().enumerate() {
            check_redirect(raw, native)
                .map_err(|why| bad_redirect(format!("redirect_uris[{i}] {raw:?}: {why}")))?;
            if !redirect_uris.contains(raw) {
                redirect_uris.push(raw.clone());
            }
        }
        let scope = match req
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(
                ScopeSet::parse(s)
                    .map_err(|e| bad_metadata(format!("scope: {e}")))?
                    .to_string(),
            ),
            None => None,
        };
        let client_name = match req.client_name.as_deref().map(sanitise_name) {
            Some(n) if !n.is_empty() => n,
            _ => fallback_name(&redirect_uris),
        };
        Ok(Registration {
            auth_method,
            native,
            redirect_uris,
            client_name,
            client_uri: https_uri("client_uri", req.client_uri.as_deref())?,
            logo_uri: https_uri("logo_uri", req.logo_uri.as_deref())?,
            tos_uri: https_uri("tos_uri", req.tos_uri.as_deref())?,
            policy_uri: https_uri("policy_uri", req.policy_uri.as_deref())?,
            scope,
            contacts: req
                .contacts
                .iter()
                .flatten()
                .map(|c| sanitise_name(c))
                .filter(|c| !c.is_empty())
                .take(10)
                .collect(),
            software_id: req.software_id.as_deref().map(sanitise_name),
            software_version: req.software_version.as_deref().map(sanitise_name),
            jwks,
            jwks_uri,
        })
    }

    /// The client type the registration creates.
    pub fn client_type(&self) -> ClientType {
        self.auth_method.client_type()
    }

    /// The metadata as stored and answered (RFC 7591 §3.2.1), without the server-issued
    /// members (`client_id`, secrets, tokens).
    pub fn metadata(&self) -> Value {
        let mut m = json!({
            "redirect_uris": self.redirect_uris,
            "token_endpoint_auth_method": self.auth_method.as_str(),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": if self.native { "native" } else { "web" },
            "client_name": self.client_name,
        });
        if let Value::Object(o) = &mut m {
            let opt = [
                ("client_uri", &self.client_uri),
                ("logo_uri", &self.logo_uri),
                ("tos_uri", &self.tos_uri),
                ("policy_uri", &self.policy_uri),
                ("scope", &self.scope),
                ("software_id", &self.software_id),
                ("software_version", &self.software_version),
            ];
            for (k, v) in opt {
                if let Some(v) = v {
                    o.insert(k.into(), v.clone().into());
                }
            }
            if let Some(j) = &self.jwks {
                o.insert("jwks".into(), j.clone());
            }
            if let Some(j) = &self.jwks_uri {
                o.insert("jwks_uri".into(), j.clone().into());
            }
            if !self.contacts.is_empty() {
                o.insert("contacts".into(), self.contacts.clone().into());
            }
        }
        m
    }

    /// Stytch deduplicates identical public registrations; confidential ones always create a
    /// new client. The key is the hash of the normalised metadata (serde_json sorts keys).
    pub fn dedup_key(&self) -> Option<String> {
        (self.auth_method == AuthMethod::None).then(|| {
            SecretHash::of(&self.metadata().to_string())
                .as_str()
                .to_string()
        })
    }
}

/// Most keys a registered `jwks` may hold, and its largest serialized size.
pub const MAX_JWKS_KEYS: usize = 10;
pub const MAX_JWKS_BYTES: usize = 16 * 1024;

/// `jwks` or `jwks_uri` go with `private_key_jwt` and only with it, never both (RFC 7591
/// §2). `jwks` is an object whose `keys` are 1 to [`MAX_JWKS_KEYS`] public keys of type RSA,
/// EC or OKP (the server parses each key too).
fn check_jwks(
    method: AuthMethod,
    jwks: Option<&Value>,
    jwks_uri: Option<&str>,
) -> Result<Option<Value>, RegistrationError> {
    if jwks.is_some() && jwks_uri.is_some() {
        return Err(bad_metadata("send jwks or jwks_uri, not both"));
    }
    if jwks_uri.is_some() && method != AuthMethod::PrivateKeyJwt {
        return Err(bad_metadata(
            "jwks_uri is only used with token_endpoint_auth_method private_key_jwt",
        ));
    }
    let Some(jwks) = jwks else {
        return match method {
            AuthMethod::PrivateKeyJwt if jwks_uri.is_none() => Err(bad_metadata(
                "private_key_jwt needs the client's public keys in jwks or jwks_uri",
            )),
            _ => Ok(None),
        };
    };
    if method != AuthMethod::PrivateKeyJwt {
        return Err(bad_metadata(
            "jwks is only used with token_endpoint_auth_method private_key_jwt",
        ));
    }
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .filter(|k| (1..=MAX_JWKS_KEYS).contains(&k.len()))
        .ok_or_else(|| bad_metadata(format!("jwks must hold 1 to {MAX_JWKS_KEYS} keys")))?;
    for (i, k) in keys.iter().enumerate() {
        let kty = k.get("kty").and_then(Value::as_str).unwrap_or_default();
        if !matches!(kty, "RSA" | "EC" | "OKP") || k.get("d").is_some() {
            return Err(bad_metadata(format!(
                "jwks.keys[{i}] must be an RSA, EC or OKP public key (no private parts)"
            )));
        }
    }
    if jwks.to_string().len() > MAX_JWKS_BYTES {
        return Err(bad_metadata("jwks is too large"));
    }
    Ok(Some(json!({ "keys": keys })))
}

/// `jwks_uri`: an absolute `https` URL (or, for development with loopback documents allowed,
/// `http` on a loopback host: the fetch guard decides), without user information or fragment.
fn check_jwks_uri(v: Option<&str>) -> Result<Option<String>, RegistrationError> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = v.len() <= MAX_REDIRECT_URL_LEN
        && Url::parse(v).is_ok_and(|u| {
            (u.scheme() == "https" || (u.scheme() == "http" && is_http_loopback(v)))
                && u.has_host()
                && u.username().is_empty()
                && u.password().is_none()
                && u.fragment().is_none()
        });
    if ok {
        Ok(Some(v.to_string()))
    } else {
        Err(bad_metadata("jwks_uri must be an https URL"))
    }
}

/// Default scopes of a stored registration: its `scope` member.
pub fn default_scopes(metadata: &Value) -> Option<Vec<String>> {
    let s = metadata.get("scope")?.as_str()?;
    ScopeSet::parse(s)
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_vec())
}

/// `http://localhost`, `http://127.0.0.1` or `http://[::1]`, any port (RFC 8252 §7.3).
pub fn is_http_loopback(raw: &str) -> bool {
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

fn check_redirect(raw: &str, native: bool) -> Result<(), String> {
    if native && is_http_loopback(raw) {
        // The management API's syntax rules still apply (no userinfo, fragment, dot
        // segments...): check the same URL text with the host such a URL may carry there.
        let rest = raw.get("http://".len()..).unwrap_or_default();
        let tail = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
        if rest.contains('@') {
            return Err("it contains a username or password".into());
        }
        return RedirectUrl::parse(&format!("http://127.0.0.1{tail}"))
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if native && is_app_scheme(raw) {
        // RFC 8252 §7.1 asks for reverse-domain schemes, but desktop MCP clients register
        // their own (`cursor://...`); only schemes a browser would run or fetch are refused.
        return RedirectUrl::parse(&format!("com.example.app{}", &raw[scheme_len(raw)..]))
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let url = RedirectUrl::parse(raw).map_err(|e| e.to_string())?;
    if !native && url.kind() == super::redirect::RedirectKind::PrivateUse {
        return Err(
            "web clients cannot use private-use URI schemes; register as application_type native"
                .into(),
        );
    }
    Ok(())
}

/// A custom (private-use) URI scheme other than those a browser runs or fetches.
fn is_app_scheme(raw: &str) -> bool {
    const REFUSED: &[&str] = &[
        "http",
        "https",
        "javascript",
        "data",
        "file",
        "vbscript",
        "about",
        "blob",
        "ftp",
        "ws",
        "wss",
        "mailto",
        "tel",
        "sms",
    ];
    let n = scheme_len(raw);
    let scheme = &raw[..n];
    n > 0
        && raw[n..].starts_with(':')
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && !REFUSED.contains(&scheme.to_ascii_lowercase().as_str())
}

/// Length of the text before the first `:` (the whole text when there is none).
fn scheme_len(raw: &str) -> usize {
    raw.find(':').unwrap_or(raw.len())
}

/// Control characters dropped, whitespace collapsed, at most [`MAX_CLIENT_NAME`] characters.
fn sanitise_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_CLIENT_NAME)
        .collect()
}

fn fallback_name(uris: &[String]) -> String {
    uris.first()
        .and_then(|u| Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "Unnamed client".into())
}

fn https_uri(field: &str, v: Option<&str>) -> Result<Option<String>, RegistrationError> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = v.len() <= MAX_REDIRECT_URL_LEN
        && Url::parse(v).is_ok_and(|u| {
            u.scheme() == "https"
                && u.has_host()
                && u.username().is_empty()
                && u.password().is_none()
        });
    if ok {
        Ok(Some(v.to_string()))
    } else {
        Err(bad_metadata(format!("{field} must be an https URL")))
    }
}

#[cfg(test)]
mod tests;
