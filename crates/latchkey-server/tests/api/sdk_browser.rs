//! Stytch's frontend SDKs in a real headless Chromium against `/sdk/v1`, on SQLite and
//! PostgreSQL (node:test with playwright-core driving Debian's `chromium`; installed by
//! `scripts/setup-interop.sh`): `interop/browser/sdk` runs `@stytch/vanilla-js` (its unmodified
//! IIFE build), `interop/browser/react` `@stytch/react`'s `<B2BIdentityProvider/>` (bundled by
//! esbuild from npm at test time).

use std::path::PathBuf;
use std::process::Command;

use crate::both;
use crate::helpers::{chromium, TestApp};

/// Runs the node:test suite `suite` (a directory of `interop/browser`) against `app`; `package`
/// is the npm package it needs.
async fn run_suite(app: TestApp, suite: &str, package: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/browser");
    assert!(
        dir.join("node_modules").join(package).exists(),
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
        suite,
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
        "frontend SDK suite {suite} failed on {:?}:\n{text}",
        app.backend
    );
}

async fn frontend_sdk_in_chromium(app: TestApp) {
    run_suite(app, "sdk/", "@stytch/vanilla-js").await;
}
both!(frontend_sdk_in_chromium);

async fn react_identity_provider_in_chromium(app: TestApp) {
    run_suite(app, "react/", "@stytch/react").await;
}
both!(react_identity_provider_in_chromium);
