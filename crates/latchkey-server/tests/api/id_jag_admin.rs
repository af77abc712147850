//! Issue 14 item 7: managing enterprise-managed authorization. The trusted identity assertion
//! issuer API (create, list, get, update, delete; one organization per issuer; the rules) and
//! the deployment steps by CLI (`latchkey client-grants`, `latchkey identity-assertion-issuer`),
//! each checked by redeeming an ID-JAG afterwards.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{unique, Backend, TestApp};
use crate::id_jag::{claims, enterprise, id_jag, redeem};
use crate::mcp_cimd::spawn_loopback;
use crate::oauth_support::create_client;

/// The issuer API: create, list, get, update, delete; one organization per issuer; the rules.
async fn issuer_api(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let base = format!(
        "/v1/b2b/organizations/{}/identity_assertion_issuers",
        e.org_id
    );
    let (s, list) = app.get(&base).await;
    assert_eq!(s, 200, "{list}");
    let items = list["identity_assertion_issuers"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let i = &items[0];
    assert_eq!(i["subject_mapping"], "external_id");
    assert_eq!(i["allowed_client_ids"], json!([e.client.id]));
    let id = i["issuer_id"].as_str().unwrap().to_string();
    let (s, got) = app.get(&format!("{base}/{id}")).await;
    assert_eq!(
        (s, &got["identity_assertion_issuer"]["issuer"]),
        (StatusCode::OK, &json!(e.issuer))
    );
    let (s, upd) = app
        .put(&format!("{base}/{id}"), json!({"allowed_client_ids": []}))
        .await;
    assert_eq!(
        (s, &upd["identity_assertion_issuer"]["allowed_client_ids"]),
        (StatusCode::OK, &json!([]))
    );
    // Empty list: no client may present its assertions.
    let (_, b) = redeem(&app, &e.client, &id_jag(&claims(&app, &e))).await;
    assert_eq!(b["error"], "invalid_grant");

    // Another organization of the project cannot trust the same issuer.
    let other = app
        .create_org(
            json!({"organization_name": "B", "organization_slug": format!("b-{}", unique())}),
        )
        .await;
    let other_base = format!(
        "/v1/b2b/organizations/{}/identity_assertion_issuers",
        other["organization_id"].as_str().unwrap()
    );
    let (s, b) = app
        .post(
            &other_base,
            json!({"issuer": e.issuer, "jwks_url": e.idp.url("jwks")}),
        )
        .await;
    assert_eq!(
        (s, b["error_type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("duplicate_identity_assertion_issuer")
        ),
        "{b}"
    );
    for (body, why) in [
        (
            json!({"jwks_url": "https://idp.example/jwks"}),
            "issuer missing",
        ),
        (
            json!({"issuer": "https://idp.example", "jwks_url": "http://idp.example/jwks"}),
            "http off loopback",
        ),
        (
            json!({"issuer": "https://idp.example", "jwks_url": "https://idp.example/jwks", "subject_mapping": "email"}),
            "email mapping",
        ),
    ] {
        let (s, b) = app.post(&other_base, body).await;
        assert_eq!(s, 400, "{why}: {b}");
    }
    let (s, _) = app
        .post("/v1/b2b/organizations/organization-test-00000000-0000-0000-0000-000000000000/identity_assertion_issuers",
              json!({"issuer": "https://idp.example", "jwks_url": "https://idp.example/jwks"}))
        .await;
    assert_eq!(s, 404);
    let (s, d) = app.delete(&format!("{base}/{id}")).await;
    assert_eq!((s, &d["issuer_id"]), (StatusCode::OK, &json!(id)));
    let (s, _) = app.get(&format!("{base}/{id}")).await;
    assert_eq!(s, 404);
    // Deleted: its assertions are from an untrusted issuer now.
    let (_, b) = redeem(&app, &e.client, &id_jag(&claims(&app, &e))).await;
    assert_eq!(b["error"], "invalid_grant");
}
both_engines!(issuer_api);

pub fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            c.env_remove(k);
        }
    }
    c.args(args)
        .args([
            "--database-url",
            &app.database_url,
            "--project",
            &app.project_id,
        ])
        .output()
        .unwrap()
}

/// The deployment steps by CLI: allow the grant on a client, trust an issuer, remove it.
async fn cli_manages_issuers_and_client_grants(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let base = format!(
        "/v1/b2b/organizations/{}/identity_assertion_issuers",
        e.org_id
    );
    let (_, list) = app.get(&base).await;
    let id = list["identity_assertion_issuers"][0]["issuer_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete(&format!("{base}/{id}")).await;

    let client = create_client(&app, "first_party").await;
    let out = cli(
        &app,
        &[
            "client-grants",
            &client.id,
            "--jwt-bearer",
            "on",
            "--token-exchange",
            "on",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("jwt_bearer: on")
            && text.contains("token_exchange: on")
            && text.contains("client_credentials: off"),
        "{text}"
    );
    let (_, got) = app
        .get(&format!("/v1/connected_apps/clients/{}", client.id))
        .await;
    assert_eq!(got["connected_app"]["jwt_bearer_allowed"], true);
    let public = create_client(&app, "first_party_public").await;
    let out = cli(&app, &["client-grants", &public.id, "--jwt-bearer", "on"]);
    assert!(!out.status.success());

    let jwks = e.idp.url("jwks");
    let out = cli(
        &app,
        &[
            "identity-assertion-issuer",
            "add",
            "--organization",
            &e.org_id,
            "--issuer",
            &e.issuer,
            "--jwks-url",
            &jwks,
            "--allow-client",
            &client.id,
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(added["allowed_client_ids"], json!([client.id]));
    let out = cli(
        &app,
        &[
            "identity-assertion-issuer",
            "list",
            "--organization",
            &e.org_id,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&e.issuer));

    let mut c = claims(&app, &e);
    c["client_id"] = client.id.clone().into();
    let (s, t) = redeem(&app, &client, &id_jag(&c)).await;
    assert_eq!(s, 200, "{t}");
    let out = cli(
        &app,
        &[
            "identity-assertion-issuer",
            "remove",
            "--organization",
            &e.org_id,
            &e.issuer,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    c["jti"] = format!("jti-{}", unique()).into();
    let (_, b) = redeem(&app, &client, &id_jag(&c)).await;
    assert_eq!(b["error"], "invalid_grant", "{b}");
}
both_engines!(cli_manages_issuers_and_client_grants);
