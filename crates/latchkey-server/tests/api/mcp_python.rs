//! The example MCP server in Python (`interop/mcp-python/server.py`: the MCP Python SDK's
//! `MCPServer`, tokens validated locally with PyJWT against latchkey's JWKS) against the server
//! on SQLite and PostgreSQL: a token minted for it calls its tool, a token for another resource
//! gets 401, a token without the tool's scope gets 403 `insufficient_scope`, and no token gets
//! 401 naming the resource metadata. Installed by `scripts/setup-interop.sh` (PyPI).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{repo_root, Backend, TestApp};
use crate::oauth_support::{create_client, subject, Client, Subject};
use crate::resources::{code, create_resource, redeem_with, with_resources, DOCS};

/// The Python server, ended when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn spawn(app: &TestApp, resource_id: &str, port: u16) -> Server {
    let dir = repo_root().join("interop/mcp-python");
    let python = dir.join(".venv/bin/python");
    assert!(
        python.exists(),
        "the Python MCP example is not installed: run scripts/setup-interop.sh"
    );
    let child = Command::new(python)
        .arg("server.py")
        .current_dir(&dir)
        .env("LATCHKEY_ISSUER", &app.base)
        .env("LATCHKEY_RESOURCE_ID", resource_id)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Server(child);
    let prm = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource");
    for _ in 0..100 {
        if let Ok(r) = app.client.get(&prm).send().await {
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the Python MCP server did not start on port {port}");
}

/// An access token for `resources` with `scopes`.
async fn token_for(app: &TestApp, c: &Client, s: &Subject, scopes: &str, resource: &str) -> String {
    let body = with_resources(c, s, scopes, &[resource]);
    let (status, tok) = redeem_with(app, c, &code(app, &body).await, Some(resource)).await;
    assert_eq!(status, 200, "{tok}");
    tok["access_token"].as_str().unwrap().to_string()
}

/// A `tools/call` of `whoami`: status, `WWW-Authenticate`, body.
async fn call(app: &TestApp, url: &str, token: Option<&str>) -> (u16, String, Value) {
    let mut req = app
        .client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "whoami", "arguments": {}}}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    (
        status,
        www,
        serde_json::from_str(&text).unwrap_or(json!(text)),
    )
}

async fn python_mcp_server(backend: Backend) {
    let app = TestApp::spawn_default_project(backend).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let resource = create_resource(
        &app,
        json!({"url": url, "name": "Python MCP example",
               "scopes": [{"scope": "whoami", "description": "Know who you are"},
                          {"scope": "notes", "description": "Read your notes"}]}),
    )
    .await;
    create_resource(
        &app,
        json!({"url": DOCS, "name": "Docs MCP",
               "scopes": [{"scope": "whoami", "description": "Know who you are"}]}),
    )
    .await;
    let _server = spawn(&app, resource["resource_id"].as_str().unwrap(), port).await;
    let c = create_client(&app, "third_party").await;
    let s = subject(&app).await;

    let good = token_for(&app, &c, &s, "whoami", &url).await;
    let (status, _, out) = call(&app, &url, Some(&good)).await;
    assert_eq!(status, 200, "{out}");
    let text = out["result"]["content"][0]["text"].as_str().unwrap();
    let who: Value = serde_json::from_str(text).unwrap();
    assert_eq!(who["sub"], s.member_id.as_str(), "{who}");
    assert_eq!(who["aud"], json!([url]));

    let prm = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource");
    let elsewhere = token_for(&app, &c, &s, "whoami", DOCS).await;
    let (status, www, _) = call(&app, &url, Some(&elsewhere)).await;
    assert_eq!(status, 401, "a token for another resource");
    assert!(
        www.contains(&format!("resource_metadata=\"{prm}\"")),
        "{www}"
    );
    assert!(www.contains("error=\"invalid_token\""), "{www}");

    let narrow = token_for(&app, &c, &s, "notes", &url).await;
    let (status, www, _) = call(&app, &url, Some(&narrow)).await;
    assert_eq!(status, 403, "{www}");
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.contains("scope=\"whoami\""), "{www}");
    assert!(www.contains("resource_metadata="), "{www}");

    let (status, www, _) = call(&app, &url, None).await;
    assert_eq!(status, 401);
    assert_eq!(www, format!("Bearer resource_metadata=\"{prm}\""));

    let doc: Value = app
        .client
        .get(&prm)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["resource"], url.as_str());
    assert_eq!(doc["authorization_servers"], json!([app.base]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_mcp_server_sqlite() {
    python_mcp_server(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_mcp_server_postgres() {
    python_mcp_server(Backend::Postgres).await;
}
