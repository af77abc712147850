#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use serde_json::json;

use super::*;

const URL: &str = "https://app.example/oauth/client.json";

fn doc(extra: serde_json::Value) -> Vec<u8> {
    let mut d = json!({
        "client_id": URL,
        "client_name": "Example Agent",
        "redirect_uris": ["http://127.0.0.1/callback"],
    });
    for (k, v) in extra.as_object().unwrap() {
        d[k] = v.clone();
    }
    serde_json::to_vec(&d).unwrap()
}

#[test]
fn client_id_urls() {
    assert!(parse_client_id_url(URL, false).is_ok());
    assert!(parse_client_id_url("https://app.example:8443/c?x=1", false).is_ok());
    for bad in [
        "http://app.example/client.json",
        "https://app.example/",
        "https://app.example",
        "https://app.example/a/../client.json",
        "https://app.example/./client.json",
        "https://app.example/client.json#x",
        "https://user:pw@app.example/client.json",
        "ftp://app.example/client.json",
    ] {
        assert!(parse_client_id_url(bad, false).is_err(), "{bad}");
    }
    assert!(parse_client_id_url("http://127.0.0.1:8000/client.json", false).is_err());
    assert!(parse_client_id_url("http://127.0.0.1:8000/client.json", true).is_ok());
    assert!(parse_client_id_url("http://localhost:8000/client.json", true).is_ok());
    assert!(parse_client_id_url("http://app.example/client.json", true).is_err());
    assert!(is_client_id_url(URL));
    assert!(!is_client_id_url("connected-app-test-123"));
}

#[test]
fn a_minimal_document_is_a_public_native_client() {
    let r = parse_document(URL, &doc(json!({}))).unwrap();
    assert_eq!(r.auth_method, AuthMethod::None);
    assert!(r.native);
    assert_eq!(r.client_name, "Example Agent");
}

#[test]
fn document_refusals_name_the_reason() {
    let cases = [
        (
            json!({"client_id": "https://other.example/c.json"}),
            "is not its URL",
        ),
        (json!({"client_name": ""}), "client_name"),
        (json!({"redirect_uris": []}), "redirect_uris"),
        (json!({"client_secret": "s"}), "client_secret"),
        (
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
            "none or private_key_jwt",
        ),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "jwks",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "redirect_uris[0]",
        ),
    ];
    for (extra, why) in cases {
        let e = parse_document(URL, &doc(extra.clone())).unwrap_err();
        assert!(e.0.contains(why), "{extra}: {e}");
    }
    assert!(parse_document(URL, b"[1]")
        .unwrap_err()
        .0
        .contains("object"));
    assert!(parse_document(URL, b"{nope")
        .unwrap_err()
        .0
        .contains("JSON"));
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert!(parse_document(URL, &big).unwrap_err().0.contains("larger"));
    let no_id =
        serde_json::to_vec(&json!({"client_name": "x", "redirect_uris": ["https://a.example/cb"]}))
            .unwrap();
    assert!(parse_document(URL, &no_id)
        .unwrap_err()
        .0
        .contains("no client_id"));
}

#[test]
fn rp_metadata_choices_and_foreign_grants() {
    // ChatGPT's form: a list of methods instead of one.
    let r = parse_document(
        URL,
        &doc(json!({"token_endpoint_auth_methods_supported": ["none"]})),
    )
    .unwrap();
    assert_eq!(r.auth_method, AuthMethod::None);
    let r = parse_document(
        URL,
        &doc(json!({
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
            "jwks_uri": "https://app.example/jwks.json",
        })),
    )
    .unwrap();
    assert_eq!(r.auth_method, AuthMethod::PrivateKeyJwt);
    assert_eq!(r.jwks_uri.as_deref(), Some("https://app.example/jwks.json"));
    // Claude's public document lists jwt-bearer: ignored, not fatal.
    let r = parse_document(
        URL,
        &doc(
            json!({"grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"]}),
        ),
    );
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn cache_lifetimes_are_clamped() {
    let now = 1_000_000;
    assert_eq!(cache_lifetime(None, None, now), CACHE_DEFAULT_SECS);
    assert_eq!(cache_lifetime(Some("public, max-age=600"), None, now), 600);
    assert_eq!(
        cache_lifetime(Some("max-age=1"), None, now),
        CACHE_FLOOR_SECS
    );
    assert_eq!(
        cache_lifetime(Some("max-age=99999999"), None, now),
        CACHE_CEILING_SECS
    );
    assert_eq!(
        cache_lifetime(Some("no-store"), None, now),
        CACHE_FLOOR_SECS
    );
    assert_eq!(cache_lifetime(None, Some(now + 300), now), 300);
    assert_eq!(cache_lifetime(None, Some(now - 300), now), CACHE_FLOOR_SECS);
    assert_eq!(
        cache_lifetime(Some("s-maxage=120, max-age=900"), None, now),
        120
    );
}

#[test]
fn special_use_addresses_are_forbidden() {
    let cases = [
        ("127.0.0.1", Some("loopback")),
        ("10.1.2.3", Some("private")),
        ("172.16.0.1", Some("private")),
        ("192.168.1.1", Some("private")),
        ("169.254.169.254", Some("link-local")),
        ("224.0.0.1", Some("multicast")),
        ("0.0.0.0", Some("special-use")),
        ("100.64.0.1", Some("special-use")),
        ("240.0.0.1", Some("special-use")),
        ("255.255.255.255", Some("special-use")),
        ("::1", Some("loopback")),
        ("::", Some("special-use")),
        ("::ffff:127.0.0.1", Some("loopback")),
        ("::ffff:10.0.0.1", Some("private")),
        ("64:ff9b::a9fe:a9fe", Some("link-local")),
        ("2002:7f00:1::", Some("loopback")),
        ("fc00::1", Some("unique-local")),
        ("fd12:3456::1", Some("unique-local")),
        ("fe80::1", Some("link-local")),
        ("ff02::1", Some("multicast")),
        ("2001:db8::1", Some("special-use")),
        ("93.184.216.34", None),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ];
    for (ip, want) in cases {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(forbidden_address(ip), want, "{ip}");
    }
}

#[test]
fn host_lists() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(host_allowed("claude.ai", &[], &[]).is_ok());
    assert!(host_allowed("claude.ai", &s(&["claude.ai"]), &[]).is_ok());
    assert!(host_allowed("mcp.claude.ai", &s(&["claude.ai"]), &[]).is_ok());
    assert!(host_allowed("evilclaude.ai", &s(&["claude.ai"]), &[]).is_err());
    assert!(host_allowed("bad.example", &[], &s(&["bad.example"])).is_err());
    assert!(host_allowed("x.bad.example", &[], &s(&["*.bad.example"])).is_err());
}
