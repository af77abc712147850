//! The `latchkey` binary as a person runs it: project creation with `--json`, listing,
//! migrations, configuration sources, and `serve` shutting down gracefully on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn latchkey() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            c.env_remove(k);
        }
    }
    c
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("cli.db").display())
}

#[test]
fn project_create_json_prints_one_object() {
    let dir = tempfile::tempdir().unwrap();
    let out = latchkey()
        .args([
            "project",
            "create",
            "--name",
            "Demo",
            "--json",
            "--database-url",
            &sqlite_url(&dir),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one line: {stdout}"
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 3);
    assert!(v["project_id"]
        .as_str()
        .unwrap()
        .starts_with("project-test-"));
    assert!(v["secret"].as_str().unwrap().starts_with("secret-test-"));
    assert!(v["public_token"]
        .as_str()
        .unwrap()
        .starts_with("public-token-test-"));

    // Listed (by env var this time), without the secret.
    let out = latchkey()
        .args(["project", "list", "--json"])
        .env("LATCHKEY_DATABASE_URL", sqlite_url(&dir))
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["project_id"], v["project_id"]);
    assert_eq!(list[0]["name"], "Demo");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(v["secret"].as_str().unwrap()));

    // The secret is stored only as a hash.
    let raw = std::fs::read(dir.path().join("cli.db")).unwrap();
    let needle = v["secret"].as_str().unwrap().as_bytes();
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "plaintext secret in the database file"
    );
}

#[test]
fn config_file_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("latchkey.toml");
    std::fs::write(&cfg, format!("database_url = \"{}\"\n", sqlite_url(&dir))).unwrap();
    let out = latchkey()
        .args(["--config", cfg.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("cli.db").exists());

    std::fs::write(&cfg, "databse_url = \"x\"\n").unwrap();
    let out = latchkey()
        .args(["--config", cfg.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("databse_url"),
        "names the bad key"
    );

    let out = latchkey()
        .args(["migrate", "--database-url", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://"));

    let out = latchkey()
        .args([
            "project",
            "create",
            "--name",
            " ",
            "--database-url",
            &sqlite_url(&dir),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let out = latchkey().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "project",
        "migrate",
        "LATCHKEY_DATABASE_URL",
        "--config",
    ] {
        assert!(help.contains(word), "--help mentions {word}");
    }
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = latchkey()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .env("LATCHKEY_DATABASE_URL", sqlite_url(&dir))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/v1/b2b/organizations/search");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        for _ in 0..100 {
            if let Ok(r) = reqwest::Client::new().post(&url).send().await {
                return r.status().as_u16();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        0
    });
    assert_eq!(status, 401, "server answered without credentials");
    // SIGTERM: the process exits 0 after finishing.
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    let request_line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "request")
        .expect("one JSON log line per request");
    assert_eq!(request_line["fields"]["status"], 401);
    assert!(request_line["fields"]["request_id"]
        .as_str()
        .unwrap()
        .starts_with("request-id-test-"));
    assert!(logs.contains("latchkey stopped"));
    // The development defaults are named at start (security review #15).
    for setting in ["`issuer`", "`master_key`", "`smtp_url`"] {
        assert!(
            logs.lines().any(|l| l.contains("WARN")
                && l.contains("INSECURE DEFAULT")
                && l.contains(setting)),
            "{setting}: {logs}"
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
