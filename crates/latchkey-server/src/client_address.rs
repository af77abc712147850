//! The client's IP address, for password-login throttling: the TCP peer (axum `ConnectInfo`,
//! installed by `startup::serve`), or, only when `trust_x_forwarded_for` is configured, the last
//! entry of the last `X-Forwarded-For` header (the address the trusted reverse proxy saw; entries
//! further left are client-supplied and could be forged). Never trust the header without a proxy
//! that appends it: any client could then pick its own address and escape the throttle.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// `None` when no address is known (a router driven without a socket, as in `oneshot` tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        if state.config.trust_x_forwarded_for {
            if let Some(ip) = forwarded_for(parts) {
                return Ok(ClientAddress(Some(ip)));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddress(peer))
    }
}

/// The last address of the last `X-Forwarded-For` header, if it parses.
fn forwarded_for(parts: &Parts) -> Option<IpAddr> {
    let header = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?;
    let last = header.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[&str]) -> Parts {
        let mut b = Request::builder();
        for h in headers {
            b = b.header("x-forwarded-for", *h);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn takes_the_proxys_entry() {
        assert_eq!(
            forwarded_for(&parts(&["6.6.6.6, 203.0.113.9"])),
            "203.0.113.9".parse().ok()
        );
        assert_eq!(
            forwarded_for(&parts(&["1.1.1.1", "2001:db8::1"])),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(
            forwarded_for(&parts(&["198.51.100.1:4711"])),
            "198.51.100.1".parse().ok()
        );
        assert_eq!(forwarded_for(&parts(&["junk"])), None);
        assert_eq!(forwarded_for(&parts(&[])), None);
    }
}
