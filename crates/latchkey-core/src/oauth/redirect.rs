//! Redirect URLs: registration-time validation (Stytch §13.5, RFC 8252 §7, RFC 9700 §4.1)
//! and request-time matching (RFC 6749 §3.1.2.3, OAuth 2.1 §2.3.1, Stytch §4.3).
//!
//! Matching is a plain string comparison of the raw text, never of a normalised `Url`: the
//! one exception is a registered loopback URL without a port, which matches the same URL with
//! any port (RFC 8252 §7.3). So `https://a.com:443/cb` does NOT match `https://a.com/cb`, and
//! case, trailing slashes, percent-encoding and query strings must all be identical.

use url::{Host, Url};

mod matching;
mod syntax;

pub use matching::{redirect_uri_matches, redirect_uri_matches_native, MatchKind, MatchedRedirect};
use syntax::{authority, has_dot_segment, is_localhost, split_port, split_scheme};

/// Longest redirect URL accepted at registration, in bytes (browsers cap URLs near 2 KiB).
pub const MAX_REDIRECT_URL_LEN: usize = 2048;

/// Why a redirect URL was refused with `connected_app_invalid_redirect_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidRedirectReason {
    /// Empty string.
    Empty,
    /// Longer than [`MAX_REDIRECT_URL_LEN`].
    TooLong,
    /// Contains whitespace, a control character or a backslash (parsers disagree on them).
    ForbiddenCharacter,
    /// `http:`/`https:` not followed by `//`, or otherwise unparseable.
    Malformed,
    /// Has `user:pass@` (RFC 9700 §4.1: used to disguise the real host).
    Userinfo,
    /// Has a `#fragment` (RFC 6749 §3.1.2).
    Fragment,
    /// Path has `.` / `..` segments (the browser would land somewhere else).
    DotSegment,
    /// Port is empty, zero or has a leading zero.
    BadPort,
    /// A loopback address spelt other than `127.0.0.1` / `[::1]` (e.g. `127.1`, `[0::1]`).
    NonCanonicalLoopback,
}

impl std::fmt::Display for InvalidRedirectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "it is empty",
            Self::TooLong => "it is longer than 2048 characters",
            Self::ForbiddenCharacter => {
                "it contains whitespace, a control character or a backslash"
            }
            Self::Malformed => "it is not a well-formed absolute URL",
            Self::Userinfo => "it contains a username or password",
            Self::Fragment => "it contains a fragment",
            Self::DotSegment => "its path contains . or .. segments",
            Self::BadPort => "its port is empty, zero or zero-padded",
            Self::NonCanonicalLoopback => "loopback addresses must be written 127.0.0.1 or [::1]",
        })
    }
}

/// A redirect URL refused at registration, one variant per Stytch `error_type` (spec §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUrlError {
    /// `connected_app_invalid_redirect_url`.
    #[error("invalid redirect URL: {0}")]
    Invalid(InvalidRedirectReason),
    /// `connected_app_redirect_url_must_include_scheme`.
    #[error("redirect URL must include a scheme such as https://")]
    MustIncludeScheme,
    /// `connected_app_redirect_url_must_use_http_or_https_scheme` (a scheme that is neither
    /// http(s) nor a reverse-domain private-use scheme like `com.example.app`).
    #[error("redirect URL must use http, https or a reverse-domain private-use scheme")]
    MustUseHttpOrHttps,
    /// `connected_app_redirect_url_must_use_https_scheme`: `http` with a domain name.
    #[error("redirect URL must use https")]
    MustUseHttps,
    /// `connected_app_redirect_url_http_scheme_must_use_loopback`: `http` with a non-loopback IP.
    #[error("http redirect URLs must use the loopback address 127.0.0.1 or [::1]")]
    HttpMustUseLoopback,
    /// `connected_app_redirect_url_cannot_use_localhost` (RFC 8252 §8.3: use 127.0.0.1).
    #[error("redirect URL cannot use localhost; use 127.0.0.1 or [::1]")]
    CannotUseLocalhost,
}

impl RedirectUrlError {
    /// Stytch `error_type`; HTTP status 400.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::Invalid(_) => "connected_app_invalid_redirect_url",
            Self::MustIncludeScheme => "connected_app_redirect_url_must_include_scheme",
            Self::MustUseHttpOrHttps => "connected_app_redirect_url_must_use_http_or_https_scheme",
            Self::MustUseHttps => "connected_app_redirect_url_must_use_https_scheme",
            Self::HttpMustUseLoopback => "connected_app_redirect_url_http_scheme_must_use_loopback",
            Self::CannotUseLocalhost => "connected_app_redirect_url_cannot_use_localhost",
        }
    }
}

/// Port rule of a registered loopback URL (RFC 8252 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackPort {
    /// Registered without a port: any port matches.
    Any,
    /// Registered with this port: exact match only.
    Fixed(u16),
}

/// What kind of redirect URL was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    /// `https://` on a non-loopback host.
    Web,
    /// `http://` or `https://` on `127.0.0.1` / `[::1]` (RFC 8252 §7.3).
    Loopback(LoopbackPort),
    /// Reverse-domain private-use scheme, e.g. `com.example.app:/cb` (RFC 8252 §7.1).
    PrivateUse,
}

/// A redirect URL that passed registration rules; keeps the exact text the developer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl {
    raw: String,
    kind: RedirectKind,
}

impl RedirectUrl {
    /// Validate a URL from `redirect_urls` on create/update (Stytch §13.5).
    pub fn parse(raw: &str) -> Result<Self, RedirectUrlError> {
        use InvalidRedirectReason as R;
        let invalid = RedirectUrlError::Invalid;
        if raw.is_empty() {
            return Err(invalid(R::Empty));
        }
        if raw.len() > MAX_REDIRECT_URL_LEN {
            return Err(invalid(R::TooLong));
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(invalid(R::ForbiddenCharacter));
        }
        let (scheme, rest) = split_scheme(raw).ok_or(RedirectUrlError::MustIncludeScheme)?;
        let scheme = scheme.to_ascii_lowercase();
        let is_http = scheme == "http";
        if !is_http && scheme != "https" && !scheme.contains('.') {
            return Err(RedirectUrlError::MustUseHttpOrHttps);
        }
        let url = Url::parse(raw).map_err(|_| invalid(R::Malformed))?;
        if !url.username().is_empty() || url.password().is_some() || authority(rest).contains('@') {
            return Err(invalid(R::Userinfo));
        }
        if raw.contains('#') {
            return Err(invalid(R::Fragment));
        }
        if has_dot_segment(rest) {
            return Err(invalid(R::DotSegment));
        }
        if !is_http && scheme != "https" {
            return Ok(Self {
                raw: raw.to_owned(),
                kind: RedirectKind::PrivateUse,
            });
        }
        if !rest.starts_with("//") {
            return Err(invalid(R::Malformed));
        }
        let (host_text, port) = split_port(authority(rest)).ok_or(invalid(R::BadPort))?;
        if host_text.is_empty() {
            // `http:///x` would be "repaired" by the parser into `http://x/`.
            return Err(invalid(R::Malformed));
        }
        let loopback_literal = host_text == "127.0.0.1" || host_text == "[::1]";
        let kind = match url.host() {
            _ if loopback_literal => RedirectKind::Loopback(match port {
                Some(p) => LoopbackPort::Fixed(p),
                None => LoopbackPort::Any,
            }),
            Some(Host::Domain(d)) if is_localhost(d) => {
                return Err(RedirectUrlError::CannotUseLocalhost)
            }
            Some(Host::Ipv4(ip)) if ip.is_loopback() => {
                return Err(invalid(R::NonCanonicalLoopback))
            }
            Some(Host::Ipv6(ip)) if ip.is_loopback() => {
                return Err(invalid(R::NonCanonicalLoopback))
            }
            Some(Host::Domain(_)) if is_http => return Err(RedirectUrlError::MustUseHttps),
            Some(_) if is_http => return Err(RedirectUrlError::HttpMustUseLoopback),
            Some(_) => RedirectKind::Web,
            None => return Err(invalid(R::Malformed)),
        };
        Ok(Self {
            raw: raw.to_owned(),
            kind,
        })
    }

    /// The URL exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Web, loopback or private-use.
    pub fn kind(&self) -> RedirectKind {
        self.kind
    }
}

#[cfg(test)]
mod tests;
