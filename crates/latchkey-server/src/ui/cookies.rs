//! The pages' cookies: all `HttpOnly` and `SameSite=Lax`, `Secure` unless the issuer is
//! plain-http loopback (local development). Values are base64url, so no quoting is needed.
//!
//! Each project has its own session cookie ([`session`]), so signing in to one project's app
//! never replaces or clears the browser's session in another's (security review #18).

use axum::http::{header, HeaderMap};

use crate::state::AppState;

/// The pending authorization request's random id (the row is keyed by its hash).
pub const PENDING: &str = "latchkey_authz";
/// The prefix of the member session cookies (one per project, see [`session`]).
pub const SESSION: &str = "latchkey_session";
/// The logout form's CSRF token (double-submit).
pub const LOGOUT_CSRF: &str = "latchkey_logout_csrf";

pub const PENDING_PATH: &str = "/oauth2/authorize";
pub const SESSION_PATH: &str = "/oauth2";
pub const LOGOUT_PATH: &str = "/oauth2/logout";
/// The device page's double-submit CSRF token (RFC 8628 §3.3 page, `ui::device`).
pub const DEVICE_CSRF: &str = "latchkey_device_csrf";
pub const DEVICE_PATH: &str = "/oauth2/device";

/// The value of cookie `name` from the request's `Cookie` headers.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// The name of `project_id`'s member session cookie: `latchkey_session_` and the first 16 hex
/// digits of the project id's SHA-256 (a cookie name is a token: no `/` or `=`, and short).
pub fn session(project_id: &str) -> String {
    let hash = latchkey_core::secret::SecretHash::of(project_id);
    let short = hash.as_str().get(..16).unwrap_or_default();
    format!("{SESSION}_{short}")
}

/// `Secure` unless the issuer is `http://` on a loopback host.
pub fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    let Ok(issuer) = crate::issuer::issuer(state, headers) else {
        return true;
    };
    let Ok(u) = url::Url::parse(&issuer) else {
        return true;
    };
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    !(u.scheme() == "http" && loopback)
}

/// A `Set-Cookie` value; `max_age` none makes a browser-session cookie.
pub fn set(name: &str, value: &str, path: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(s) = max_age {
        c.push_str(&format!("; Max-Age={s}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear(name: &str, path: &str, secure: bool) -> String {
    set(name, "", path, Some(0), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; latchkey_session=tok".parse().unwrap());
        h.append(header::COOKIE, "b=2".parse().unwrap());
        assert_eq!(get(&h, SESSION).as_deref(), Some("tok"));
        assert_eq!(session("project-test-a").len(), SESSION.len() + 17);
        assert_ne!(session("project-test-a"), session("project-test-b"));
        assert_eq!(get(&h, "b").as_deref(), Some("2"));
        assert_eq!(get(&h, "c"), None);
        assert_eq!(
            set("n", "v", "/p", Some(60), true),
            "n=v; Path=/p; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(clear("n", "/p", false).contains("Max-Age=0"));
    }
}
