//! Authorized origins of the frontend SDK surface (`/sdk/v1`; Stytch's "authorized
//! applications", <https://stytch.com/docs/workspace-management/authorized-applications>):
//! which web origins may call a project's SDK endpoints with its public token. A browser's
//! `Origin` and the SDK's `X-SDK-Parent-Host` must each be one of them; otherwise Stytch answers
//! `bad_domain_for_stytch_sdk`. Test projects also accept loopback origins
//! (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`) for local development.

use crate::ids::Environment;
use crate::ApiError;

/// `scheme://host[:port]` of an `http`/`https` URL without path, query or credentials
/// (a single trailing `/` is tolerated), lower-cased as browsers send it; anything else is
/// refused with a message that says why.
pub fn normalize(origin: &str) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::bad_request("invalid_origin", format!("{origin:?} {why}"));
    let url = url::Url::parse(origin.trim()).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if url.host_str().is_none() {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must be an origin (scheme://host[:port]) without path or query",
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// Whether a loopback origin, which a test project accepts without configuration.
pub fn is_loopback(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && matches!(
            url.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        )
}

/// Whether `origin` (as the browser sent it) may call the project's SDK surface.
pub fn allowed(origin: &str, authorized: &[String], env: Environment) -> bool {
    let Ok(o) = normalize(origin) else {
        return false;
    };
    authorized.contains(&o) || (env == Environment::Test && is_loopback(&o))
}

/// The refusal for a page on an origin the project has not authorized.
pub fn refused(origin: &str) -> ApiError {
    ApiError::new(
        403,
        "bad_domain_for_stytch_sdk",
        format!(
            "The origin {origin:?} is not an authorized origin of this project's frontend SDK; add it with `latchkey project origins add`."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalise_and_match() {
        assert_eq!(
            normalize("HTTPS://App.Example.com/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            normalize("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(normalize("https://app.example.com/login").is_err());
        assert!(normalize("ftp://x.example").is_err());
        assert!(normalize("https://u:p@x.example").is_err());
        let list = vec!["https://app.example.com".to_string()];
        assert!(allowed("https://app.example.com", &list, Environment::Live));
        assert!(!allowed("https://evil.example", &list, Environment::Live));
        assert!(allowed("http://localhost:5173", &[], Environment::Test));
        assert!(allowed("http://127.0.0.1:9", &[], Environment::Test));
        assert!(!allowed("http://localhost:5173", &[], Environment::Live));
        assert!(!allowed(
            "http://localhost.evil.example",
            &[],
            Environment::Test
        ));
        assert!(!allowed("null", &[], Environment::Test));
    }
}
