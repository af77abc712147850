//! Issue 14 item 6: DPoP (RFC 9449) on both engines. Proofs are made here with a fresh P-256
//! key per client (ES256, §4.2): a bound token is issued (`token_type: DPoP`, `cnf.jkt`, §5,
//! §6.1), a replayed proof and proofs for another URL or method are refused (§4.3, §11.1),
//! userinfo takes the bound token only as `Authorization: DPoP` with `ath` (§7), introspection
//! shows the binding (§6.2), and a public client's refresh token is bound to the key (§5).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::both;
use crate::helpers::TestApp;
use crate::oauth_support::{code_for, create_client, introspect, pkce, subject, Client, REDIRECT};
use crate::pages::claims;

/// A DPoP key: its pair and public JWK.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    jwk: Value,
}

impl DpopKey {
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let jwk = json!({"kty": "EC", "crv": "P-256",
            "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])});
        DpopKey { pair, jwk }
    }

    /// RFC 7638 thumbprint.
    pub fn jkt(&self) -> String {
        let j = &self.jwk;
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
            j["x"], j["y"]
        );
        B64.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A proof for `htm` `htu`, with `ath` for `access_token`.
    pub fn proof(&self, htm: &str, htu: &str, access_token: Option<&str>) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let now =
            latchkey_core::clock::Clock::now(&latchkey_core::clock::SystemClock).unix_timestamp();
        let mut claims =
            json!({"jti": uuid::Uuid::new_v4().to_string(), "htm": htm, "htu": htu, "iat": now});
        if let Some(t) = access_token {
            claims["ath"] = B64.encode(Sha256::digest(t.as_bytes())).into();
        }
        let signing = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), signing.as_bytes())
            .unwrap();
        format!("{signing}.{}", B64.encode(sig.as_ref()))
    }
}

/// A token request with an optional DPoP proof.
async fn token(
    app: &TestApp,
    c: &Client,
    fields: &[(&str, &str)],
    proof: Option<&str>,
) -> (StatusCode, Value) {
    let mut all = c.auth();
    all.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let mut req = app
        .client
        .post(format!("{}/v1/oauth2/token", app.base))
        .form(&all);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn userinfo(
    app: &TestApp,
    scheme: &str,
    at: &str,
    proof: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .get(format!("{}/v1/oauth2/userinfo", app.base))
        .header("Authorization", format!("{scheme} {at}"));
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn bound_tokens(app: TestApp) {
    let (s, d) = app
        .get(&format!(
            "/v1/public/{}/.well-known/openid-configuration",
            app.project_id
        ))
        .await;
    assert_eq!(s, 200);
    assert!(d["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("ES256")));

    let c = create_client(&app, "third_party_public").await;
    let who = subject(&app).await;
    let (verifier, challenge) = pkce();
    let code = code_for(&app, &c, &who, Some(&challenge)).await;
    let key = DpopKey::new();
    let token_url = format!("{}/v1/oauth2/token", app.base);
    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    // A proof for another URL or another method is refused (and spends nothing).
    let elsewhere = key.proof("POST", &format!("{}/v1/oauth2/userinfo", app.base), None);
    let r = token(&app, &c, &redeem, Some(&elsewhere)).await;
    assert_eq!(
        (r.0, r.1["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")),
        "{}",
        r.1
    );
    let get = key.proof("GET", &token_url, None);
    let r = token(&app, &c, &redeem, Some(&get)).await;
    assert_eq!(r.1["error"], "invalid_dpop_proof", "{}", r.1);

    // Bound: token_type DPoP and cnf.jkt.
    let proof = key.proof("POST", &token_url, None);
    let (s, t) = token(&app, &c, &redeem, Some(&proof)).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["token_type"], "DPoP");
    let at = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(claims(&at)["cnf"]["jkt"], key.jkt().as_str());
    let rt = t["refresh_token"].as_str().unwrap().to_string();

    // The same proof again: a replay.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let r = token(&app, &c, &refresh, Some(&proof)).await;
    assert_eq!(r.1["error"], "invalid_dpop_proof", "{}", r.1);
    assert!(r.1["error_description"]
        .as_str()
        .unwrap()
        .contains("replayed"));

    // Userinfo: not as Bearer; as DPoP with a proof carrying ath; not with a proof without it.
    let ui = format!("{}/v1/oauth2/userinfo", app.base);
    assert_eq!(
        userinfo(&app, "Bearer", &at, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let no_ath = key.proof("GET", &ui, None);
    assert_ne!(
        userinfo(&app, "DPoP", &at, Some(&no_ath)).await.0,
        StatusCode::OK
    );
    let with_ath = key.proof("GET", &ui, Some(&at));
    let (s, me) = userinfo(&app, "DPoP", &at, Some(&with_ath)).await;
    assert_eq!(
        (s, me["email"].as_str()),
        (StatusCode::OK, Some(who.email.as_str())),
        "{me}"
    );
    // Someone else's key, even with a well-formed proof, does not serve.
    let thief = DpopKey::new();
    let stolen = thief.proof("GET", &ui, Some(&at));
    assert_eq!(
        userinfo(&app, "DPoP", &at, Some(&stolen)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Introspection shows the binding.
    let i = introspect(&app, &c, &at).await;
    assert_eq!(
        (i["active"].as_bool(), i["token_type"].as_str()),
        (Some(true), Some("DPoP"))
    );
    assert_eq!(i["cnf"]["jkt"], key.jkt().as_str());

    // The public client's refresh token is bound: another key, or no proof, is refused.
    let other = thief.proof("POST", &token_url, None);
    let r = token(&app, &c, &refresh, Some(&other)).await;
    assert_eq!(r.1["error"], "invalid_grant", "{}", r.1);
    let r = token(&app, &c, &refresh, None).await;
    assert_eq!(r.1["error"], "invalid_dpop_proof", "{}", r.1);
    let (s, t2) = token(
        &app,
        &c,
        &refresh,
        Some(&key.proof("POST", &token_url, None)),
    )
    .await;
    assert_eq!(s, 200, "{t2}");
    assert_eq!(t2["token_type"], "DPoP");
    let next = t2["refresh_token"].as_str().unwrap();
    // The successor stays bound.
    let r = token(
        &app,
        &c,
        &[("grant_type", "refresh_token"), ("refresh_token", next)],
        None,
    )
    .await;
    assert_eq!(r.1["error"], "invalid_dpop_proof", "{}", r.1);
}
both!(bound_tokens);

/// Concurrent uses of one proof: exactly one is accepted (the jti INSERT decides).
async fn concurrent_replay(app: TestApp) {
    let c = create_client(&app, "third_party_public").await;
    let who = subject(&app).await;
    let key = DpopKey::new();
    let token_url = format!("{}/v1/oauth2/token", app.base);
    let mut flows = Vec::new();
    for _ in 0..4 {
        let (verifier, challenge) = pkce();
        flows.push((code_for(&app, &c, &who, Some(&challenge)).await, verifier));
    }
    let proof = key.proof("POST", &token_url, None);
    let calls = flows.iter().map(|(code, verifier)| {
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ];
        let (app, c, proof) = (&app, &c, proof.as_str());
        async move { token(app, c, &fields, Some(proof)).await }
    });
    let results = crate::mcp_cimd::join_all(calls.collect()).await;
    let ok = results.iter().filter(|r| r.0 == 200).count();
    assert_eq!(ok, 1, "{results:?}");
}
both!(concurrent_replay);

/// A DPoP-bound subject token is exchanged (RFC 8693) only with a proof by its key, and the
/// new token stays bound; the Stytch session exchange never takes a bound token.
async fn bound_subject_tokens(app: TestApp) {
    let tools = format!("https://dpop-{}.example/api", crate::helpers::unique());
    let (s, b) = app
        .post(
            "/v1/connected_apps/resources",
            json!({"url": tools, "name": "Tools", "scopes": [{"scope": "read"}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let c = create_client(&app, "third_party").await;
    let (s, b) = app
        .put(
            &format!("/v1/connected_apps/clients/{}", c.id),
            json!({"token_exchange_allowed": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let who = subject(&app).await;
    let mut body = crate::oauth_support::authorize_body(&c, &who, "openid read");
    body["resources"] = json!([tools]);
    body["consent_granted"] = true.into();
    let (s, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(s, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap();
    let key = DpopKey::new();
    let token_url = format!("{}/v1/oauth2/token", app.base);
    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    let (s, t) = token(
        &app,
        &c,
        &redeem,
        Some(&key.proof("POST", &token_url, None)),
    )
    .await;
    assert_eq!(
        (s, t["token_type"].as_str()),
        (StatusCode::OK, Some("DPoP")),
        "{t}"
    );
    let at = t["access_token"].as_str().unwrap();
    let exchange = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", at),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("resource", tools.as_str()),
        ("scope", "read"),
    ];
    let r = token(&app, &c, &exchange, None).await;
    assert_eq!(r.1["error"], "invalid_dpop_proof", "{}", r.1);
    let thief = DpopKey::new().proof("POST", &token_url, None);
    assert_eq!(
        token(&app, &c, &exchange, Some(&thief)).await.1["error"],
        "invalid_dpop_proof"
    );
    let (s, x) = token(
        &app,
        &c,
        &exchange,
        Some(&key.proof("POST", &token_url, None)),
    )
    .await;
    assert_eq!(
        (s, x["token_type"].as_str()),
        (StatusCode::OK, Some("DPoP")),
        "{x}"
    );
    assert_eq!(
        claims(x["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt().as_str()
    );

    let (s, e) = app
        .post(
            "/v1/b2b/sessions/exchange_access_token",
            json!({"access_token": at}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
}
both!(bound_subject_tokens);
