//! The hosted pages end to end in a real headless Chromium: `interop/browser` (node:test with
//! playwright-core driving Debian's `chromium`) against the server on SQLite. Installed by
//! `scripts/setup-interop.sh` (npm) and `.ci/run` (the chromium package when missing).

use std::process::Command;

use crate::helpers::{chromium, repo_root, Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_pages_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let root = repo_root();
    let dir = root.join("interop/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the browser suite is not installed: run scripts/setup-interop.sh"
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
    assert!(out.status.success(), "browser suite failed:\n{text}");
}
