//! Property tests (issue 9, item 12): every parser of untrusted input answers `Ok` or `Err` and
//! never panics, whatever it is given: token and authorize requests, redirect URIs, scopes,
//! PKCE values, search queries, JWTs, imported password hashes and client metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use latchkey_core::jwt::{self, Expectations, KeySet, SigningKey};
use latchkey_core::oauth::authorize::{Prompt, ResponseType};
use latchkey_core::oauth::pkce::{PkceChallenge, PkceMethod, PkceVerifier};
use latchkey_core::oauth::redirect::{redirect_uri_matches, RedirectUrl};
use latchkey_core::oauth::scope::{Scope, ScopeSet};
use latchkey_core::oauth::token_request::{self, OneOrMany, RawTokenRequest};
use latchkey_core::password::migrate::{ImportedHash, MigrateConfigs};
use latchkey_types::SearchQuery;
use proptest::prelude::*;
use serde_json::Value;

/// Strings that look like what the parsers expect, and anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        "(https?|ftp|javascript|data)://[a-z0-9.:\\[\\]@%-]{0,30}(/[ -~]{0,20})?",
        "http://(127\\.0\\.0\\.1|\\[::1\\]|localhost)(:[0-9]{0,6})?/[a-z]{0,5}",
        "[A-Za-z0-9_.~-]{0,130}",
    ]
}

fn maybe(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    prop::option::of(s)
}

/// Arbitrary JSON, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A search query operand: a known filter name with any value, or anything.
fn operand() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        Just("organization_ids"),
        Just("organization_slugs"),
        Just("organization_name_fuzzy"),
        Just("member_emails"),
        Just("member_email_fuzzy"),
        Just("statuses"),
        Just("member_ids"),
        Just("member_roles"),
        Just("nope"),
    ];
    prop_oneof![
        (names, json()).prop_map(|(n, v)| serde_json::json!({"filter_name": n, "filter_value": v})),
        json(),
    ]
}

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let der = jwt::generate_rsa_2048_pkcs8().unwrap();
        KeySet::new(SigningKey::from_pkcs8_der("jwk-test-prop", &der).unwrap()).unwrap()
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn token_requests(
        grant_type in maybe(prop_oneof![Just("authorization_code".to_string()), Just("refresh_token".to_string()), text()]),
        code in maybe(text()),
        redirect_uri in maybe(text()),
        code_verifier in maybe(text()),
        refresh_token in maybe(text()),
        scope in maybe(text()),
        client_id in maybe(text()),
        client_secret in maybe(text()),
        resources in prop::option::of(prop::collection::vec(text(), 0..3)),
    ) {
        let resource = resources.map(|mut v| match v.len() {
            1 => OneOrMany::One(v.remove(0)),
            _ => OneOrMany::Many(v),
        });
        let _ = token_request::parse(RawTokenRequest {
            grant_type, code, redirect_uri, code_verifier, refresh_token, scope, client_id, client_secret, resource, ..RawTokenRequest::default()
        });
    }

    #[test]
    fn authorize_parameters(response_type in text(), prompt in maybe(text()), method in maybe(text())) {
        let _ = ResponseType::parse(&response_type);
        let _ = Prompt::parse(prompt.as_deref());
        let _ = PkceMethod::parse(method.as_deref());
        let _ = PkceChallenge::parse(&response_type);
        let _ = PkceVerifier::parse(&response_type);
    }

    #[test]
    fn redirect_uris(registered in prop::collection::vec(text(), 0..4), requested in text()) {
        for r in &registered {
            let _ = RedirectUrl::parse(r);
        }
        let _ = RedirectUrl::parse(&requested);
        let _ = redirect_uri_matches(&registered, &requested);
    }

    #[test]
    fn scopes(s in text(), list in prop::collection::vec(text(), 0..5)) {
        let _ = Scope::parse(&s);
        let _ = ScopeSet::parse(&s);
        let _ = ScopeSet::from_list(list.iter());
    }

    #[test]
    fn search_queries(
        operator in maybe(prop_oneof![Just("AND".to_string()), Just("OR".to_string()), text()]),
        operands in prop::collection::vec(operand(), 0..4),
        cursor in maybe(text()),
        limit in prop::option::of(any::<i64>()),
    ) {
        let q = SearchQuery { operator, operands };
        let _ = latchkey_core::search::organizations(Some(&q), cursor.as_deref(), limit);
        let _ = latchkey_core::search::members(Some(&q), cursor.as_deref(), limit);
        let _ = latchkey_core::search::paging(cursor.as_deref(), limit);
    }

    #[test]
    fn jwts(raw in text(), header in json(), payload in json(), sig in prop::collection::vec(any::<u8>(), 0..300)) {
        let expect = Expectations::new(["https://issuer.test"], "aud").with_leeway(30);
        let shaped = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes()),
            b64(&sig)
        );
        for token in [raw.as_str(), shaped.as_str()] {
            let _ = jwt::verify_jwt(token, keys(), 1_800_000_000, &expect);
            let _ = jwt::verify_jwt_allow_expired(token, keys(), 1_800_000_000, &expect);
            let _ = jwt::verify_signature_only(token, keys());
        }
    }

    #[test]
    fn imported_hashes(
        hash_type in prop_oneof![
            Just("bcrypt".to_string()), Just("md_5".to_string()), Just("argon_2i".to_string()),
            Just("argon_2id".to_string()), Just("sha_1".to_string()), Just("scrypt".to_string()),
            Just("phpass".to_string()), Just("pbkdf_2".to_string()), text(),
        ],
        hash in text(),
        configs in json(),
    ) {
        let configs: MigrateConfigs = serde_json::from_value(configs).unwrap_or_default();
        let _ = ImportedHash::parse(&hash_type, &hash, &configs);
    }

    #[test]
    fn client_metadata(fields in prop::collection::btree_map(
        prop_oneof![
            Just("client_type".to_string()), Just("client_name".to_string()),
            Just("redirect_urls".to_string()), Just("post_logout_redirect_urls".to_string()),
            Just("full_access_allowed".to_string()), Just("access_token_expiry_minutes".to_string()),
            Just("access_token_custom_audience".to_string()), Just("access_token_template_content".to_string()),
            Just("logo_url".to_string()), Just("client_description".to_string()),
        ],
        prop_oneof![
            json(),
            Just(Value::from("first_party")), Just(Value::from("third_party_public")),
            prop::collection::vec(text(), 0..3).prop_map(Value::from),
        ],
        0..8,
    )) {
        let body = Value::Object(fields.into_iter().collect());
        if let Ok(settings) = serde_json::from_value(body) {
            let tokens = latchkey_core::clock::OsTokens;
            if let Ok(mut new) = latchkey_core::connected_app::create("connected-app-test-p".into(), &settings, &tokens) {
                let _ = latchkey_core::connected_app::update(&mut new.app, &settings);
            }
        }
    }
}
