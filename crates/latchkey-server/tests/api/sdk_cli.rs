//! `latchkey project origins add|list|remove`: the frontend SDK's authorized origins from the
//! command line, normalised, with clear errors for what is not an origin.

use std::process::{Command, Output};

fn latchkey(db: &str, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            c.env_remove(k);
        }
    }
    c.args(args).args(["--database-url", db]).output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn project_origins_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("o.db").display());
    ok(&latchkey(
        &db,
        &["project", "create", "--name", "Web", "--json"],
    ));
    let added = ok(&latchkey(
        &db,
        &["project", "origins", "add", "HTTPS://App.Example.com/"],
    ));
    assert!(added.contains("https://app.example.com"), "{added}");
    let again = ok(&latchkey(
        &db,
        &["project", "origins", "add", "https://app.example.com"],
    ));
    assert!(again.contains("already"), "{again}");
    let list = ok(&latchkey(&db, &["project", "origins", "list", "--json"]));
    let v: serde_json::Value = serde_json::from_str(list.trim()).unwrap();
    assert_eq!(v, serde_json::json!(["https://app.example.com"]));
    let bad = latchkey(
        &db,
        &["project", "origins", "add", "https://app.example.com/login"],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("without path"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    ok(&latchkey(
        &db,
        &["project", "origins", "remove", "https://app.example.com"],
    ));
    let gone = latchkey(
        &db,
        &["project", "origins", "remove", "https://app.example.com"],
    );
    assert!(!gone.status.success());
    assert_eq!(
        ok(&latchkey(&db, &["project", "origins", "list"])).trim(),
        ""
    );
}
