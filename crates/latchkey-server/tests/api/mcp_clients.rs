//! Issue 10: the registrations and metadata documents that MCP clients publish, replayed, each
//! completing a code flow the way that client runs it: no `scope` (the defaults apply), its own
//! redirect (a loopback port other than the registered one, a private-use scheme, a web
//! callback), PKCE, and its token endpoint authentication. The shapes follow each client's
//! published registration or document (Claude Code, claude.ai, ChatGPT, VS Code, Cursor,
//! Codex); metadata documents are served on loopback, so their `client_id` is the loopback URL.

use serde_json::{json, Value};

use crate::helpers::Backend;
use crate::mcp_cimd::{spawn_loopback, DocServer};
use crate::mcp_private_key_jwt::post_form;
use crate::oauth_support::{pkce, subject};

/// One client: how it registers and how it comes back.
struct Case {
    name: &'static str,
    /// A DCR request body, or a metadata document (its `client_id` is filled in).
    registration: Value,
    cimd: bool,
    /// The redirect the client uses on this run.
    redirect: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "Claude Code (DCR)",
            registration: json!({"client_name": "Claude Code (acme-mcp)",
                "redirect_uris": ["http://localhost:54212/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}),
            cimd: false,
            redirect: "http://localhost:61001/callback",
        },
        Case {
            name: "Claude Code (metadata document)",
            registration: json!({"client_name": "Claude Code", "client_uri": "https://claude.ai",
                "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}),
            cimd: true,
            redirect: "http://127.0.0.1:61002/callback",
        },
        Case {
            name: "claude.ai (metadata document listing jwt-bearer)",
            registration: json!({"client_name": "Claude", "client_uri": "https://claude.ai",
                "logo_uri": "https://claude.ai/images/claude_app_icon.png",
                "redirect_uris": ["https://claude.ai/api/mcp/auth_callback",
                                  "https://claude.com/api/mcp/auth_callback"],
                "grant_types": ["authorization_code", "refresh_token",
                                "urn:ietf:params:oauth:grant-type:jwt-bearer"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}),
            cimd: true,
            redirect: "https://claude.ai/api/mcp/auth_callback",
        },
        Case {
            name: "ChatGPT (metadata document, RP Metadata Choices)",
            registration: json!({"client_name": "ChatGPT", "client_uri": "https://chatgpt.com",
                "redirect_uris": ["https://chatgpt.com/connector_platform_oauth_redirect"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_methods_supported": ["none"],
                "application_type": "web"}),
            cimd: true,
            redirect: "https://chatgpt.com/connector_platform_oauth_redirect",
        },
        Case {
            name: "VS Code (DCR)",
            registration: json!({"client_name": "Visual Studio Code",
                "client_uri": "https://code.visualstudio.com",
                "grant_types": ["authorization_code", "refresh_token",
                                "urn:ietf:params:oauth:grant-type:device_code"],
                "response_types": ["code"],
                "redirect_uris": ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect",
                                  "http://localhost/", "http://127.0.0.1/",
                                  "http://localhost:33418/", "http://127.0.0.1:33418/"],
                "token_endpoint_auth_method": "none"}),
            cimd: false,
            redirect: "http://127.0.0.1:33418/",
        },
        Case {
            name: "Cursor (DCR, private-use scheme)",
            registration: json!({"client_name": "Cursor",
                "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-acme/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}),
            cimd: false,
            redirect: "cursor://anysphere.cursor-retrieval/oauth/user-acme/callback",
        },
        Case {
            name: "Codex (DCR)",
            registration: json!({"client_name": "Codex", "redirect_uris": ["http://127.0.0.1:1455/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}),
            cimd: false,
            redirect: "http://127.0.0.1:52177/callback",
        },
    ]
}

async fn mcp_clients_complete_a_code_flow(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let s = subject(&app).await;
    for (i, case) in cases().into_iter().enumerate() {
        let client_id = if case.cimd {
            let path = format!("client-{i}.json");
            let mut doc = case.registration.clone();
            doc["client_id"] = docs.url(&path).into();
            docs.set(&path, 200, serde_json::to_vec(&doc).unwrap());
            docs.url(&path)
        } else {
            let (status, reg) = post_json(&app, "/v1/oauth2/register", &case.registration).await;
            assert_eq!(status, 201, "{}: {reg}", case.name);
            reg["client_id"].as_str().unwrap().to_string()
        };
        let (verifier, challenge) = pkce();
        let body = json!({"client_id": client_id, "redirect_uri": case.redirect,
            "response_type": "code", "scopes": [], "organization_id": s.org_id,
            "member_id": s.member_id, "code_challenge": challenge});
        let (status, start) = app
            .post("/v1/b2b/idp/oauth/authorize/start", body.clone())
            .await;
        assert_eq!(status, 200, "{}: {start}", case.name);
        assert_eq!(start["consent_required"], true, "{}: {start}", case.name);
        let mut submit = body;
        submit["consent_granted"] = true.into();
        let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", submit).await;
        assert_eq!(status, 200, "{}: {out}", case.name);
        let code = out["authorization_code"].as_str().unwrap().to_string();
        assert!(
            out["redirect_uri"]
                .as_str()
                .unwrap()
                .starts_with(case.redirect),
            "{}: {out}",
            case.name
        );
        let (status, tokens) = post_form(
            &app,
            "/v1/oauth2/token",
            &[
                ("grant_type", "authorization_code".into()),
                ("client_id", client_id.clone()),
                ("code", code),
                ("redirect_uri", case.redirect.into()),
                ("code_verifier", verifier),
            ],
        )
        .await;
        assert_eq!(status, 200, "{}: {tokens}", case.name);
        assert!(tokens["access_token"].is_string(), "{}", case.name);
    }
}
crate::both_engines!(mcp_clients_complete_a_code_flow);

async fn post_json(
    app: &crate::helpers::TestApp,
    path: &str,
    body: &Value,
) -> (reqwest::StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}
