//! Issue 14 items 4 and 7: RFC 8693 token exchange. A client allowed to (off by default)
//! exchanges a member's access token for one bound to one registered resource with a subset of
//! its scopes, never outliving it, optionally as an actor (`act`, RFC 8693 §4.1, nested for
//! each further delegation); the new token lives on the subject token's grant, so revoking the
//! parent token or withdrawing consent ends it, and introspection shows that.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;
use crate::id_jag::payload;
use crate::oauth_support::{
    authorize_body, create_client, form, introspect, redeem, revoke, subject, Client, Subject,
};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT: &str = "urn:ietf:params:oauth:token-type:access_token";
const AGENT: &str = "https://agent.example/mcp";
const TOOLS: &str = "https://tools.example/api";

/// Two resources: the agent's (read, write) and a tool's (read; tokens for it live ten hours,
/// longer than the subject token).
async fn resources(app: &TestApp) {
    for body in [
        json!({"url": AGENT, "name": "Agent", "scopes": [{"scope": "read"}, {"scope": "write"}]}),
        json!({"url": TOOLS, "name": "Tools", "scopes": [{"scope": "read"}], "access_token_expiry_minutes": 600}),
    ] {
        let (s, b) = app.post("/v1/connected_apps/resources", body).await;
        assert!(
            s == 200 || b["error_type"] == "duplicate_resource_url",
            "{b}"
        );
    }
}

async fn allowed_client(app: &TestApp) -> Client {
    let c = create_client(app, "third_party").await;
    let (s, b) = app
        .put(
            &format!("/v1/connected_apps/clients/{}", c.id),
            json!({"token_exchange_allowed": true}),
        )
        .await;
    assert_eq!(
        (s, &b["connected_app"]["token_exchange_allowed"]),
        (StatusCode::OK, &json!(true)),
        "{b}"
    );
    c
}

/// A member's access token for `client` from a code flow, bound to `resources`.
async fn bound_token(
    app: &TestApp,
    client: &Client,
    s: &Subject,
    scopes: &str,
    resources: &[&str],
) -> String {
    let mut body = authorize_body(client, s, scopes);
    body["resources"] = json!(resources);
    let (status, start) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
        .await;
    assert_eq!(status, 200, "{start}");
    body["consent_granted"] = true.into();
    body["state"] = "st".into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", body).await;
    assert_eq!(status, 200, "{out}");
    let t = redeem(
        app,
        client,
        out["authorization_code"].as_str().unwrap(),
        None,
    )
    .await;
    t["access_token"].as_str().unwrap().to_string()
}

/// A member's access token for `client`, bound to both resources.
async fn member_token(app: &TestApp, client: &Client, s: &Subject, scopes: &str) -> String {
    bound_token(app, client, s, scopes, &[AGENT, TOOLS]).await
}

async fn exchange(app: &TestApp, client: &Client, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut f = client.auth();
    f.push(("grant_type", EXCHANGE.to_string()));
    f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let (s, _, b) = form(app, "/v1/oauth2/token", &f).await;
    (s, b)
}

async fn down_scopes_for_one_resource(app: TestApp) {
    resources(&app).await;
    let client = allowed_client(&app).await;
    let s = subject(&app).await;
    let parent = member_token(&app, &client, &s, "openid read write").await;
    let pc = payload(&parent);
    assert_eq!(pc["aud"], json!([AGENT, TOOLS]));

    let (st, t) = exchange(
        &app,
        &client,
        &[
            ("subject_token", &parent),
            ("subject_token_type", AT),
            ("resource", TOOLS),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["issued_token_type"], AT);
    assert_eq!(t["scope"], "read");
    assert!(t.get("refresh_token").is_none(), "{t}");
    let c = payload(t["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], json!([TOOLS]));
    assert_eq!(c["sub"], s.member_id.as_str());
    // The tool's ten-hour lifetime is cut to what the subject token has left.
    assert!(
        c["exp"].as_i64().unwrap() <= pc["exp"].as_i64().unwrap(),
        "{c} vs {pc}"
    );
    assert!(c.get("act").is_none(), "{c}");
    let live = introspect(&app, &client, t["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (live["active"].clone(), live["scope"].clone()),
        (json!(true), json!("read")),
        "{live}"
    );

    // None asked: what the subject holds that the resource accepts (and the built-ins).
    let (st, t) = exchange(
        &app,
        &client,
        &[
            ("subject_token", &parent),
            ("subject_token_type", AT),
            ("audience", TOOLS),
        ],
    )
    .await;
    assert_eq!(
        (st, t["scope"].as_str()),
        (StatusCode::OK, Some("openid read")),
        "{t}"
    );

    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let refusals: Vec<Case> = vec![
        (
            vec![("resource", AGENT), ("scope", "read write admin")],
            "invalid_scope",
            "more than it holds",
        ),
        (
            vec![("resource", TOOLS), ("scope", "write")],
            "invalid_scope",
            "a scope the resource does not take",
        ),
        (
            vec![("resource", "https://unregistered.example/")],
            "invalid_target",
            "unregistered resource",
        ),
        (vec![], "invalid_target", "no resource"),
        (
            vec![("resource", AGENT), ("audience", TOOLS)],
            "invalid_target",
            "two resources",
        ),
    ];
    for (extra, error, why) in refusals {
        let mut f = vec![
            ("subject_token", parent.as_str()),
            ("subject_token_type", AT),
        ];
        f.extend(extra);
        let (st, b) = exchange(&app, &client, &f).await;
        assert_eq!(
            (st, b["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{why}: {b}"
        );
    }
    for (token, kind, why) in [
        (
            parent.as_str(),
            "urn:ietf:params:oauth:token-type:id_token",
            "unsupported type",
        ),
        ("not-a-token", AT, "garbage subject"),
    ] {
        let (st, b) = exchange(
            &app,
            &client,
            &[
                ("subject_token", token),
                ("subject_token_type", kind),
                ("resource", TOOLS),
            ],
        )
        .await;
        assert_eq!(
            (st, b["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{why}: {b}"
        );
    }
    // A token for the agent only cannot move to the tool: an exchange narrows its audience.
    let agent_only = bound_token(&app, &client, &s, "read", &[AGENT]).await;
    let (st, b) = exchange(
        &app,
        &client,
        &[
            ("subject_token", &agent_only),
            ("subject_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target")),
        "{b}"
    );
    let (st, b) = exchange(
        &app,
        &client,
        &[
            ("subject_token", &agent_only),
            ("subject_token_type", AT),
            ("resource", AGENT),
        ],
    )
    .await;
    assert_eq!(st, 200, "{b}");
    // Off by default.
    let other = create_client(&app, "third_party").await;
    let (st, b) = exchange(
        &app,
        &other,
        &[
            ("subject_token", &parent),
            ("subject_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
        "{b}"
    );
}
both!(down_scopes_for_one_resource);

/// A sub-agent acts for the member with the agent's token (`act` names it), delegates once
/// more (nested `act`); revoking the agent's token revokes all of it.
async fn delegation_chain_dies_with_the_parent(app: TestApp) {
    resources(&app).await;
    let agent = allowed_client(&app).await;
    let sub_agent = allowed_client(&app).await;
    let s = subject(&app).await;
    let parent = member_token(&app, &agent, &s, "openid read write").await;
    let actor = member_token(&app, &sub_agent, &s, "read").await;

    let (st, t) = exchange(
        &app,
        &sub_agent,
        &[
            ("subject_token", &parent),
            ("subject_token_type", AT),
            ("actor_token", &actor),
            ("actor_token_type", AT),
            ("resource", TOOLS),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let first = t["access_token"].as_str().unwrap().to_string();
    let c = payload(&first);
    assert_eq!(c["client_id"], sub_agent.id.as_str());
    assert_eq!(
        c["act"],
        json!({"sub": s.member_id, "client_id": sub_agent.id})
    );

    let (st, t) = exchange(
        &app,
        &sub_agent,
        &[
            ("subject_token", &first),
            ("subject_token_type", AT),
            ("actor_token", &actor),
            ("actor_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let second = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        payload(&second)["act"],
        json!({"sub": s.member_id, "client_id": sub_agent.id,
               "act": {"sub": s.member_id, "client_id": sub_agent.id}})
    );
    assert_eq!(introspect(&app, &agent, &second).await["active"], true);

    // The sub-agent ends its own second token; the agent's and the first stay live.
    revoke(&app, &sub_agent, &second).await;
    assert_eq!(introspect(&app, &agent, &second).await["active"], false);
    assert_eq!(introspect(&app, &agent, &first).await["active"], true);
    assert_eq!(introspect(&app, &agent, &parent).await["active"], true);
    let (st, t) = exchange(
        &app,
        &sub_agent,
        &[
            ("subject_token", &first),
            ("subject_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let second = t["access_token"].as_str().unwrap().to_string();

    // The agent revokes its token: the whole grant goes, exchanged tokens with it.
    revoke(&app, &agent, &parent).await;
    for tok in [&first, &second] {
        assert_eq!(introspect(&app, &agent, tok).await["active"], false);
    }
    let (st, b) = exchange(
        &app,
        &sub_agent,
        &[
            ("subject_token", &first),
            ("subject_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "{b}"
    );
}
both!(delegation_chain_dies_with_the_parent);

/// Withdrawing the member's consent to the agent revokes what was exchanged from its tokens.
async fn consent_withdrawal_revokes_exchanged_tokens(app: TestApp) {
    resources(&app).await;
    let agent = allowed_client(&app).await;
    let s = subject(&app).await;
    let parent = member_token(&app, &agent, &s, "read write").await;
    let (st, t) = exchange(
        &app,
        &agent,
        &[
            ("subject_token", &parent),
            ("subject_token_type", AT),
            ("resource", TOOLS),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let exchanged = t["access_token"].as_str().unwrap().to_string();
    let (st, b) = app
        .post(
            &format!(
                "/v1/b2b/organizations/{}/members/{}/connected_apps/{}/revoke",
                s.org_id, s.member_id, agent.id
            ),
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(introspect(&app, &agent, &exchanged).await["active"], false);
}
both!(consent_withdrawal_revokes_exchanged_tokens);
