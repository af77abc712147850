//! Branch mcp (issue 10): `private_key_jwt` (RFC 7523 §2.2) for a client that registered its
//! public key by dynamic client registration: a code flow authenticated by assertion, and the
//! refusals (replayed jti, expired, too far ahead, foreign or list audience, wrong key, secret).

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::oauth_support::subject;

/// RFC 8037 Appendix A.1 Ed25519 test key.
const SEED: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
pub(crate) const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const REDIRECT: &str = "https://agent.example/callback";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) fn key() -> EncodingKey {
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(SEED)
        .unwrap();
    // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410 §7).
    let mut der = hex_prefix();
    der.extend_from_slice(&seed);
    EncodingKey::from_ed_der(&der)
}

fn hex_prefix() -> Vec<u8> {
    vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ]
}

pub(crate) fn assertion(
    app: &TestApp,
    client_id: &str,
    aud: Value,
    exp_in: i64,
    jti: &str,
) -> String {
    let now = app.state.clock.now().unix_timestamp();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud,
                        "exp": now + exp_in, "iat": now, "jti": jti});
    encode(&header, &claims, &key()).unwrap()
}

pub(crate) fn with(a: String, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("client_assertion_type", ASSERTION_TYPE.to_string()),
        ("client_assertion", a),
    ];
    f.extend(extra.iter().cloned());
    f
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, String)],
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn private_key_jwt_client(app: TestApp) {
    let resp = app
        .client
        .post(format!("{}/v1/public/{}/oauth2/register", app.base, app.project_id))
        .json(&json!({"client_name": "Agent", "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": X, "kid": "k1", "use": "sig"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let reg: Value = resp.json().await.unwrap();
    assert!(reg.get("client_secret").is_none(), "{reg}");
    assert_eq!(reg["token_endpoint_auth_method"], "private_key_jwt");
    let id = reg["client_id"].as_str().unwrap().to_string();
    // Discovery advertises it.
    let doc: Value = app
        .client
        .get(format!(
            "{}/v1/public/{}/.well-known/oauth-authorization-server",
            app.base, app.project_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    assert!(doc["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("EdDSA")));

    let s = subject(&app).await;
    let (status, out) = app
        .post(
            "/v1/b2b/idp/oauth/authorize",
            json!({"client_id": id, "redirect_uri": REDIRECT, "response_type": "code",
                   "scopes": ["openid"], "organization_id": s.org_id, "member_id": s.member_id,
                   "consent_granted": true}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap().to_string();
    let iss = app.base.clone();
    let token_path = format!("/v1/public/{}/oauth2/token", app.project_id);
    let intro_path = format!("/v1/public/{}/oauth2/introspect", app.project_id);

    // Refusals first (the code stays unused).
    let code_fields = [
        ("grant_type", "authorization_code".to_string()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.to_string()),
    ];
    let bad = [
        assertion(&app, &id, json!(iss), -10, "expired"),
        assertion(&app, &id, json!(iss), 3600, "too-far"),
        assertion(&app, &id, json!("https://other.example"), 60, "foreign-aud"),
        assertion(
            &app,
            &id,
            json!([iss, "https://other.example"]),
            60,
            "list-aud",
        ),
        format!("{}x", assertion(&app, &id, json!(iss), 60, "bad-signature")),
    ];
    for a in bad {
        let (status, body) = post_form(&app, &token_path, &with(a, &code_fields)).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
    }
    let (status, body) = post_form(
        &app,
        &token_path,
        &[
            &code_fields[..],
            &[("client_id", id.clone()), ("client_secret", "guess".into())],
        ]
        .concat(),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    // The token endpoint URL is accepted as audience too (OIDC Core §9).
    let good = assertion(
        &app,
        &id,
        json!(format!("{iss}/v1/oauth2/token")),
        120,
        "j-1",
    );
    let (status, tokens) = post_form(&app, &token_path, &with(good.clone(), &code_fields)).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    // The same jti again: refused, even at another endpoint.
    let (status, body) =
        post_form(&app, &intro_path, &with(good, &[("token", access.clone())])).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"].as_str().unwrap().contains("jti"),
        "{body}"
    );
    let fresh = assertion(&app, &id, json!(iss), 60, "j-2");
    let (status, body) = post_form(&app, &intro_path, &with(fresh, &[("token", access)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true, "{body}");
}
crate::both!(private_key_jwt_client);
