//! Interop: the official Stytch SDKs (npm `stytch` 14.x, PyPI `stytch` 15.x) drive the server
//! on each backend. Their suites live in `interop/`; `scripts/setup-interop.sh` installs them.

use std::path::PathBuf;
use std::process::Command;

use crate::both;
use crate::helpers::{repo_root, TestApp};

/// Runs a suite in a blocking thread (the server keeps serving on the runtime meanwhile), with
/// the example RBAC policy (docs/examples/rbac-policy.json) set on the project.
async fn run_suite(app: &TestApp, dir: &str, program: &str, args: &[&str]) {
    let root = repo_root();
    let policy =
        latchkey_server::cli::read_policy_file(&root.join("docs/examples/rbac-policy.json"))
            .unwrap();
    app.state
        .store
        .set_rbac_policy(&app.project_id, &policy, 1)
        .await
        .unwrap();
    let cwd = root.join(dir);
    let program_path = if program.contains('/') {
        cwd.join(program)
    } else {
        PathBuf::from(program)
    };
    assert!(
        root.join("interop/node/node_modules/stytch").exists()
            && root.join("interop/python/.venv/bin/python").exists(),
        "the SDK interop suites are not installed: run scripts/setup-interop.sh"
    );
    let mut cmd = Command::new(&program_path);
    cmd.args(args)
        .current_dir(&cwd)
        .env("LATCHKEY_BASE_URL", &app.base)
        .env("LATCHKEY_PROJECT_ID", &app.project_id)
        .env("LATCHKEY_SECRET", &app.secret)
        .env("LATCHKEY_RBAC_EXAMPLE_POLICY", "1")
        .env("LATCHKEY_BIN", env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_DATABASE_URL", &app.database_url);
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
        "{program} {args:?} failed on {:?}:\n{text}",
        app.backend
    );
}

async fn node_sdk(app: TestApp) {
    run_suite(
        &app,
        "interop/node",
        "node",
        &["--test", "--test-reporter=dot", "test/"],
    )
    .await;
}
both!(node_sdk);

async fn python_sdk(app: TestApp) {
    run_suite(
        &app,
        "interop/python",
        ".venv/bin/python",
        &["-m", "pytest", "-q", "-p", "no:cacheprovider"],
    )
    .await;
}
both!(python_sdk);
