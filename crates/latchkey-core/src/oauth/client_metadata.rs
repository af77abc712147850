//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-02, and the MCP
//! 2026-07-28 profile of draft-00): a `client_id` that is an `https` URL names a client whose
//! RFC 7591 metadata is served at that URL. This module holds the pure half: which URLs may be
//! client ids, what a fetched document must say, how long it may be cached, which addresses a
//! fetch may never reach (SSRF, draft -02 "Server-Side Request Forgery"), and the project's host
//! lists. The fetch itself is the server's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use latchkey_types::ClientRegistrationRequest;
use serde::Deserialize;
use url::{Host, Url};

use super::registration::{AuthMethod, Registration};

/// `creation_method` of clients known by their metadata document.
pub const CREATED_BY_CIMD: &str = "client_id_metadata_document";
/// Largest document accepted (draft -02 "Maximum Response Size" suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Longest client id URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// The cache keeps a document at least this long (a floor, so a client cannot make every
/// request a fetch) and at most this long (a ceiling, so a changed document is seen), seconds.
pub const CACHE_FLOOR_SECS: i64 = 60;
pub const CACHE_CEILING_SECS: i64 = 24 * 3600;
/// Kept when the response says nothing about caching.
pub const CACHE_DEFAULT_SECS: i64 = 10 * 60;

/// Why a metadata document (or its URL) was refused: a sentence for the error page and the
/// `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CimdError(pub String);

fn err(s: impl Into<String>) -> CimdError {
    CimdError(s.into())
}

/// Whether a client id is meant as a metadata document URL (generated client ids never
/// contain `://`).
pub fn is_client_id_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Checks a client id URL (draft -02 "Client Identifier URL"): `https`, a path, no fragment,
/// no user information, no `.` or `..` segments. `allow_http_loopback` (development only)
/// also admits `http://` URLs whose host is a loopback address or `localhost`.
pub fn parse_client_id_url(raw: &str, allow_http_loopback: bool) -> Result<Url, CimdError> {
    if raw.len() > MAX_URL_LEN {
        return Err(err("The client_id URL is too long."));
    }
    let url =
        Url::parse(raw).map_err(|e| err(format!("The client_id is not a valid URL: {e}.")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http_loopback && is_loopback_host(&url) => {}
        _ => return Err(err("A client_id metadata document URL must use https.")),
    }
    if url.fragment().is_some() || raw.contains('#') {
        return Err(err("The client_id URL must not contain a fragment."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            "The client_id URL must not contain a username or password.",
        ));
    }
    // `Url` resolves dot segments away, so look at the text as sent.
    let after_host = raw
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("");
    let path_text = after_host.split(['?', '#']).next().unwrap_or("");
    if path_text.split('/').any(|s| {
        s == "." || s == ".." || s.eq_ignore_ascii_case("%2e") || s.eq_ignore_ascii_case("%2e%2e")
    }) {
        return Err(err(
            "The client_id URL must not contain . or .. path segments.",
        ));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(err(
            "The client_id URL must have a path (for example https://app.example/client.json).",
        ));
    }
    Ok(url)
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The members a metadata document may carry beyond RFC 7591's.
#[derive(Debug, Default, Deserialize)]
struct DocumentExtras {
    client_id: Option<serde_json::Value>,
    client_secret: Option<serde_json::Value>,
    client_secret_expires_at: Option<serde_json::Value>,
    /// OpenID RP Metadata Choices (ChatGPT's document uses it instead of the single method).
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Grant types latchkey honours for these clients; others (Claude's document lists
/// `jwt-bearer`) are ignored, not fatal.
const GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];

/// Checks a fetched document against its URL (draft -02 "Client ID Metadata Document"): a JSON
/// object whose `client_id` is the URL exactly, with `redirect_uris` and `client_name`, no
/// shared secret, and `token_endpoint_auth_method` `none` or `private_key_jwt` (with `jwks` or
/// `jwks_uri`). The result is the registration the client behaves as.
pub fn parse_document(url: &str, body: &[u8]) -> Result<Registration, CimdError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(err(format!(
            "The client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes."
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        err(format!(
            "The client metadata document is not valid JSON: {e}."
        ))
    })?;
    if !value.is_object() {
        return Err(err("The client metadata document is not a JSON object."));
    }
    let extras: DocumentExtras = serde_json::from_value(value.clone())
        .map_err(|e| err(format!("The client metadata document is malformed: {e}.")))?;
    match extras.client_id.as_ref().and_then(|v| v.as_str()) {
        Some(id) if id == url => {}
        Some(id) => {
            return Err(err(format!(
                "The document's client_id {id:?} is not its URL {url:?}."
            )))
        }
        None => return Err(err("The client metadata document has no client_id.")),
    }
    if extras.client_secret.is_some() || extras.client_secret_expires_at.is_some() {
        return Err(err(
            "A client metadata document must not contain client_secret: these clients have no shared secret.",
        ));
    }
    let mut req: ClientRegistrationRequest = serde_json::from_value(value)
        .map_err(|e| err(format!("The client metadata document is malformed: {e}.")))?;
    if req
        .client_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(err("The client metadata document has no client_name."));
    }
    if req.redirect_uris.as_ref().is_none_or(Vec::is_empty) {
        return Err(err("The client metadata document has no redirect_uris."));
    }
    req.token_endpoint_auth_method = Some(auth_method(&req, &extras)?.as_str().into());
    if let Some(g) = &mut req.grant_types {
        g.retain(|g| GRANTS.contains(&g.as_str()));
        if g.is_empty() {
            g.push("authorization_code".into());
        }
    }
    // The client id is the URL; an RFC 7592 `client_id` member means nothing here.
    req.client_id = None;
    Registration::parse(&req).map_err(|e| err(format!("{}: {}", e.code, e.description)))
}

/// `none` or `private_key_jwt`, from the single method or the RP Metadata Choices list.
fn auth_method(
    req: &ClientRegistrationRequest,
    extras: &DocumentExtras,
) -> Result<AuthMethod, CimdError> {
    let has_keys = req.jwks.is_some() || req.jwks_uri.is_some();
    let method = match (&req.token_endpoint_auth_method, &extras.token_endpoint_auth_methods_supported) {
        (Some(m), _) => m.clone(),
        (None, Some(list)) if has_keys && list.iter().any(|m| m == "private_key_jwt") => {
            "private_key_jwt".into()
        }
        (None, Some(list)) if list.iter().any(|m| m == "none") => "none".into(),
        (None, Some(_)) => {
            return Err(err(
                "token_endpoint_auth_methods_supported names neither none nor private_key_jwt (with keys).",
            ))
        }
        (None, None) => "none".into(),
    };
    match method.as_str() {
        "none" => Ok(AuthMethod::None),
        "private_key_jwt" if has_keys => Ok(AuthMethod::PrivateKeyJwt),
        "private_key_jwt" => Err(err(
            "private_key_jwt needs the client's public keys in jwks or jwks_uri.",
        )),
        other => Err(err(format!(
            "token_endpoint_auth_method {other:?} is not allowed for a client metadata document: use none or private_key_jwt."
        ))),
    }
}

/// How long a fetched document may be used (draft -02 "Metadata Caching"): `Cache-Control`
/// `max-age` (or `s-maxage`), else `Expires` against `now`, clamped between the floor and the
/// ceiling; `no-store` / `no-cache` keep it for the floor only.
pub fn cache_lifetime(cache_control: Option<&str>, expires_at: Option<i64>, now: i64) -> i64 {
    let clamp = |s: i64| s.clamp(CACHE_FLOOR_SECS, CACHE_CEILING_SECS);
    if let Some(cc) = cache_control {
        let directives: Vec<String> = cc
            .split(',')
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        if directives
            .iter()
            .any(|d| d == "no-store" || d == "no-cache")
        {
            return CACHE_FLOOR_SECS;
        }
        for name in ["s-maxage=", "max-age="] {
            if let Some(v) = directives
                .iter()
                .find_map(|d| d.strip_prefix(name))
                .and_then(|v| v.trim_matches('"').parse::<i64>().ok())
            {
                return clamp(v);
            }
        }
    }
    match expires_at {
        Some(at) => clamp(at - now),
        None => CACHE_DEFAULT_SECS,
    }
}

/// The class of a special-use address a fetch must never reach, or `None` for a public one
/// (RFC 6890 and the IANA special-purpose registries). IPv4-mapped, NAT64 and 6to4 addresses
/// are judged by the IPv4 address inside.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 88 && c == 99)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 240
    {
        Some("special-use")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unspecified() {
        return Some("special-use");
    }
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits; 6to4 (2002::/16) in
    // bits 16-48.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return forbidden_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return forbidden_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ))
        .or(Some("special-use"));
    }
    if s[0] & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if s[0] & 0xffc0 == 0xfe80 || s[0] & 0xffc0 == 0xfec0 {
        Some("link-local")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("multicast")
    } else if s[0] & 0xe000 != 0x2000
        // 2001::/23 (IETF protocol assignments, Teredo), 2001:db8::/32 and 3fff::/20
        // (documentation), 64:ff9b:1::/48 (local NAT64) all fall here or below.
        || (s[0] == 0x2001 && s[1] < 0x0200)
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] & 0xfff0 == 0x3ff0)
    {
        Some("special-use")
    } else {
        None
    }
}

/// The project's host lists: a denied host (or a subdomain of one) is refused; when the allow
/// list is not empty, only its hosts (and their subdomains) pass. Entries are lowercase host
/// names.
pub fn host_allowed(host: &str, allow: &[String], deny: &[String]) -> Result<(), CimdError> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let matches = |entry: &String| {
        let e = entry.trim_start_matches("*.").trim_end_matches('.');
        host == e || host.ends_with(&format!(".{e}"))
    };
    if deny.iter().any(matches) {
        return Err(err(format!(
            "Client metadata documents from {host} are not accepted by this project."
        )));
    }
    if !allow.is_empty() && !allow.iter().any(matches) {
        return Err(err(format!(
            "{host} is not one of the hosts this project accepts client metadata documents from."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
