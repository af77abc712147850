//! The MCP TypeScript SDK's OAuth client end to end: `interop/mcp` (node:test; the example MCP
//! server `interop/mcp/server.mjs`, `@modelcontextprotocol/sdk`, `jose`, playwright-core driving
//! Debian's `chromium` through the hosted login and consent pages) against the server on SQLite
//! and PostgreSQL, registering once by DCR and once by a client ID metadata document, and, with
//! its client-credentials extension (issue 14), as a Connected App acting as itself, and, with
//! a jwt-bearer provider of ours on the SDK's OAuth machinery, redeeming an ID-JAG; the suite
//! also runs the SDK's client against the Python example server (`interop/mcp-python`).
//! Installed by `scripts/setup-interop.sh` (npm, PyPI).

use std::process::Command;

use crate::helpers::{chromium, repo_root, Backend, TestApp};

/// Runs the suite. The MCP SDK discovers latchkey at the root well-known URLs, which serve the
/// default project: on the PostgreSQL database the tests share, that must be configured.
async fn run_suite(backend: Backend) {
    if let Err(text) = attempt(backend).await {
        panic!("MCP suite failed:\n{text}");
    }
}

async fn attempt(backend: Backend) -> Result<(), String> {
    // The CIMD case serves its metadata document on loopback over http (development setting).
    let app = TestApp::spawn_default_project_with_config(backend, |c| {
        c.client_metadata_allow_http_loopback = true;
    })
    .await;
    let dir = repo_root().join("interop/mcp");
    assert!(
        dir.join("node_modules/@modelcontextprotocol/sdk").exists()
            && dir.join("node_modules/playwright-core").exists(),
        "the MCP suite is not installed: run scripts/setup-interop.sh"
    );
    let chromium =
        chromium().expect("Chromium is missing: apt-get install -y chromium (or set CHROMIUM)");
    let mut cmd = Command::new("node");
    cmd.args(["--test", "--test-concurrency=1", "test/"])
        .current_dir(&dir)
        .env("LATCHKEY_BASE_URL", &app.base)
        .env("LATCHKEY_PROJECT_ID", &app.project_id)
        .env("LATCHKEY_SECRET", &app.secret)
        .env("LATCHKEY_BIN", env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_DATABASE_URL", &app.database_url)
        .env("CHROMIUM", chromium);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_sdk_end_to_end_sqlite() {
    run_suite(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_sdk_end_to_end_postgres() {
    run_suite(Backend::Postgres).await;
}
