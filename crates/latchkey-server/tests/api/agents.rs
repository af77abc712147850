//! Per-organization agent governance: the installed-agents view and org-wide revocation
//! (also while a refresh is in flight), on both engines.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, TestApp};
use crate::oauth_support::{create_client, introspect, subject, token, Client, Subject, REDIRECT};
use crate::resources::{code, redeem_with, two_resources, with_resources, DOCS};

/// Two members of one organization authorize `c` for Docs with refresh tokens; returns their
/// token responses.
async fn two_members_authorize(app: &TestApp, c: &Client, s: &Subject) -> Vec<Value> {
    let second = app
        .create_member(
            &s.org_id,
            json!({"email_address": format!("bob-{}@example.com", unique())}),
        )
        .await;
    let bob = Subject {
        org_id: s.org_id.clone(),
        member_id: second["member_id"].as_str().unwrap().to_string(),
        email: String::new(),
    };
    let mut out = Vec::new();
    for who in [s, &bob] {
        let body = with_resources(c, who, "openid offline_access read", &[DOCS]);
        let (status, tok) = redeem_with(app, c, &code(app, &body).await, None).await;
        assert_eq!(status, 200, "{tok}");
        out.push(tok);
    }
    out
}

async fn installed_agents_and_org_wide_revocation(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;
    let tokens = two_members_authorize(&app, &c, &s).await;
    // Another organization's member keeps access.
    let other = subject(&app).await;
    let body = with_resources(&c, &other, "openid offline_access read", &[DOCS]);
    let (_, theirs) = redeem_with(&app, &c, &code(&app, &body).await, None).await;

    let agents_path = format!("/v1/b2b/organizations/{}/connected_apps/agents", s.org_id);
    let (status, view) = app.get(&agents_path).await;
    assert_eq!(status, 200, "{view}");
    let agents = view["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1, "{view}");
    let a = &agents[0];
    assert_eq!(a["connected_app_id"], c.id.as_str());
    assert_eq!(a["members"].as_array().unwrap().len(), 2);
    assert_eq!(a["host"], "app.example.com");
    assert_eq!(a["scopes"], json!(["offline_access", "openid", "read"]));
    assert_eq!(
        a["resources"],
        json!([{"resource": DOCS, "name": "Docs MCP", "scopes": ["read"], "access_token_expiry_minutes": 5}])
    );
    assert!(a["last_access_token_expires_at"].as_i64().is_some(), "{a}");

    let (status, out) = app
        .post(
            &format!(
                "/v1/b2b/organizations/{}/connected_apps/{}/revoke",
                s.org_id, c.id
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["revoked_members"], 2);
    for tok in &tokens {
        let info = introspect(&app, &c, tok["access_token"].as_str().unwrap()).await;
        assert_eq!(info["active"], false, "{info}");
        let (status, _, e) = token(
            &app,
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tok["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(
            (status.as_u16(), e["error"].as_str()),
            (400, Some("invalid_grant")),
            "{e}"
        );
    }
    let info = introspect(&app, &c, theirs["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true, "another organization is untouched");
    let (_, view) = app.get(&agents_path).await;
    assert_eq!(view["agents"], json!([]));
    let (status, e) = app
        .post(
            &format!(
                "/v1/b2b/organizations/{}/connected_apps/connected-app-test-nope/revoke",
                s.org_id
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), e["error_type"].as_str()),
        (404, Some("connected_app_not_found"))
    );
}
both!(installed_agents_and_org_wide_revocation);

async fn org_wide_revocation_while_a_refresh_is_in_flight(app: TestApp) {
    two_resources(&app).await;
    let c = create_client(&app, "third_party_public").await;
    let s = subject(&app).await;
    let (verifier, challenge) = crate::oauth_support::pkce();
    let mut body = with_resources(&c, &s, "offline_access read", &[DOCS]);
    body["code_challenge"] = challenge.into();
    let (_, _, tok) = token(
        &app,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code(&app, &body).await),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let rt = tok["refresh_token"].as_str().unwrap().to_string();
    let revoke_path = format!(
        "/v1/b2b/organizations/{}/connected_apps/{}/revoke",
        s.org_id, c.id
    );
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let (refreshed, (status, _)) =
        tokio::join!(token(&app, &c, &fields), app.post(&revoke_path, json!({})),);
    assert_eq!(status, 200);
    // Whichever finished first, nothing issued survives the revocation.
    let (status, _, next) = refreshed;
    if status == 200 {
        let info = introspect(&app, &c, next["access_token"].as_str().unwrap()).await;
        assert_eq!(info["active"], false, "{info}");
        let (status, _, _) = token(
            &app,
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", next["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(status, 400);
    }
}
both!(org_wide_revocation_while_a_refresh_is_in_flight);
