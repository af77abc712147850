//! Passwords over HTTP: migrate every hash type and log in (the imported hash becomes argon2id),
//! wrong password and unknown email, lockout and its expiry, the per-address throttle, strength
//! checks (zxcvbn and LUDS), extending a session, and bad input never being a 500.

use std::sync::Arc;

use latchkey_server::config::Config;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, Backend, TestApp, TestClock};

const AUTHENTICATE: &str = "/v1/b2b/passwords/authenticate";
const MIGRATE: &str = "/v1/b2b/passwords/migrate";
const STRENGTH: &str = "/v1/b2b/passwords/strength_check";

/// One published vector per Stytch hash type: (hash_type, hash, configs, password).
fn vectors() -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
        // pyca/bcrypt test vectors.
        ("bcrypt", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", json!({}), "Kk4DQuMMfZL9o"),
        // RFC 1321 / FIPS 180-2 "abc" digests, split across salts and password.
        ("md_5", "900150983cd24fb0d6963f7d28e17f72", json!({"md_5_config": {"prepend_salt": "a", "append_salt": "c"}}), "b"),
        ("sha_1", "a9993e364706816aba3e25717850c26c9cd0d89d", json!({"sha_1_config": {"prepend_salt": "a"}}), "bc"),
        ("sha_512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", json!({"sha_512_config": {"append_salt": "c"}}), "ab"),
        // phc-winner-argon2 src/test.c, PHC form and raw hex form.
        ("argon_2i", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", json!({}), "password"),
        ("argon_2id", "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe", json!({"argon_2_config": {"salt": "somesalt", "iteration_amount": 2, "memory": 256, "threads": 1, "key_length": 32}}), "password"),
        // RFC 7914 §12 vector 2 (P="password", S="NaCl", N=1024, r=8, p=16).
        ("scrypt", "/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA==", json!({"scrypt_config": {"salt": "TmFDbA==", "n_parameter": 1024, "r_parameter": 8, "p_parameter": 16, "key_length": 64}}), "password"),
        // Openwall phpass test.php.
        ("phpass", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", json!({}), "test12345"),
        // PBKDF2-HMAC-SHA256 "password"/"salt", 4096 iterations.
        ("pbkdf_2", "xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=", json!({"pbkdf_2_config": {"salt": "c2FsdA==", "iteration_amount": 4096, "key_length": 32, "algorithm": "sha256"}}), "password"),
    ]
}

fn merge(mut base: Value, extra: &Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// Migrates a bcrypt password for a new member; returns (org, member).
pub async fn member_with_password(app: &TestApp, roles: Value) -> (Value, Value) {
    let org = app.create_org(json!({"organization_name": "Pw"})).await;
    let email = format!("pw-{}@x.io", unique());
    let (status, body) = app
        .post(MIGRATE, json!({"organization_id": org["organization_id"], "email_address": email,
            "hash_type": "bcrypt", "hash": "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", "roles": roles}))
        .await;
    assert_eq!(status, 200, "{body}");
    (org, body["member"].clone())
}

const BCRYPT_PASSWORD: &str = "Kk4DQuMMfZL9o";

fn login(org: &Value, member: &Value, password: &str) -> Value {
    json!({"organization_id": org["organization_id"], "email_address": member["email_address"], "password": password})
}

async fn error_of(app: &TestApp, path: &str, body: Value) -> (u16, String) {
    let (status, b) = app.post(path, body).await;
    (
        status.as_u16(),
        b["error_type"].as_str().unwrap_or("").to_string(),
    )
}

async fn migrate_every_hash_type_then_authenticate(app: TestApp) {
    let org = app
        .create_org(json!({"organization_name": "Migrate"}))
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    for (hash_type, hash, configs, password) in vectors() {
        let email = format!("{hash_type}-{}@x.io", unique());
        let req = merge(
            json!({"organization_id": org_id, "email_address": email, "hash_type": hash_type, "hash": hash}),
            &configs,
        );
        let (status, body) = app.post(MIGRATE, req).await;
        assert_eq!(status, 200, "{hash_type}: {body}");
        assert_eq!(body["member_created"], true);
        let member = &body["member"];
        assert!(member["member_password_id"]
            .as_str()
            .unwrap()
            .starts_with("member-password-test-"));
        assert_eq!(member["email_address_verified"], true);
        let member_id = member["member_id"].as_str().unwrap();
        let stored = app
            .state
            .store
            .member_password(&app.project_id, member_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.kind, hash_type);

        let (status, body) = app.post(AUTHENTICATE, login(&org, member, password)).await;
        assert_eq!(status, 200, "{hash_type}: {body}");
        assert_eq!(body["member_authenticated"], true);
        assert_eq!(body["intermediate_session_token"], "");
        assert_eq!(body["member_id"], member_id);
        assert!(!body["session_token"].as_str().unwrap().is_empty());
        assert!(!body["session_jwt"].as_str().unwrap().is_empty());
        let factor = &body["member_session"]["authentication_factors"][0];
        assert_eq!(
            (factor["type"].as_str(), factor["delivery_method"].as_str()),
            (Some("password"), Some("knowledge"))
        );

        // The first login replaced the imported hash with argon2id; the password still works.
        let upgraded = app
            .state
            .store
            .member_password(&app.project_id, member_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(upgraded.kind, "native", "{hash_type}");
        assert!(upgraded.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(upgraded.member_password_id, stored.member_password_id);
        let (status, body) = app.post(AUTHENTICATE, login(&org, member, password)).await;
        assert_eq!(status, 200, "{hash_type} after rehash: {body}");
        let wrong = format!("{password}x");
        assert_eq!(
            error_of(&app, AUTHENTICATE, login(&org, member, &wrong)).await,
            (401, "unauthorized_credentials".into()),
            "{hash_type}"
        );
    }
}
both!(migrate_every_hash_type_then_authenticate);

async fn migrate_existing_member_and_profile(app: TestApp) {
    let org = app
        .create_org(json!({"organization_name": "Existing"}))
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let email = format!("ex-{}@x.io", unique());
    let (status, body) = app
        .post(MIGRATE, json!({"organization_id": org_id, "email_address": email, "hash_type": "phpass",
            "hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "name": "Ada", "trusted_metadata": {"tier": 1},
            "untrusted_metadata": {"x": true}, "roles": ["stytch_admin"], "external_id": "ext-1",
            "mfa_phone_number": "+14155550100", "set_phone_number_verified": true, "preserve_existing_sessions": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    let m = &body["member"];
    assert_eq!(
        (m["name"].as_str(), m["is_admin"].as_bool()),
        (Some("Ada"), Some(true))
    );
    assert_eq!(m["trusted_metadata"]["tier"], 1);
    assert_eq!(m["untrusted_metadata"]["x"], true);
    assert_eq!(m["external_id"], "ext-1");
    assert_eq!(m["mfa_phone_number_verified"], true);
    let member_id = m["member_id"].as_str().unwrap();

    // Again for the same email: the member is kept, its password replaced, the name applied.
    let (status, body) = app
        .post(MIGRATE, json!({"organization_id": org_id, "email_address": email.to_uppercase(), "hash_type": "bcrypt",
            "hash": "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", "name": "Ada L"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_created"], false);
    assert_eq!(body["member_id"], member_id);
    assert_eq!(body["member"]["name"], "Ada L");
    let (status, got) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?member_id={member_id}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        got["member"]["member_password_id"],
        body["member"]["member_password_id"]
    );
    let (status, _) = app
        .post(AUTHENTICATE, login(&org, &got["member"], BCRYPT_PASSWORD))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &got["member"], "test12345"))
            .await
            .0,
        401,
        "the old password was replaced"
    );
}
both!(migrate_existing_member_and_profile);

async fn migrate_bad_input(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "Bad"})).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let base = json!({"organization_id": org_id, "email_address": "b@x.io"});
    let cases = [
        (json!({"hash": "x"}), 400, "missing_required_field"),
        (
            json!({"hash_type": "rot13", "hash": "x"}),
            400,
            "invalid_hash_type",
        ),
        (
            json!({"hash_type": "bcrypt", "hash": "$2b$04$short"}),
            400,
            "invalid_bcrypt_hash",
        ),
        (
            json!({"hash_type": "bcrypt", "hash": "$2b$99$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"}),
            400,
            "invalid_bcrypt_cost",
        ),
        (
            json!({"hash_type": "pbkdf_2", "hash": "xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o="}),
            400,
            "invalid_hash",
        ),
        (
            json!({"hash_type": "md_5", "hash": "zz"}),
            400,
            "invalid_md_5_hash",
        ),
        (
            json!({"hash_type": "phpass", "hash": "$X$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}),
            400,
            "invalid_phpass_hash_prefix",
        ),
        (
            json!({"hash_type": "scrypt", "hash": "abc"}),
            400,
            "invalid_hash",
        ),
        (
            json!({"hash_type": "sha_1", "hash": 5}),
            400,
            "invalid_field_type",
        ),
        (
            json!({"hash_type": "sha_1", "hash": "a9993e364706816aba3e25717850c26c9cd0d89d", "email_address": "nope"}),
            400,
            "invalid_email",
        ),
        (
            json!({"hash_type": "sha_1", "hash": "a9993e364706816aba3e25717850c26c9cd0d89d", "roles": ["ghost"]}),
            400,
            "role_not_found",
        ),
        (
            json!({"hash_type": "sha_1", "hash": "a9993e364706816aba3e25717850c26c9cd0d89d", "organization_id": "organization-test-nope"}),
            404,
            "organization_not_found",
        ),
    ];
    for (extra, status, kind) in cases {
        let got = error_of(&app, MIGRATE, merge(base.clone(), &extra)).await;
        assert_eq!(got, (status, kind.to_string()), "{extra}");
    }
}
both!(migrate_bad_input);

async fn authenticate_failures(app: TestApp) {
    let (org, m) = member_with_password(&app, json!([])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let no_password = app
        .create_member(
            org_id,
            json!({"email_address": format!("np-{}@x.io", unique())}),
        )
        .await;
    let unauthorized = (401, "unauthorized_credentials".to_string());
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &m, "wrong")).await,
        unauthorized
    );
    let ghost = json!({"email_address": "ghost@x.io"});
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &ghost, BCRYPT_PASSWORD)).await,
        unauthorized,
        "unknown email: same answer"
    );
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &no_password, "")).await,
        unauthorized,
        "no password set"
    );
    let cases = [
        (
            json!({"organization_id": org_id, "email_address": m["email_address"]}),
            400,
            "missing_required_field",
        ),
        (
            json!({"organization_id": org_id, "password": "x"}),
            400,
            "missing_required_field",
        ),
        (
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_token": "a", "session_jwt": "b"}),
            ),
            400,
            "too_many_session_arguments",
        ),
        (
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_duration_minutes": 1}),
            ),
            400,
            "invalid_session_duration_minutes",
        ),
        (
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"organization_id": "organization-test-nope"}),
            ),
            404,
            "organization_not_found",
        ),
        (
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_token": "not-a-session"}),
            ),
            404,
            "session_not_found",
        ),
        (
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_jwt": "not.a.jwt"}),
            ),
            401,
            "unable_to_parse_session_jwt",
        ),
        (
            merge(login(&org, &m, BCRYPT_PASSWORD), &json!({"password": 12})),
            400,
            "invalid_field_type",
        ),
    ];
    for (body, status, kind) in cases {
        assert_eq!(
            error_of(&app, AUTHENTICATE, body.clone()).await,
            (status, kind.to_string()),
            "{body}"
        );
    }
}
both!(authenticate_failures);

async fn extends_an_existing_session(app: TestApp) {
    let (org, m) = member_with_password(&app, json!(["stytch_admin"])).await;
    let (status, first) = app
        .post(
            AUTHENTICATE,
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_duration_minutes": 30, "session_custom_claims": {"plan": "pro"}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let token = first["session_token"].as_str().unwrap();
    let (status, again) = app
        .post(
            AUTHENTICATE,
            merge(
                login(&org, &m, BCRYPT_PASSWORD),
                &json!({"session_token": token, "session_duration_minutes": 120}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["session_token"], token);
    assert_eq!(
        again["member_session"]["member_session_id"],
        first["member_session"]["member_session_id"]
    );
    assert_eq!(again["member_session"]["custom_claims"]["plan"], "pro");
    assert_ne!(
        again["member_session"]["expires_at"],
        first["member_session"]["expires_at"]
    );
    // The session works with the sessions API, by token and by JWT.
    let (status, s) = app
        .post(
            "/v1/b2b/sessions/authenticate",
            json!({"session_jwt": again["session_jwt"]}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    // Another member's session cannot be extended with this login.
    let (org2, m2) = member_with_password(&app, json!([])).await;
    let (_, other) = app
        .post(AUTHENTICATE, login(&org2, &m2, BCRYPT_PASSWORD))
        .await;
    let body = merge(
        login(&org, &m, BCRYPT_PASSWORD),
        &json!({"session_token": other["session_token"]}),
    );
    assert_eq!(
        error_of(&app, AUTHENTICATE, body).await,
        (400, "session_member_mismatch".into())
    );
}
both!(extends_an_existing_session);

async fn lockout_and_expiry(backend: Backend) {
    let clock = Arc::new(TestClock::default());
    let server_clock = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| s.clock = server_clock).await;
    let (org, m) = member_with_password(&app, json!([])).await;
    for i in 1..10 {
        assert_eq!(
            error_of(&app, AUTHENTICATE, login(&org, &m, "wrong"))
                .await
                .0,
            401,
            "attempt {i}"
        );
    }
    let locked = (429, "user_lock_limit_reached".to_string());
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &m, "wrong")).await,
        locked,
        "10th failure locks"
    );
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &m, BCRYPT_PASSWORD)).await,
        locked,
        "even the right password"
    );
    let org_id = org["organization_id"].as_str().unwrap();
    let path = format!(
        "/v1/b2b/organizations/{org_id}/member?member_id={}",
        m["member_id"].as_str().unwrap()
    );
    let (_, got) = app.get(&path).await;
    assert_eq!(got["member"]["is_locked"], true, "{got}");
    assert!(
        got["member"]["lock_created_at"].is_string()
            && got["member"]["lock_expires_at"].is_string()
    );

    clock.advance(3601);
    let (status, body) = app
        .post(AUTHENTICATE, login(&org, &m, BCRYPT_PASSWORD))
        .await;
    assert_eq!(status, 200, "unlocked after an hour: {body}");
    assert_eq!(body["member"]["is_locked"], false);
    let (_, got) = app.get(&path).await;
    assert_eq!(
        (
            got["member"]["is_locked"].as_bool(),
            got["member"]["lock_expires_at"].is_null()
        ),
        (Some(false), true)
    );
}

mod lockout {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::lockout_and_expiry(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::lockout_and_expiry(crate::helpers::Backend::Postgres).await
    }
}

async fn address_throttle(backend: Backend, trust_proxy: bool) {
    let app = TestApp::spawn_with(backend, |s| {
        let mut c: Config = (*s.config).clone();
        c.trust_x_forwarded_for = trust_proxy;
        s.config = Arc::new(c);
    })
    .await;
    let (org, m) = member_with_password(&app, json!([])).await;
    for i in 0..20 {
        let ghost = json!({"email_address": format!("ghost{i}@x.io")});
        assert_eq!(
            error_of(&app, AUTHENTICATE, login(&org, &ghost, "guess"))
                .await
                .0,
            401
        );
    }
    let throttled = (429, "too_many_requests".to_string());
    assert_eq!(
        error_of(&app, AUTHENTICATE, login(&org, &m, BCRYPT_PASSWORD)).await,
        throttled
    );
    // Refused before the password is checked: the member was not locked by this address.
    let org_id = org["organization_id"].as_str().unwrap();
    let (_, got) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?member_id={}",
            m["member_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(got["member"]["is_locked"], false);
    // X-Forwarded-For counts only when configured.
    let resp = app
        .client
        .post(format!("{}{AUTHENTICATE}", app.base))
        .basic_auth(&app.project_id, Some(&app.secret))
        .header("x-forwarded-for", "203.0.113.50")
        .json(&login(&org, &m, BCRYPT_PASSWORD))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(resp).await;
    match trust_proxy {
        true => assert_eq!(status, 200, "another address is not throttled: {body}"),
        false => assert_eq!(status, 429, "the header is ignored by default: {body}"),
    }
}

mod throttle {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::address_throttle(crate::helpers::Backend::Sqlite, false).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::address_throttle(crate::helpers::Backend::Postgres, false).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_behind_proxy() {
        super::address_throttle(crate::helpers::Backend::Sqlite, true).await
    }
}

async fn strength_check_zxcvbn(app: TestApp) {
    let (status, weak) = app.post(STRENGTH, json!({"password": "password"})).await;
    assert_eq!(status, 200, "{weak}");
    assert_eq!(
        (
            weak["valid_password"].as_bool(),
            weak["strength_policy"].as_str()
        ),
        (Some(false), Some("zxcvbn"))
    );
    assert!(weak["score"].as_u64().unwrap() < 3);
    assert!(!weak["zxcvbn_feedback"]["warning"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(
        (
            weak["breached_password"].as_bool(),
            weak["breach_detection_on_create"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (_, strong) = app
        .post(
            STRENGTH,
            json!({"password": "correct-horse-battery-staple-9!", "email_address": "a@x.io"}),
        )
        .await;
    assert_eq!(
        (strong["valid_password"].as_bool(), strong["score"].as_u64()),
        (Some(true), Some(4)),
        "{strong}"
    );
    assert_eq!(
        error_of(&app, STRENGTH, json!({})).await,
        (400, "missing_required_field".into())
    );
}
both!(strength_check_zxcvbn);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strength_check_luds() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        let mut c: Config = (*s.config).clone();
        c.password_strength_policy =
            latchkey_core::password::StrengthPolicy::Luds(Default::default());
        s.config = Arc::new(c);
    })
    .await;
    let (_, short) = app.post(STRENGTH, json!({"password": "abc"})).await;
    assert_eq!(
        (
            short["valid_password"].as_bool(),
            short["strength_policy"].as_str()
        ),
        (Some(false), Some("luds")),
        "{short}"
    );
    assert_eq!(short["luds_feedback"]["missing_characters"], 5);
    assert_eq!(short["luds_feedback"]["missing_complexity"], 2);
    let (_, good) = app.post(STRENGTH, json!({"password": "Abcdefg1"})).await;
    assert_eq!(good["valid_password"], true, "{good}");
    assert_eq!(good["luds_feedback"]["has_upper_case"], true);
}

async fn bad_input_is_never_a_500(app: TestApp) {
    let bodies = [
        "", "null", "[]", "{", "\"x\"", "{\"password\": null}", "{\"password\": {\"a\": 1}}",
        "{\"organization_id\": 1, \"email_address\": [], \"password\": true}",
        "{\"hash_type\": \"scrypt\", \"hash\": \"$scrypt$ln=99,r=1,p=1$AA$AA\", \"organization_id\": \"x\", \"email_address\": \"a@b.co\"}",
        "{\"hash_type\": \"argon_2id\", \"hash\": \"00\", \"argon_2_config\": {\"memory\": -1}}",
        "{\"hash_type\": \"pbkdf_2\", \"hash\": \"AA==\", \"pbkdf_2_config\": {\"iteration_amount\": 99999999999}}",
    ];
    for path in [AUTHENTICATE, MIGRATE, STRENGTH] {
        for body in bodies {
            let resp = app
                .client
                .post(format!("{}{path}", app.base))
                .basic_auth(&app.project_id, Some(&app.secret))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, json) = crate::helpers::read(resp).await;
            assert!(status.is_client_error(), "{path} {body}: {status} {json}");
        }
    }
    let long = "x".repeat(100_000);
    let (status, _) = app.post(STRENGTH, json!({"password": long})).await;
    assert_eq!(status, 200);
}
both!(bad_input_is_never_a_500);
