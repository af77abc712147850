//! RBAC over HTTP and the `latchkey rbac` command: the default policy in Stytch's shape, a
//! custom policy served and used for role assignment, organization roles, and the CLI's
//! reporting of invalid policy files.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{unique, TestApp};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

async fn set_example_policy(app: &TestApp) {
    let policy = latchkey_server::cli::read_policy_file(&example("rbac-policy.json")).unwrap();
    app.state
        .store
        .set_rbac_policy(&app.project_id, &policy, 1)
        .await
        .unwrap();
}

fn ids<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap())
        .collect()
}

async fn default_policy(app: TestApp) {
    let (status, body) = app.get("/v1/b2b/rbac/policy").await;
    assert_eq!(status, 200, "{body}");
    let policy = &body["policy"];
    assert_eq!(
        ids(&policy["roles"], "role_id"),
        ["stytch_member", "stytch_admin"]
    );
    assert_eq!(
        ids(&policy["resources"], "resource_id"),
        [
            "stytch.organization",
            "stytch.member",
            "stytch.sso",
            "stytch.self",
            "stytch.scim"
        ]
    );
    assert_eq!(policy["scopes"], json!([]));
    for role in policy["roles"].as_array().unwrap() {
        assert!(
            role["description"].is_string() && role["permissions"].is_array(),
            "{role}"
        );
    }
    assert_eq!(
        policy["roles"][0]["permissions"],
        json!([{"resource_id": "stytch.self", "actions": ["*"]}])
    );
    // Project credentials are required.
    let resp = reqwest::get(format!("{}/v1/b2b/rbac/policy", app.base))
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}
both!(default_policy);

async fn custom_policy_is_served_and_assignable(app: TestApp) {
    set_example_policy(&app).await;
    let (status, body) = app.get("/v1/b2b/rbac/policy").await;
    assert_eq!(status, 200, "{body}");
    let policy = &body["policy"];
    assert_eq!(
        ids(&policy["roles"], "role_id"),
        ["stytch_member", "stytch_admin", "editor", "viewer"]
    );
    assert_eq!(ids(&policy["resources"], "resource_id")[5], "documents");
    assert_eq!(
        ids(&policy["scopes"], "scope"),
        ["read:documents", "write:documents"]
    );
    assert_eq!(
        policy["scopes"][1],
        json!({"scope": "write:documents", "description": "Create and change your documents",
               "permissions": [{"resource_id": "documents", "actions": ["read", "write"]}]})
    );

    let org = app
        .create_org(
            json!({"organization_name": "R", "organization_slug": format!("r-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let m = app
        .create_member(
            org_id,
            json!({"email_address": "ed@example.com", "roles": ["editor"]}),
        )
        .await;
    assert_eq!(ids(&m["roles"], "role_id"), ["stytch_member", "editor"]);
    let (status, body) = app
        .post(
            &format!("/v1/b2b/organizations/{org_id}/members"),
            json!({"email_address": "gh@example.com", "roles": ["ghost"]}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("role_not_found")),
        "{body}"
    );
    // Organization settings take project roles too.
    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"email_allowed_domains": ["example.com"], "rbac_email_implicit_role_assignments": [{"domain": "example.com", "role_id": "viewer"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
both!(custom_policy_is_served_and_assignable);

async fn organization_roles(app: TestApp) {
    set_example_policy(&app).await;
    let org = app
        .create_org(
            json!({"organization_name": "O", "organization_slug": format!("o-{}", unique())}),
        )
        .await;
    let path = format!(
        "/v1/b2b/rbac/organizations/{}",
        org["organization_id"].as_str().unwrap()
    );
    let (status, body) = app.get(&path).await;
    assert_eq!(
        (status.as_u16(), &body["org_policy"]),
        (200, &json!({"roles": []}))
    );

    let auditor = json!({"role_id": "auditor", "description": "Audits",
                         "permissions": [{"resource_id": "documents", "actions": ["read"]}]});
    let (status, body) = app
        .put(&path, json!({"org_policy": {"roles": [auditor]}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["org_policy"]["roles"][0], auditor);
    let (_, body) = app.get(&path).await;
    assert_eq!(body["org_policy"]["roles"][0], auditor);
    let slug = org["organization_slug"].as_str().unwrap();
    let m = app
        .create_member(
            slug,
            json!({"email_address": "au@example.com", "roles": ["auditor"]}),
        )
        .await;
    assert_eq!(ids(&m["roles"], "role_id"), ["stytch_member", "auditor"]);

    for (roles, error_type) in [
        (
            json!([{"role_id": "editor", "permissions": [{"resource_id": "documents", "actions": ["read"]}]}]),
            "rbac_role_duplicate",
        ),
        (
            json!([{"role_id": "x", "permissions": [{"resource_id": "images", "actions": ["read"]}]}]),
            "invalid_permission_resource",
        ),
        (
            json!([{"role_id": "x", "permissions": []}]),
            "rbac_role_missing_permissions",
        ),
    ] {
        let (status, body) = app
            .put(&path, json!({"org_policy": {"roles": roles}}))
            .await;
        assert_eq!(
            (status.as_u16(), body["error_type"].as_str()),
            (400, Some(error_type)),
            "{body}"
        );
    }
    let (status, body) = app.put(&path, json!({})).await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("missing_required_field")),
        "{body}"
    );
    let (status, _) = app
        .get("/v1/b2b/rbac/organizations/organization-test-nope")
        .await;
    assert_eq!(status, 404);
}
both!(organization_roles);

fn latchkey(db: &str, args: &[&str]) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            c.env_remove(k);
        }
    }
    let out = c
        .args(args)
        .env("LATCHKEY_DATABASE_URL", db)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn cli_sets_and_shows_policy() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("rbac.db").display());
    let (ok, out, err) = latchkey(&db, &["rbac", "show"]);
    assert!(!ok && err.contains("no projects"), "{out}{err}");
    let (ok, out, _) = latchkey(&db, &["project", "create", "--name", "one", "--json"]);
    assert!(ok);
    let project: Value = serde_json::from_str(out.trim()).unwrap();
    let json_file = example("rbac-policy.json");
    let (ok, out, err) = latchkey(&db, &["rbac", "set", "--file", json_file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("1 resources, 2 roles, 2 scopes"), "{out}");
    let (ok, out, err) = latchkey(&db, &["rbac", "show", "--json"]);
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        ids(&shown["roles"], "role_id"),
        ["stytch_member", "stytch_admin", "editor", "viewer"]
    );

    // The shown policy can be set back; TOML works too; with two projects --project is needed.
    let back = dir.path().join("shown.json");
    std::fs::write(&back, &out).unwrap();
    assert!(latchkey(&db, &["rbac", "set", "--file", back.to_str().unwrap()]).0);
    assert!(latchkey(&db, &["project", "create", "--name", "two"]).0);
    let toml_file = example("rbac-policy.toml");
    let (ok, _, err) = latchkey(&db, &["rbac", "set", "--file", toml_file.to_str().unwrap()]);
    assert!(
        !ok && err.contains("choose one with --project") && err.contains("two"),
        "{err}"
    );
    let pid = project["project_id"].as_str().unwrap();
    let (ok, _, err) = latchkey(
        &db,
        &[
            "rbac",
            "set",
            "--project",
            pid,
            "--file",
            toml_file.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = latchkey(&db, &["rbac", "show", "--project", "project-test-nope"]);
    assert!(!ok && err.contains(pid), "{err}");
}

#[test]
fn cli_reports_invalid_policy_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("rbac.db").display());
    assert!(latchkey(&db, &["project", "create", "--name", "one"]).0);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let bad = write(
        "bad.json",
        &json!({
            "resources": [{"resource_id": "stytch.docs", "actions": ["read"]}, {"resource_id": "docs", "actions": ["read"]}],
            "roles": [{"role_id": "r", "permissions": [{"resource_id": "docs", "actions": ["read", "publish"]}]}],
            "scopes": [{"scope": "openid", "permissions": [{"resource_id": "docs", "actions": ["*"]}]}]
        })
        .to_string(),
    );
    let (ok, _, err) = latchkey(&db, &["rbac", "set", "--file", &bad]);
    assert!(!ok);
    for needle in [
        "3 problem(s); nothing was changed",
        "resources[0]: resource_id \"stytch.docs\"",
        "(invalid_stytch_prefixed_resource)",
        "roles[0].permissions[0].actions[1]: \"publish\" is not an action of resource \"docs\"",
        "scopes[0]: scope \"openid\" is built in",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    let typo = write("typo.toml", "[[roles]]\nrole_id = \"r\"\npermisions = []\n");
    let (ok, _, err) = latchkey(&db, &["rbac", "set", "--file", &typo]);
    assert!(
        !ok && err.contains("roles[0].permisions: unknown key"),
        "{err}"
    );
    let (ok, _, err) = latchkey(&db, &["rbac", "set", "--file", &write("p.yaml", "")]);
    assert!(!ok && err.contains("name it *.json or *.toml"), "{err}");
    let (ok, _, err) = latchkey(&db, &["rbac", "set", "--file", &write("broken.json", "{")]);
    assert!(!ok && err.contains("is not valid JSON"), "{err}");
    // Nothing was stored.
    let (_, out, _) = latchkey(&db, &["rbac", "show", "--json"]);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["roles"].as_array().unwrap().len(), 2);
}
