//! The server's public origin (the OAuth/OIDC `issuer`), the one place that decides it. Every
//! URL that leaves the server (magic links, discovery, `iss`, ID tokens) starts here.
//!
//! The configured `issuer` wins. Without one, the request's `Host` is used only when it is a
//! loopback host (`127.0.0.1`, `[::1]`, `localhost`, any port): the development default. Any
//! other `Host` is attacker-controlled as far as we know (security review #1: a poisoned `Host`
//! put the attacker's origin into a genuine login mail), so it is refused, in the envelope of
//! the endpoint that asked ([`UntrustedHost`] converts into each family's error).

use axum::http::{header, HeaderMap, StatusCode};
use latchkey_core::oauth::OAuthError;
use latchkey_core::ApiError;

use crate::envelope::ApiFailure;
use crate::oauth::envelope::OAuthFailure;
use crate::state::AppState;
use crate::ui::page::{error_page, Fail};

/// The message every family shows: what happened and the setting that fixes it.
pub const SET_ISSUER: &str = "This server has no `issuer` configured and the request's Host is \
     not a loopback address, so it will not build its own URLs from it: set `issuer` \
     (LATCHKEY_ISSUER) to the server's public origin, e.g. https://login.example.com.";

/// The request's `Host` could not be trusted as the issuer (no `issuer` is configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UntrustedHost;

/// The issuer for this request: the configured one (without a trailing `/`), else
/// `http://{Host}` for a loopback `Host`, else [`UntrustedHost`].
pub fn issuer(state: &AppState, headers: &HeaderMap) -> Result<String, UntrustedHost> {
    if let Some(i) = &state.config.issuer {
        return Ok(i.trim_end_matches('/').to_string());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or(UntrustedHost)?;
    loopback_host(host)
        .map(|h| format!("http://{h}"))
        .ok_or(UntrustedHost)
}

/// `host` (a `Host` header value) lower-cased, when it is `127.0.0.1`, `[::1]` or `localhost`
/// with an optional numeric port; `None` for anything else.
pub fn loopback_host(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                a => Some(a.strip_prefix(':')?),
            };
            (format!("[{inside}]"), port)
        }
        None => match host.split_once(':') {
            Some((n, p)) => (n.to_string(), Some(p)),
            None => (host.clone(), None),
        },
    };
    if !matches!(name.as_str(), "127.0.0.1" | "[::1]" | "localhost") {
        return None;
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some(host)
}

/// True when a listen address only accepts loopback connections.
pub fn is_loopback_listener(addr: &std::net::SocketAddr) -> bool {
    addr.ip().is_loopback()
}

impl From<UntrustedHost> for OAuthFailure {
    fn from(_: UntrustedHost) -> Self {
        OAuthError::invalid_request(SET_ISSUER).into()
    }
}

impl From<UntrustedHost> for ApiFailure {
    fn from(_: UntrustedHost) -> Self {
        ApiFailure(ApiError::bad_request("bad_request", SET_ISSUER))
    }
}

impl UntrustedHost {
    /// The hosted pages' answer: an error page (nothing is sent, no redirect is built).
    pub fn page(self, state: &AppState) -> Fail {
        Fail::Page(error_page(
            state,
            StatusCode::BAD_REQUEST,
            "This server is not set up for this address",
            "The sign-in page was reached under an address the server does not know as its own, \
             so it stopped before sending any link.",
            Some(SET_ISSUER),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:3000",
            "localhost",
            "LocalHost:1",
        ] {
            assert!(loopback_host(ok).is_some(), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:80",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "127.0.0.1:80@evil.example",
            "localhost:",
            "localhost:80:80",
            "localhost:123456",
            "[::1]x",
            "[::2]",
            "127.0.0.2",
            "localhost/evil",
            "",
        ] {
            assert_eq!(loopback_host(bad), None, "{bad}");
        }
    }
}
