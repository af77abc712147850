//! Start-up warnings for development-only settings and plain-text mail (issue 15 item 6), added
//! to [`crate::startup::insecure_defaults`] (which names the unset issuer, master key and SMTP
//! server). Each says what is unsafe and the setting that fixes it.

use crate::config::Config;

/// `localhost`, 127.0.0.0/8 or `::1` (in a non-special URL such as `smtp://` an address is an
/// opaque host name, hence the parse).
fn is_local(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// An `http://` URL to a host other than this machine: tokens or links would cross the network
/// in clear text (OAuth 2.1 section 1.5 requires TLS).
fn plain_http_remote(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "http")
        .and_then(|u| u.host().map(|h| !is_local(&h)))
        .unwrap_or(false)
}

/// An SMTP URL that does not insist on TLS (`smtps://`, or `smtp://` with `tls=required`) and
/// names another host: mail, magic-link tokens included, may travel unencrypted (a STARTTLS
/// that is only `opportunistic` can be stripped by anyone on the path).
fn smtp_without_tls(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host()?;
    if u.scheme() != "smtp" || is_local(&host) {
        return None;
    }
    let tls = u
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    (tls.as_deref() != Some("required")).then(|| host.to_string())
}

pub fn unsafe_settings(config: &Config) -> Vec<String> {
    let mut w = Vec::new();
    let loopback = crate::issuer::is_loopback_listener(&config.listen);
    for (name, value) in [
        ("issuer", &config.issuer),
        ("authorization_url", &config.authorization_url),
        ("magic_link_redirect_url", &config.magic_link_redirect_url),
    ] {
        if value.as_deref().is_some_and(plain_http_remote) {
            w.push(format!(
                "`{name}` is a plain http:// URL to another host: authorization codes, tokens \
                 and session cookies would cross the network unencrypted; use https:// \
                 (terminate TLS at a proxy, docs/operations.md)"
            ));
        }
    }
    let db = config.database_url.as_str();
    if db.starts_with("sqlite:") && (db.contains(":memory:") || db.contains("mode=memory")) {
        w.push(
            "the database is in memory (sqlite::memory:): every project, member and key is lost \
             when the process stops; use sqlite://PATH or postgres://"
                .into(),
        );
    }
    if config.trust_x_forwarded_for && !loopback {
        w.push(format!(
            "`trust_x_forwarded_for` is on and the server listens on {}, which is not loopback: \
             a client that reaches it directly can pick the address password throttling counts; \
             let only the proxy reach it",
            config.listen
        ));
    }
    if let Some(host) = config
        .smtp_url
        .as_ref()
        .and_then(|u| smtp_without_tls(&u.0))
    {
        w.push(format!(
            "`smtp_url` sends mail to {host} without requiring TLS: magic links could be read \
             on the way; use smtps://{host}:465 or smtp://{host}:587?tls=required"
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_needs_tls_off_this_machine() {
        assert_eq!(
            smtp_without_tls("smtp://u:p@mail.example.com:25"),
            Some("mail.example.com".into())
        );
        assert_eq!(
            smtp_without_tls("smtp://mail.example.com:587?tls=opportunistic"),
            Some("mail.example.com".into())
        );
        assert_eq!(
            smtp_without_tls("smtp://mail.example.com:587?tls=required"),
            None
        );
        assert_eq!(smtp_without_tls("smtps://mail.example.com:465"), None);
        assert_eq!(smtp_without_tls("smtp://localhost:25"), None);
        assert_eq!(smtp_without_tls("smtp://127.0.0.1:2525"), None);
        assert_eq!(smtp_without_tls("smtp://[::1]:2525"), None);
    }

    #[test]
    fn plain_http_only_matters_off_this_machine() {
        assert!(plain_http_remote("http://login.example.com"));
        assert!(!plain_http_remote("https://login.example.com"));
        assert!(!plain_http_remote("http://127.0.0.1:8080"));
        assert!(!plain_http_remote("http://localhost:8080"));
        assert!(!plain_http_remote("http://[::1]:8080"));
    }

    #[test]
    fn development_settings_are_named() {
        let mut c = Config::for_database("sqlite::memory:");
        assert!(unsafe_settings(&c)[0].contains("in memory"));
        c.database_url = "sqlite://latchkey.db".into();
        assert!(unsafe_settings(&c).is_empty());
        c.issuer = Some("http://login.example.com".into());
        c.trust_x_forwarded_for = true;
        c.listen = "0.0.0.0:8080".parse().unwrap();
        c.smtp_url = Some(crate::config::SmtpUrl("smtp://relay.example.com".into()));
        let w = unsafe_settings(&c);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("`issuer`") && w[1].contains("trust_x_forwarded_for"));
        assert!(w[2].contains("relay.example.com"));
    }
}
