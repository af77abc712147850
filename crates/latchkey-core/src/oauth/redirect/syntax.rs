//! Raw-text helpers for redirect URLs. They read the string as sent, because `url::Url`
//! repairs input (`http:///x` → `http://x/`, `127.1` → `127.0.0.1`) that must be judged
//! before it is repaired (RFC 3986 §3 grammar).

/// RFC 3986 §3.1 scheme, refusing `host:port` look-alikes such as `localhost:3000/cb`.
pub(super) fn split_scheme(raw: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let looks_like_port = rest.starts_with(|c: char| c.is_ascii_digit());
    (valid && !looks_like_port).then_some((scheme, rest))
}

/// The authority of `//authority/path?query`; empty when `rest` has no `//`.
pub(super) fn authority(rest: &str) -> &str {
    let Some(after) = rest.strip_prefix("//") else {
        return "";
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    &after[..end]
}

/// Split `host[:port]`; `None` if a port is present but empty, zero or zero-padded.
pub(super) fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let host_end = match authority.rfind(']') {
        Some(i) => i + 1,
        None => authority.find(':').unwrap_or(authority.len()),
    };
    match authority[host_end..].strip_prefix(':') {
        None if host_end == authority.len() => Some((authority, None)),
        None => None,
        Some(p) => Some((&authority[..host_end], Some(parse_port(p)?))),
    }
}

pub(super) fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.starts_with('0') || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// `localhost`, `*.localhost` (RFC 6761 §6.3), with or without the root dot.
pub(super) fn is_localhost(domain: &str) -> bool {
    let d = domain.trim_end_matches('.');
    d == "localhost" || d.ends_with(".localhost")
}

pub(super) fn has_dot_segment(rest: &str) -> bool {
    let path_start = if rest.starts_with("//") {
        2 + authority(rest).len()
    } else {
        0
    };
    let path = &rest[path_start..];
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    path.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase().replace("%2e", ".");
        seg == "." || seg == ".."
    })
}
