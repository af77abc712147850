//! Sessions over HTTP: authenticate by token and JWT, extend, claims, list, revoke, exchange,
//! authorization checks, the JWKS, and key rotation keeping older tokens valid until expiry.

use latchkey_server::sessions::{start_or_extend, Issued, Login};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{read, TestApp};

/// An organization, a member in it, and a session for that member (made the way a login makes
/// one, without going through a login endpoint).
pub async fn logged_in(app: &TestApp, roles: Value) -> (Value, Value, Issued) {
    let org = app.create_org(json!({"organization_name": "Sess"})).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let m = app.create_member(org_id, json!({"email_address": format!("s-{}@x.io", crate::helpers::unique()), "roles": roles})).await;
    let issued = session_for(app, org_id, m["member_id"].as_str().unwrap()).await;
    (org, m, issued)
}

pub async fn session_for(app: &TestApp, org_id: &str, member_id: &str) -> Issued {
    let store = &app.state.store;
    let org = store
        .get_organization(&app.project_id, org_id)
        .await
        .unwrap()
        .unwrap();
    let member = store
        .get_member(
            org_id,
            latchkey_store::MemberLookup::IdOrExternalId(member_id),
        )
        .await
        .unwrap()
        .unwrap();
    let factor =
        latchkey_core::session::factor("password", "knowledge", &member, app.state.clock.now());
    let login = Login {
        existing: None,
        member: &member,
        org: &org,
        factor,
        minutes: Some(60),
        custom_claims: None,
    };
    start_or_extend(&app.state, &app.project_id, login)
        .await
        .map_err(|e| e.0)
        .unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let resp = app
        .client
        .get(format!(
            "{}/v1/b2b/sessions/jwks/{}",
            app.base, app.project_id
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = read(resp).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Verifies a JWT with an independent library against the published JWKS.
fn verify_with_jsonwebtoken(token: &str, jwks: &Value, project_id: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[project_id]);
    v.set_issuer(&[format!("stytch.com/{project_id}")]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .unwrap()
        .claims
}

async fn authenticate_by_token_and_jwt(app: TestApp) {
    let (org, m, s) = logged_in(&app, json!(["stytch_admin"])).await;
    let keys = jwks(&app).await;
    for k in keys["keys"].as_array().unwrap() {
        for field in [
            "kty", "use", "key_ops", "alg", "kid", "x5c", "x5tS256", "n", "e",
        ] {
            assert!(k.get(field).is_some(), "JWK lacks {field}: {k}");
        }
        assert!(k["kid"].as_str().unwrap().starts_with("jwk-test-"));
    }
    assert_eq!(
        keys["keys"].as_array().unwrap().len(),
        2,
        "active and next keys are published"
    );
    let claims = verify_with_jsonwebtoken(&s.session_jwt, &keys, &app.project_id);
    assert_eq!(claims["sub"], m["member_id"]);
    assert_eq!(
        claims["https://stytch.com/organization"]["organization_id"],
        org["organization_id"]
    );
    assert_eq!(
        claims["https://stytch.com/session"]["id"],
        s.member_session.member_session_id.as_str()
    );
    assert_eq!(
        claims["https://stytch.com/session"]["roles"],
        json!(["stytch_member", "stytch_admin"])
    );

    let (status, body) = app
        .post("/v1/b2b/sessions/authenticate", json!({"session_token": s.session_token, "session_duration_minutes": 600, "session_custom_claims": {"plan": "pro"}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["session_token"], s.session_token.as_str());
    assert_eq!(
        body["member_session"]["member_session_id"],
        s.member_session.member_session_id.as_str()
    );
    assert_eq!(body["member"]["member_id"], m["member_id"]);
    assert_eq!(
        body["organization"]["organization_id"],
        org["organization_id"]
    );
    assert_ne!(
        body["member_session"]["expires_at"],
        json!(s.member_session.expires_at),
        "extended"
    );
    let claims = verify_with_jsonwebtoken(
        body["session_jwt"].as_str().unwrap(),
        &keys,
        &app.project_id,
    );
    assert_eq!(claims["plan"], "pro");

    let (status, body) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_jwt": s.session_jwt}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_session"]["custom_claims"]["plan"], "pro");
}
both!(authenticate_by_token_and_jwt);

async fn bad_credentials(app: TestApp) {
    let (_, _, s) = logged_in(&app, json!([])).await;
    let mut tampered = s.session_jwt.clone();
    tampered.insert(tampered.len() - 3, 'A');
    let forged = {
        // Signed by a key the project never had.
        let der = latchkey_core::jwt::generate_rsa_2048_pkcs8().unwrap();
        let key = latchkey_core::jwt::SigningKey::from_pkcs8_der("jwk-test-forged", &der).unwrap();
        let parts: Vec<&str> = s.session_jwt.split('.').collect();
        use base64::Engine;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        latchkey_core::jwt::sign_jwt(&key, &claims).unwrap()
    };
    let cases = [
        (json!({"session_token": "nope"}), 404, "session_not_found"),
        (
            json!({"session_jwt": "not.a.jwt"}),
            401,
            "unable_to_parse_session_jwt",
        ),
        (json!({"session_jwt": tampered}), 401, "invalid_signature"),
        (json!({"session_jwt": forged}), 401, "invalid_signature"),
        (
            json!({"session_token": s.session_token, "session_jwt": s.session_jwt}),
            400,
            "too_many_session_arguments",
        ),
        (json!({}), 400, "missing_required_field"),
        (
            json!({"session_token": s.session_token, "session_duration_minutes": 1}),
            400,
            "invalid_session_duration_minutes",
        ),
        (
            json!({"session_token": s.session_token, "session_custom_claims": {"sub": "x"}}),
            400,
            "invalid_session_custom_claims",
        ),
    ];
    for (body, status, kind) in cases {
        let (st, b) = app
            .post("/v1/b2b/sessions/authenticate", body.clone())
            .await;
        assert_eq!(
            (st.as_u16(), b["error_type"].as_str()),
            (status, Some(kind)),
            "{body}: {b}"
        );
    }
}
both!(bad_credentials);

async fn list_and_revoke(app: TestApp) {
    let (org, m, s1) = logged_in(&app, json!([])).await;
    let (org_id, member_id) = (
        org["organization_id"].as_str().unwrap(),
        m["member_id"].as_str().unwrap(),
    );
    let s2 = session_for(&app, org_id, member_id).await;
    let s3 = session_for(&app, org_id, member_id).await;
    let s4 = session_for(&app, org_id, member_id).await;
    let (status, body) = app
        .get(&format!(
            "/v1/b2b/sessions?organization_id={org_id}&member_id={member_id}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_sessions"].as_array().unwrap().len(), 4);

    for revoke in [
        json!({"member_session_id": s1.member_session.member_session_id}),
        json!({"session_token": s2.session_token}),
        json!({"session_jwt": s3.session_jwt}),
    ] {
        let (status, body) = app.post("/v1/b2b/sessions/revoke", revoke.clone()).await;
        assert_eq!(status, 200, "{revoke}: {body}");
    }
    for s in [&s1, &s2] {
        let (status, _) = app
            .post(
                "/v1/b2b/sessions/authenticate",
                json!({"session_token": s.session_token}),
            )
            .await;
        assert_eq!(status, 404, "revoked session is gone");
    }
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_jwt": s3.session_jwt}),
        )
        .await;
    assert_eq!(
        status, 404,
        "a JWT of a revoked session is refused over the network"
    );
    let (status, _) = app
        .post("/v1/b2b/sessions/revoke", json!({"member_id": member_id}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": s4.session_token}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, b) = app
        .post(
            "/v1/b2b/sessions/revoke",
            json!({"member_session_id": "session-test-nope"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str()),
        (404, Some("session_not_found"))
    );
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/revoke",
            json!({"member_id": member_id, "session_token": "x"}),
        )
        .await;
    assert_eq!(status, 400);
}
both!(list_and_revoke);

async fn exchange_switches_organization(app: TestApp) {
    let (_, m, _) = logged_in(&app, json!([])).await;
    // Only a verified email carries over (issue 9 #2; tests/api/sec_auth.rs).
    let (org_id, member_id) = (
        m["organization_id"].as_str().unwrap(),
        m["member_id"].as_str().unwrap(),
    );
    crate::sec_auth::verify_email(&app, org_id, member_id).await;
    let s = session_for(&app, org_id, member_id).await;
    let other = app.create_org(json!({"organization_name": "Other"})).await;
    let other_id = other["organization_id"].as_str().unwrap();
    let email = m["email_address"].as_str().unwrap();
    let (status, b) = app
        .post(
            "/v1/b2b/sessions/exchange",
            json!({"organization_id": other_id, "session_token": s.session_token}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), b["error_type"].as_str()),
        (404, Some("member_not_found")),
        "not a member there yet"
    );
    let m2 = app
        .create_member(other_id, json!({"email_address": email}))
        .await;
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/exchange",
            json!({"organization_id": other_id, "session_token": s.session_token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_id"], m2["member_id"]);
    assert_eq!(body["member_session"]["organization_id"], other_id);
    assert_eq!(body["member_authenticated"], true);
    assert_eq!(
        body["member_session"]["authentication_factors"][0]["type"],
        "password"
    );
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": s.session_token}),
        )
        .await;
    assert_eq!(status, 404, "the original session ended");
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_token": body["session_token"]}),
        )
        .await;
    assert_eq!(status, 200);
}
both!(exchange_switches_organization);

async fn authorization_checks(app: TestApp) {
    let (org, _, admin) = logged_in(&app, json!(["stytch_admin"])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let check = |s: &Issued, org: &str, resource: &str, action: &str| json!({"session_token": s.session_token, "authorization_check": {"organization_id": org, "resource_id": resource, "action": action}});
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            check(&admin, org_id, "stytch.member", "delete"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"]["authorized"], true);
    assert!(body["verdict"]["granting_roles"]
        .as_array()
        .unwrap()
        .contains(&json!("stytch_admin")));
    let plain_member = app
        .create_member(org_id, json!({"email_address": "plain@x.io"}))
        .await;
    let plain = session_for(&app, org_id, plain_member["member_id"].as_str().unwrap()).await;
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            check(&plain, org_id, "stytch.member", "delete"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (403, Some("session_authorization_error"))
    );
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            check(&admin, "organization-test-other", "stytch.member", "delete"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (403, Some("session_authorization_tenancy_error"))
    );
}
both!(authorization_checks);

async fn rotation_keeps_old_tokens_valid(app: TestApp) {
    let (_, _, s) = logged_in(&app, json!([])).await;
    let before = jwks(&app).await;
    let old_kid = jsonwebtoken::decode_header(&s.session_jwt)
        .unwrap()
        .kid
        .unwrap();
    let rotated = app
        .state
        .keys
        .rotate_now(
            &app.project_id,
            app.state.clock.now().unix_timestamp(),
            app.state.tokens.as_ref(),
        )
        .await
        .unwrap();
    assert_ne!(rotated.active, old_kid);
    assert!(
        before["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == rotated.active.as_str()),
        "the new key was published before it signed"
    );
    let after = jwks(&app).await;
    let kids: Vec<&str> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str())
            && kids.contains(&rotated.active.as_str())
            && kids.contains(&rotated.next.as_str())
    );
    // The old JWT still verifies, locally and over the network; new JWTs use the new key.
    verify_with_jsonwebtoken(&s.session_jwt, &after, &app.project_id);
    let (status, body) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_jwt": s.session_jwt}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let new_kid = jsonwebtoken::decode_header(body["session_jwt"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(new_kid, rotated.active);
}
both!(rotation_keeps_old_tokens_valid);

async fn well_known_jwks_needs_a_default_project(app: TestApp) {
    let resp = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap();
    let (status, body) = read(resp).await;
    match app.backend {
        // The SQLite database holds only this test's project.
        crate::helpers::Backend::Sqlite => assert_eq!(status, 200, "{body}"),
        // The shared PostgreSQL database holds many: the endpoint says how to choose.
        crate::helpers::Backend::Postgres => assert_eq!(
            (status.as_u16(), body["error_type"].as_str()),
            (404, Some("project_not_found"))
        ),
    }
    let resp = app
        .client
        .get(format!(
            "{}/v1/b2b/sessions/jwks/project-test-unknown",
            app.base
        ))
        .send()
        .await
        .unwrap();
    let (status, _) = read(resp).await;
    assert_eq!(status, 404);
}
both!(well_known_jwks_needs_a_default_project);

/// With a master key configured, private keys are sealed at rest (`v1.`), and everything works.
async fn master_key_seals_private_keys(backend: crate::helpers::Backend) {
    let master = latchkey_core::jwt::MasterKey::parse(&"ab".repeat(32)).unwrap();
    let app = TestApp::spawn_with_config(backend, |c| {
        c.master_key = Some(std::sync::Arc::new(master))
    })
    .await;
    let (_, _, s) = logged_in(&app, json!([])).await;
    let (status, _) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_jwt": s.session_jwt}),
        )
        .await;
    assert_eq!(status, 200);
    let keys = app.state.store.signing_keys(&app.project_id).await.unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        assert!(
            k.sealed_private_key.starts_with("v1."),
            "sealed: {}",
            &k.sealed_private_key[..8]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_seals_private_keys_sqlite() {
    master_key_seals_private_keys(crate::helpers::Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_seals_private_keys_postgres() {
    master_key_seals_private_keys(crate::helpers::Backend::Postgres).await
}
