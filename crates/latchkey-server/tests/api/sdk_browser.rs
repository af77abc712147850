//! Stytch's frontend SDK (`@stytch/vanilla-js`, its unmodified IIFE build) in a real headless
//! Chromium against `/sdk/v1`, on SQLite and PostgreSQL: `interop/browser/sdk` (node:test with
//! playwright-core driving Debian's `chromium`; installed by `scripts/setup-interop.sh`).

use std::path::PathBuf;
use std::process::Command;

use crate::both;
use crate::helpers::{chromium, TestApp};

async fn frontend_sdk_in_chromium(app: TestApp) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/browser");
    assert!(
        dir.join("node_modules/@stytch/vanilla-js").exists(),
        "the browser suite is not installed: run scripts/setup-interop.sh"
    );
    let chromium =
        chromium().expect("Chromium is missing: apt-get install -y chromium (or set CHROMIUM)");
    let public_token = app
        .state
        .store
        .list_projects()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.project_id == app.project_id)
        .unwrap()
        .public_token;
    let mut cmd = Command::new("node");
    cmd.args([
        "--test",
        "--test-concurrency=1",
        "--test-timeout=120000",
        "sdk/",
    ])
    .current_dir(&dir)
    .env("LATCHKEY_BASE_URL", &app.base)
    .env("LATCHKEY_PROJECT_ID", &app.project_id)
    .env("LATCHKEY_SECRET", &app.secret)
    .env("LATCHKEY_PUBLIC_TOKEN", public_token)
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
    assert!(
        out.status.success(),
        "frontend SDK suite failed on {:?}:\n{text}",
        app.backend
    );
}
both!(frontend_sdk_in_chromium);
