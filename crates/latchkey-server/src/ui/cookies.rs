//! The pages' cookies: all `HttpOnly` and `SameSite=Lax`, `Secure` unless the issuer is
//! plain-http loopback (local development). Values are base64url, so no quoting is needed.
//!
//! One session cookie serves every project of the server: a session that is not this project's
//! but is live in another is left alone rather than cleared (security review #18), so signing
//! in to one project's app does not sign the browser out of another's until it logs in there.

use axum::http::{header, HeaderMap};

use crate::state::AppState;

/// The pending authorization request's random id (the row is keyed by its hash).
pub const PENDING: &str = "latchkey_authz";
/// The member session token.
pub const SESSION: &str = "latchkey_session";
/// The logout form's CSRF token (double-submit).
pub const LOGOUT_CSRF: &str = "latchkey_logout_csrf";

pub const PENDING_PATH: &str = "/oauth2/authorize";
pub const SESSION_PATH: &str = "/oauth2";
pub const LOGOUT_PATH: &str = "/oauth2/logout";

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

/// True when `token` is a live member session of a project other than `project_id` (then the
/// cookie belongs to that project's flow and must not be cleared here).
pub async fn is_foreign_session(state: &AppState, token: &str, project_id: &str) -> bool {
    let hash = latchkey_core::secret::SecretHash::of(token);
    let now = state.clock.now().unix_timestamp();
    let Ok(projects) = state.store.list_projects().await else {
        return false;
    };
    for p in projects.iter().filter(|p| p.project_id != project_id) {
        if let Ok(Some(s)) = state.store.session_by_token(&p.project_id, &hash).await {
            if s.expires_at > now {
                return true;
            }
        }
    }
    false
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
        assert_eq!(get(&h, "b").as_deref(), Some("2"));
        assert_eq!(get(&h, "c"), None);
        assert_eq!(
            set("n", "v", "/p", Some(60), true),
            "n=v; Path=/p; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(clear("n", "/p", false).contains("Max-Age=0"));
    }
}
