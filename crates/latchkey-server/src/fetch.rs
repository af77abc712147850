//! The one way latchkey fetches a URL that a client supplied (client ID metadata documents,
//! `jwks_uri`), guarded against server-side request forgery (draft-ietf-oauth-client-id-
//! metadata-document-02 "Server-Side Request Forgery", OWASP SSRF prevention):
//!
//! - `https` only (plain `http` to loopback only with `client_metadata_allow_http_loopback`);
//! - the address must be public: an IP literal is checked before the request, a host name in
//!   the resolver itself, so the addresses checked are the only ones connected to (DNS
//!   rebinding cannot slip a second answer in); any special-use answer refuses the name;
//! - no redirects, no proxies from the environment, no cookies;
//! - a short total timeout and a byte cap enforced while the body streams in.
//!
//! Every refusal is a sentence naming the reason, for error pages and `error_description`.
//!
//! URLs the operator configured (the SMS webhook, issue 13 item 3) are trusted: a fetcher made
//! by [`GuardedFetcher::operator`] connects to any address over http or https, but keeps the
//! rest (no redirects, no proxies, the timeouts).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use latchkey_core::oauth::client_metadata::forbidden_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Time a whole fetch may take.
pub const TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A fetched body with its caching headers.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub cache_control: Option<String>,
    /// `Expires`, as a Unix time.
    pub expires: Option<i64>,
}

/// The guarded HTTP client (cheap to clone).
#[derive(Clone)]
pub struct GuardedFetcher {
    client: reqwest::Client,
    allow_loopback: bool,
    /// The operator chose every URL this fetcher is given: no address checks.
    operator: bool,
}

/// A refused address, carried out of the resolver through reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Refused(format!("{host} could not be resolved: {e}.")))?
                .collect();
            if addrs.is_empty() {
                return Err(Refused(format!("{host} has no address.")).into());
            }
            for a in &addrs {
                check_address(&host, a.ip(), allow_loopback).map_err(Refused)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

fn check_address(host: &str, ip: IpAddr, allow_loopback: bool) -> Result<(), String> {
    match forbidden_address(ip) {
        None => Ok(()),
        Some("loopback") if allow_loopback => Ok(()),
        Some(class) => Err(format!(
            "{host} resolves to {ip}, a {class} address: latchkey fetches only from public addresses."
        )),
    }
}

impl GuardedFetcher {
    /// `allow_loopback`: development only (`client_metadata_allow_http_loopback`).
    pub fn new(allow_loopback: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .https_only(!allow_loopback)
            .build()?;
        Ok(GuardedFetcher {
            client,
            allow_loopback,
            operator: false,
        })
    }

    /// For URLs from the operator's configuration: any address, http or https; still no
    /// redirects, no proxies from the environment, and the same timeouts.
    pub fn operator() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(GuardedFetcher {
            client,
            allow_loopback: true,
            operator: true,
        })
    }

    /// POSTs a JSON `body` with extra `headers`; any 2xx answer is success (its body is not
    /// read), anything else (a redirect included) a sentence naming what happened.
    pub async fn post_json(
        &self,
        url: &Url,
        body: Vec<u8>,
        headers: &[(&'static str, String)],
    ) -> Result<(), String> {
        if !self.operator {
            self.check_url(url)?;
        }
        let mut req = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let res = req.body(body).send().await.map_err(|e| describe(url, &e))?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!(
                "{url} answered with a redirect ({status}); redirects are not followed."
            ))
        } else {
            Err(format!("{url} answered {status}."))
        }
    }

    /// GETs `url` as JSON, at most `max_bytes` of body.
    pub async fn get(&self, url: &Url, max_bytes: usize) -> Result<Fetched, String> {
        self.check_url(url)?;
        let mut res = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| describe(url, &e))?;
        let status = res.status();
        if status.is_redirection() {
            return Err(format!(
                "{url} answered with a redirect ({status}); redirects are not followed."
            ));
        }
        if status != reqwest::StatusCode::OK {
            return Err(format!("{url} answered {status}, not 200 OK."));
        }
        if res.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(format!("{url} is larger than {max_bytes} bytes."));
        }
        let header = |name: reqwest::header::HeaderName| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let cache_control = header(reqwest::header::CACHE_CONTROL);
        let expires = header(reqwest::header::EXPIRES)
            .and_then(|v| httpdate::parse_http_date(&v).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| describe(url, &e))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(format!("{url} is larger than {max_bytes} bytes."));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            body,
            cache_control,
            expires,
        })
    }

    /// The checks that need no network: scheme, user information, IP literal hosts (which
    /// never reach the resolver).
    fn check_url(&self, url: &Url) -> Result<(), String> {
        let loopback_host = match url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(format!("{url} has no host.")),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback && loopback_host => {}
            _ => return Err(format!("{url} does not use https.")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{url} contains a username or password."));
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            check_address(&ip.to_string(), ip, self.allow_loopback)?;
        }
        Ok(())
    }
}

/// The reason behind a reqwest error: the resolver's refusal when there is one.
fn describe(url: &Url, e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return r.0.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        format!("{url} did not answer within {} seconds.", TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("{url} could not be reached.")
    } else {
        format!("{url} could not be fetched.")
    }
}
