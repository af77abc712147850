//! Request-time matching of `redirect_uri` (RFC 6749 §3.1.2.3, OAuth 2.1 §2.3.1, RFC 8252
//! §7.3, Stytch §4.3) and building the response URL on the matched URI (RFC 6749 §4.1.2).

use url::Url;

use super::super::error::OAuthError;
use super::syntax::{authority, parse_port, split_scheme};
use super::{LoopbackPort, RedirectKind, RedirectUrl};

/// How a requested `redirect_uri` matched a registered URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// Byte-for-byte identical.
    Exact,
    /// Registered loopback URL without a port; request added a port (RFC 8252 §7.3).
    LoopbackAnyPort,
}

/// A requested `redirect_uri` accepted for this client. Bind the code to [`Self::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRedirect {
    requested: String,
    url: Url,
    registered: String,
    kind: MatchKind,
}

impl MatchedRedirect {
    /// The requested URI, exactly as sent (what the token request must repeat).
    pub fn as_str(&self) -> &str {
        &self.requested
    }
    /// Parsed form, for building the response with `query_pairs_mut`.
    pub fn url(&self) -> &Url {
        &self.url
    }
    /// The registered URL it matched.
    pub fn registered(&self) -> &str {
        &self.registered
    }
    /// Exact or loopback-any-port.
    pub fn kind(&self) -> MatchKind {
        self.kind
    }
    /// Successful authorization response: `code` and `state` appended (RFC 6749 §4.1.2).
    pub fn with_code(&self, code: &str, state: Option<&str>) -> Url {
        self.with_pairs(&[("code", Some(code)), ("state", state)])
    }
    /// Error response: `error`, `error_description`, `state` appended (RFC 6749 §4.1.2.1).
    pub fn with_error(&self, error: &OAuthError, state: Option<&str>) -> Url {
        let desc = Some(error.description.as_str()).filter(|d| !d.is_empty());
        self.with_pairs(&[
            ("error", Some(error.code.as_str())),
            ("error_description", desc),
            ("state", state),
        ])
    }
    fn with_pairs(&self, pairs: &[(&str, Option<&str>)]) -> Url {
        let mut url = self.url.clone();
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                if let Some(v) = v {
                    q.append_pair(k, v);
                }
            }
        }
        url
    }
}

/// Request-time check of `redirect_uri` against the client's `redirect_urls` (Stytch §4.3):
/// exact string match, or a port added to a registered port-less loopback URL. `None` →
/// `connected_app_supplied_redirect_url_not_found_in_client`; never redirect in that case.
pub fn redirect_uri_matches(registered: &[String], requested: &str) -> Option<MatchedRedirect> {
    let found = |reg: &String, kind| {
        let url = Url::parse(requested).ok()?;
        Some(MatchedRedirect {
            requested: requested.to_owned(),
            url,
            registered: reg.clone(),
            kind,
        })
    };
    if let Some(reg) = registered.iter().find(|r| r.as_str() == requested) {
        return found(reg, MatchKind::Exact);
    }
    registered
        .iter()
        .find(|reg| loopback_any_port_matches(reg, requested))
        .and_then(|reg| found(reg, MatchKind::LoopbackAnyPort))
}

/// `requested` = `registered` with `:port` inserted right after the host, nothing else changed.
fn loopback_any_port_matches(registered: &str, requested: &str) -> bool {
    let Ok(reg) = RedirectUrl::parse(registered) else {
        return false;
    };
    if reg.kind() != RedirectKind::Loopback(LoopbackPort::Any) {
        return false;
    }
    let Some((scheme, rest)) = split_scheme(registered) else {
        return false;
    };
    let host_end = scheme.len() + 1 + 2 + authority(rest).len();
    let (prefix, suffix) = registered.split_at(host_end);
    let Some(tail) = requested
        .strip_prefix(prefix)
        .and_then(|t| t.strip_prefix(':'))
    else {
        return false;
    };
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    parse_port(&tail[..digits]).is_some() && &tail[digits..] == suffix
}

/// Request-time matching for native clients that registered themselves (RFC 7591 with
/// `application_type: native`, RFC 8252 §7.3): exact, or a registered `http` loopback URL
/// (`localhost`, `127.0.0.1`, `[::1]`, with or without a port) with the same host, path and
/// query on any port. Clients created through the management API never come here.
pub fn redirect_uri_matches_native(
    registered: &[String],
    requested: &str,
) -> Option<MatchedRedirect> {
    if let Some(m) = redirect_uri_matches(registered, requested) {
        return Some(m);
    }
    let (req_host, req_tail) = loopback_parts(requested)?;
    let reg = registered.iter().find(|r| {
        loopback_parts(r).is_some_and(|(h, t)| h.eq_ignore_ascii_case(req_host) && t == req_tail)
    })?;
    Some(MatchedRedirect {
        requested: requested.to_owned(),
        url: Url::parse(requested).ok()?,
        registered: reg.clone(),
        kind: MatchKind::LoopbackAnyPort,
    })
}

/// `http://HOST[:PORT]TAIL` with a loopback HOST: (HOST, TAIL), the port checked and dropped.
fn loopback_parts(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix("http://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(end);
    let (host, port) = match auth.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => (h, Some(p)),
        _ => (auth, None),
    };
    if let Some(p) = port {
        parse_port(p)?;
    }
    let loopback = host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]";
    (loopback && !tail.contains('#')).then_some((host, tail))
}
