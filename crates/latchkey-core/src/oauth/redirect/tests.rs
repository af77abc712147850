use super::super::error::OAuthError;
use super::super::error::OAuthErrorCode;
use super::*;

fn reg(raw: &str) -> Result<RedirectKind, &'static str> {
    RedirectUrl::parse(raw)
        .map(|r| r.kind())
        .map_err(RedirectUrlError::error_type)
}

const INVALID: &str = "connected_app_invalid_redirect_url";
const NO_SCHEME: &str = "connected_app_redirect_url_must_include_scheme";
const HTTP_OR_HTTPS: &str = "connected_app_redirect_url_must_use_http_or_https_scheme";
const HTTPS: &str = "connected_app_redirect_url_must_use_https_scheme";
const LOOPBACK: &str = "connected_app_redirect_url_http_scheme_must_use_loopback";
const LOCALHOST: &str = "connected_app_redirect_url_cannot_use_localhost";

#[test]
fn registration_table() {
    use LoopbackPort::*;
    use RedirectKind::*;
    let cases: &[(&str, Result<RedirectKind, &str>)] = &[
        ("https://app.example.com/callback", Ok(Web)),
        ("https://app.example.com", Ok(Web)),
        ("https://app.example.com/cb?tenant=1", Ok(Web)),
        ("https://app.example.com:8443/cb", Ok(Web)),
        ("https://203.0.113.7/cb", Ok(Web)),
        ("HTTPS://App.Example.com/CB", Ok(Web)),
        ("http://127.0.0.1/callback", Ok(Loopback(Any))),
        ("http://127.0.0.1", Ok(Loopback(Any))),
        ("http://127.0.0.1:8080/callback", Ok(Loopback(Fixed(8080)))),
        ("http://127.0.0.1:65535/", Ok(Loopback(Fixed(65535)))),
        ("http://[::1]/callback", Ok(Loopback(Any))),
        ("http://[::1]:3000/callback", Ok(Loopback(Fixed(3000)))),
        ("https://127.0.0.1/cb", Ok(Loopback(Any))),
        ("com.example.app:/oauth2redirect", Ok(PrivateUse)),
        ("com.example.app://callback", Ok(PrivateUse)),
        ("com.example.app:/cb?x=1", Ok(PrivateUse)),
        // scheme missing
        ("app.example.com/callback", Err(NO_SCHEME)),
        ("/callback", Err(NO_SCHEME)),
        ("//app.example.com/cb", Err(NO_SCHEME)),
        ("localhost:3000/callback", Err(NO_SCHEME)),
        ("127.0.0.1:8080/callback", Err(NO_SCHEME)),
        ("app.example.com:443", Err(NO_SCHEME)),
        // wrong scheme
        ("ftp://app.example.com/cb", Err(HTTP_OR_HTTPS)),
        ("javascript:alert(1)", Err(HTTP_OR_HTTPS)),
        ("data:text/html,hi", Err(HTTP_OR_HTTPS)),
        ("file:///etc/passwd", Err(HTTP_OR_HTTPS)),
        ("myapp:/cb", Err(HTTP_OR_HTTPS)),
        ("wss://app.example.com/cb", Err(HTTP_OR_HTTPS)),
        // http off loopback
        ("http://app.example.com/cb", Err(HTTPS)),
        ("http://127.0.0.1.evil.com/cb", Err(HTTPS)),
        ("http://192.168.1.10/cb", Err(LOOPBACK)),
        ("http://0.0.0.0/cb", Err(LOOPBACK)),
        ("http://[::ffff:127.0.0.1]/cb", Err(LOOPBACK)),
        // localhost in any spelling
        ("http://localhost/cb", Err(LOCALHOST)),
        ("http://localhost:3000/cb", Err(LOCALHOST)),
        ("https://localhost/cb", Err(LOCALHOST)),
        ("http://LocalHost/cb", Err(LOCALHOST)),
        ("http://localhost./cb", Err(LOCALHOST)),
        ("http://app.localhost/cb", Err(LOCALHOST)),
        ("http://%6cocalhost/cb", Err(LOCALHOST)),
        // malformed / dangerous
        ("", Err(INVALID)),
        ("https://app.example.com/cb#frag", Err(INVALID)),
        ("https://app.example.com/cb#", Err(INVALID)),
        ("com.example.app:/cb#x", Err(INVALID)),
        ("http://127.0.0.1@evil.com/cb", Err(INVALID)),
        ("https://user:pw@app.example.com/cb", Err(INVALID)),
        ("https://app.example.com@evil.com/cb", Err(INVALID)),
        ("https://app.example.com/cb/../x", Err(INVALID)),
        ("https://app.example.com/./cb", Err(INVALID)),
        ("https://app.example.com/cb/%2e%2E/x", Err(INVALID)),
        ("https://app.example.com/cb/..", Err(INVALID)),
        ("https://app.example.com/c b", Err(INVALID)),
        (" https://app.example.com/cb", Err(INVALID)),
        ("https://app.example.com/cb\n", Err(INVALID)),
        ("https://app.example.com\\@evil.com/", Err(INVALID)),
        ("https:app.example.com/cb", Err(INVALID)),
        ("https:/app.example.com/cb", Err(INVALID)),
        ("http:///cb", Err(INVALID)),
        ("https:///evil.com/cb", Err(INVALID)),
        ("http://127.0.0.1:0/cb", Err(INVALID)),
        ("http://127.0.0.1:/cb", Err(INVALID)),
        ("http://127.0.0.1:08080/cb", Err(INVALID)),
        ("http://127.0.0.1:65536/cb", Err(INVALID)),
        ("http://127.1/cb", Err(INVALID)),
        ("http://2130706433/cb", Err(INVALID)),
        ("http://0x7f.0.0.1/cb", Err(INVALID)),
        ("http://127.0.0.2/cb", Err(INVALID)),
        ("http://[0:0:0:0:0:0:0:1]/cb", Err(INVALID)),
    ];
    for (raw, want) in cases {
        assert_eq!(reg(raw), *want, "{raw:?}");
    }
}

#[test]
fn registration_length_limit() {
    let base = "https://app.example.com/";
    let ok = format!("{base}{}", "a".repeat(MAX_REDIRECT_URL_LEN - base.len()));
    assert_eq!(reg(&ok), Ok(RedirectKind::Web));
    let long = format!("{ok}a");
    assert_eq!(
        RedirectUrl::parse(&long),
        Err(RedirectUrlError::Invalid(InvalidRedirectReason::TooLong))
    );
}

#[test]
fn registration_keeps_raw_text() {
    let r = RedirectUrl::parse("HTTPS://App.Example.com:443/CB").unwrap();
    assert_eq!(r.as_str(), "HTTPS://App.Example.com:443/CB");
}

#[test]
fn matching_table() {
    let registered: Vec<String> = [
        "https://app.example.com/cb",
        "https://app.example.com/q?x=1",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:9000/fixed",
        "http://[::1]/v6",
        "http://127.0.0.1",
        "com.example.app:/oauth",
    ]
    .map(String::from)
    .to_vec();
    use MatchKind::*;
    let cases: &[(&str, Option<MatchKind>)] = &[
        ("https://app.example.com/cb", Some(Exact)),
        ("https://app.example.com/cb/", None),
        ("https://app.example.com/CB", None),
        ("https://APP.example.com/cb", None),
        ("HTTPS://app.example.com/cb", None),
        ("https://app.example.com/c%62", None),
        ("https://app.example.com/cb?", None),
        ("https://app.example.com/cb?x=1", None),
        ("https://app.example.com/cb#frag", None),
        ("https://app.example.com:443/cb", None),
        ("https://app.example.com/cb/../cb", None),
        ("https://app.example.com/x/../cb", None),
        ("https://app.example.com/q?x=1", Some(Exact)),
        ("https://app.example.com/q?x=1&y=2", None),
        ("https://app.example.com/q?y=2&x=1", None),
        ("http://app.example.com/cb", None),
        (" https://app.example.com/cb", None),
        // loopback without port: any port
        ("http://127.0.0.1/callback", Some(Exact)),
        ("http://127.0.0.1:51234/callback", Some(LoopbackAnyPort)),
        ("http://127.0.0.1:1/callback", Some(LoopbackAnyPort)),
        ("http://127.0.0.1:65535/callback", Some(LoopbackAnyPort)),
        ("http://127.0.0.1:80/callback", Some(LoopbackAnyPort)),
        ("http://127.0.0.1:0/callback", None),
        ("http://127.0.0.1:65536/callback", None),
        ("http://127.0.0.1:080/callback", None),
        ("http://127.0.0.1:/callback", None),
        ("http://127.0.0.1:5000/callback/", None),
        ("http://127.0.0.1:5000/Callback", None),
        ("http://127.0.0.1:5000/callback?x=1", None),
        ("http://127.0.0.1:5000/callback#x", None),
        ("https://127.0.0.1:5000/callback", None),
        ("http://127.0.0.1.evil.com/callback", None),
        ("http://127.0.0.1.evil.com:5000/callback", None),
        ("http://127.0.0.1@evil.com/callback", None),
        ("http://127.0.0.1:5000@evil.com/callback", None),
        ("http://localhost:5000/callback", None),
        ("http://127.0.0.2:5000/callback", None),
        ("http://127.0.0.1:5000", Some(LoopbackAnyPort)),
        ("http://127.0.0.1:5000/", None),
        // loopback registered with a port: exact only
        ("http://127.0.0.1:9000/fixed", Some(Exact)),
        ("http://127.0.0.1:9001/fixed", None),
        ("http://127.0.0.1/fixed", None),
        // IPv6 loopback
        ("http://[::1]:8080/v6", Some(LoopbackAnyPort)),
        ("http://[::1]/v6", Some(Exact)),
        ("http://[0:0:0:0:0:0:0:1]:8080/v6", None),
        ("http://127.0.0.1:8080/v6", None),
        // private-use
        ("com.example.app:/oauth", Some(Exact)),
        ("com.example.app:/oauth/", None),
        ("com.evil.app:/oauth", None),
        ("", None),
    ];
    for (requested, want) in cases {
        let got = redirect_uri_matches(&registered, requested);
        assert_eq!(
            got.as_ref().map(MatchedRedirect::kind),
            *want,
            "{requested:?}"
        );
        if let Some(m) = got {
            assert_eq!(m.as_str(), *requested);
        }
    }
}

#[test]
fn default_port_is_not_normalised_either_way() {
    let registered = vec!["https://a.com:443/cb".to_owned()];
    assert!(redirect_uri_matches(&registered, "https://a.com/cb").is_none());
    assert!(redirect_uri_matches(&registered, "https://a.com:443/cb").is_some());
}

#[test]
fn matching_reports_registered_entry() {
    let registered = vec!["http://127.0.0.1/cb".to_owned()];
    let m = redirect_uri_matches(&registered, "http://127.0.0.1:4242/cb").unwrap();
    assert_eq!(m.registered(), "http://127.0.0.1/cb");
    assert_eq!(m.url().port(), Some(4242));
    assert!(redirect_uri_matches(&[], "http://127.0.0.1:4242/cb").is_none());
}

#[test]
fn response_urls() {
    let registered = vec!["https://app.example.com/cb?tenant=acme".to_owned()];
    let m = redirect_uri_matches(&registered, "https://app.example.com/cb?tenant=acme").unwrap();
    assert_eq!(
        m.with_code("abc", Some("s&t=1")).as_str(),
        "https://app.example.com/cb?tenant=acme&code=abc&state=s%26t%3D1"
    );
    assert_eq!(
        m.with_code("abc", None).as_str(),
        "https://app.example.com/cb?tenant=acme&code=abc"
    );
    let err = OAuthError::access_denied("The user denied the request");
    assert_eq!(
        m.with_error(&err, Some("xyz")).as_str(),
        "https://app.example.com/cb?tenant=acme&error=access_denied&error_description=The+user+denied+the+request&state=xyz"
    );
    let bare = OAuthError::new(OAuthErrorCode::ServerError, "");
    assert_eq!(
        m.with_error(&bare, None).as_str(),
        "https://app.example.com/cb?tenant=acme&error=server_error"
    );
}

#[test]
fn native_app_response_url() {
    let registered = vec!["com.example.app:/oauth".to_owned()];
    let m = redirect_uri_matches(&registered, "com.example.app:/oauth").unwrap();
    assert_eq!(
        m.with_code("c", Some("s")).as_str(),
        "com.example.app:/oauth?code=c&state=s"
    );
}
