//! Branch mcp (issue 10): the hosted consent page tells who is asking: a self-registered
//! client is marked unverified, the redirect host is named, and a client that can only
//! redirect to this computer gets a warning. The request has no `scope` (as MCP clients send).

use latchkey_core::oauth::pkce::{PkceChallenge, PkceVerifier};
use serde_json::json;

use crate::helpers::{unique, TestApp};
use crate::pages::{log_in, org_with_member, start};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn consent_page_provenance(app: TestApp) {
    let (status, reg) = {
        let resp = app
            .client
            .post(format!(
                "{}/v1/public/{}/oauth2/register",
                app.base, app.project_id
            ))
            .json(&json!({"client_name": "Claude Code",
                          "redirect_uris": ["http://localhost:33418/callback"]}))
            .send()
            .await
            .unwrap();
        (
            resp.status(),
            resp.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 201, "{reg}");
    let client_id = reg["client_id"].as_str().unwrap();
    let email = format!("mia-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(VERIFIER).unwrap());
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", "http://localhost:40001/callback"),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let mut b = start(&app, &format!("/oauth2/authorize?{q}")).await;
    let consent = log_in(&mut b, &email, None).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    let body = &consent.body;
    assert!(body.contains("Claude Code wants access"), "{body}");
    assert!(body.contains("Unverified app"), "{body}");
    assert!(body.contains("This app runs on this computer"), "{body}");
    assert!(body.contains("localhost"), "{body}");
    assert!(body.contains("<code>openid</code>"), "{body}");
}
crate::both!(consent_page_provenance);

/// A client known by its metadata document: the hosted page fetches it and the consent page
/// names the host that published it.
async fn consent_page_names_the_document_host(backend: crate::helpers::Backend) {
    let app = crate::mcp_cimd::spawn_loopback(backend).await;
    let docs = crate::mcp_cimd::DocServer::start().await;
    let client_id = docs.url("agent.json");
    docs.set(
        "agent.json",
        200,
        serde_json::to_vec(&json!({"client_id": client_id, "client_name": "Doc Agent",
            "redirect_uris": ["http://127.0.0.1/callback"]}))
        .unwrap(),
    );
    let email = format!("noa-{}@acme.io", unique());
    org_with_member(&app, "Acme", &email).await;
    let challenge = PkceChallenge::s256_of(&PkceVerifier::parse(VERIFIER).unwrap());
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:40002/callback"),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let mut b = start(&app, &format!("/oauth2/authorize?{q}")).await;
    let consent = log_in(&mut b, &email, None).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    let body = &consent.body;
    assert!(body.contains("Doc Agent wants access"), "{body}");
    assert!(body.contains("Unverified app from 127.0.0.1"), "{body}");
    assert!(body.contains("This app runs on this computer"), "{body}");
}
crate::both_engines!(consent_page_names_the_document_host);
