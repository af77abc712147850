//! The OpenAPI document (issue 15 item 3): `GET /openapi.json` lists exactly the routes this
//! crate registers (every `.route(...)` under `src/`, read from the source, compared both ways,
//! and each documented operation answered by a handler, not the router's fallback), and
//! `openapi-spec-validator` (PyPI, installed by scripts/setup-interop.sh) accepts it as OpenAPI 3.1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::both;
use crate::helpers::{repo_root, unique, TestApp};
use crate::oauth_support::{code_for, create_client, form, redeem, subject};

type Routes = BTreeMap<String, BTreeSet<String>>;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module a file is (`api/mod.rs` is `api`, `oauth/register.rs` is `register`).
fn module_of(p: &Path) -> String {
    let stem = p.file_stem().unwrap().to_string_lossy().to_string();
    if stem == "mod" {
        p.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string()
    } else {
        stem
    }
}

/// The text inside the parentheses that open at `open`.
fn balanced(s: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses")
}

/// Splits at the first comma outside brackets.
fn split_first_arg(s: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

/// Every `(module, NAME) -> "literal"` of `const NAME: &str = "..."`.
fn constants(files: &[(PathBuf, String)]) -> Vec<(String, PathBuf, String, String)> {
    let mut out = Vec::new();
    for (p, text) in files {
        let mut rest = text.as_str();
        while let Some(i) = rest.find("const ") {
            rest = &rest[i + 6..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let after = rest[name.len()..].trim_start();
            if name.is_empty() || !after.starts_with(": &str") {
                continue;
            }
            let after = after[6..].trim_start().trim_start_matches('=').trim_start();
            if let Some(lit) = after.strip_prefix('"') {
                let value = &lit[..lit.find('"').unwrap()];
                out.push((module_of(p), p.clone(), name, value.to_string()));
            }
        }
    }
    out
}

/// The HTTP methods a method-router expression routes: `get(..)`, `axum::routing::delete(..)`,
/// `.put(..)` (the SDK's `p(..)` only adds OPTIONS preflights, which are not documented).
fn methods_of(expr: &str) -> BTreeSet<String> {
    let bytes = expr.as_bytes();
    let mut found = BTreeSet::new();
    for (i, _) in expr.match_indices('(') {
        let start = expr[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |s| s + 1);
        let callee = &expr[start..i];
        let last = callee.rsplit("::").next().unwrap_or("");
        if !METHODS.contains(&last) {
            continue;
        }
        let method_call = start > 0 && bytes[start - 1] == b'.';
        let free = callee == last || callee.ends_with(&format!("routing::{last}"));
        if (method_call && callee == last) || (!method_call && free) {
            found.insert(last.to_string());
        }
    }
    found
}

/// Every route this crate registers, from its source.
fn router_routes() -> Routes {
    let mut paths = Vec::new();
    rust_files(&repo_root().join("crates/latchkey-server/src"), &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            (p, code.join("\n"))
        })
        .collect();
    let consts = constants(&files);
    let mut routes = Routes::new();
    for (p, text) in &files {
        for (i, _) in text.match_indices(".route(") {
            let inner = balanced(text, i + ".route".len());
            let (path_expr, method_router) = split_first_arg(inner);
            let path_expr = path_expr.trim();
            let path = if let Some(lit) = path_expr.strip_prefix('"') {
                lit.trim_end_matches('"').to_string()
            } else {
                let parts: Vec<&str> = path_expr.split("::").collect();
                let name = *parts.last().unwrap();
                let mut hits: Vec<_> = consts.iter().filter(|c| c.2 == name).collect();
                if parts.len() > 1 {
                    hits.retain(|c| c.0 == parts[parts.len() - 2]);
                } else if hits.iter().any(|c| &c.1 == p) {
                    hits.retain(|c| &c.1 == p);
                }
                assert_eq!(
                    hits.len(),
                    1,
                    "cannot resolve {path_expr} in {}",
                    p.display()
                );
                hits[0].3.clone()
            };
            let methods = methods_of(method_router);
            assert!(
                !methods.is_empty(),
                "no method in route {path} ({})",
                p.display()
            );
            // OpenAPI path templates have no catch-all: axum's `{*rest}` is `{rest}`.
            routes
                .entry(path.replace("{*", "{"))
                .or_default()
                .extend(methods);
        }
    }
    routes
}

fn documented(doc: &Value) -> Routes {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

async fn openapi_document_matches_the_router(app: TestApp) {
    let res = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let code = router_routes();
    let docs = documented(&doc);
    assert!(
        code.len() > 100,
        "the source scan found too few routes: {code:?}"
    );
    let undocumented: Vec<_> = code
        .iter()
        .flat_map(|(p, ms)| ms.iter().map(move |m| (p, m)))
        .filter(|(p, m)| !docs.get(*p).is_some_and(|d| d.contains(*m)))
        .collect();
    let unrouted: Vec<_> = docs
        .iter()
        .flat_map(|(p, ms)| ms.iter().map(move |m| (p, m)))
        .filter(|(p, m)| !code.get(*p).is_some_and(|c| c.contains(*m)))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "openapi.json documents unknown routes: {unrouted:?}"
    );

    // Each documented operation reaches a handler: not the fallback 404 nor the 405.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, methods) in &docs {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for m in methods {
            let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let res = client
                .request(method, format!("{}{}", app.base, concrete))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            assert!(
                status != 405 && !body.contains("No route matches"),
                "{m} {concrete}: {status} {body}"
            );
        }
    }

    // The document is valid OpenAPI 3.1 and real answers match it.
    let samples = samples(&app).await;
    let validator = repo_root().join("interop/python/.venv/bin/python");
    assert!(
        validator.exists(),
        "openapi-spec-validator is not installed: run scripts/setup-interop.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    let sample_file = dir.path().join("samples.json");
    std::fs::write(&sample_file, serde_json::to_vec(&samples).unwrap()).unwrap();
    let out = std::process::Command::new(validator)
        .arg(repo_root().join("interop/python/check_openapi.py"))
        .arg(&file)
        .arg(&sample_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_openapi.py: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Answers of the main operations, each as {method, path (the template), status, body}.
async fn samples(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    let mut record =
        |method: &str, template: &str, (status, body): (reqwest::StatusCode, Value)| {
            out.push(serde_json::json!({"method": method, "path": template,
                                    "status": status.as_u16(), "body": body.clone()}));
            body
        };
    let org = record(
        "POST",
        "/v1/b2b/organizations",
        app.post(
            "/v1/b2b/organizations",
            serde_json::json!({"organization_name": "Doc", "organization_slug": format!("doc-{}", unique())}),
        )
        .await,
    );
    let org_id = org["organization"]["organization_id"]
        .as_str()
        .unwrap()
        .to_string();
    let org_path = format!("/v1/b2b/organizations/{org_id}");
    record(
        "GET",
        "/v1/b2b/organizations/{organization_id}",
        app.get(&org_path).await,
    );
    record(
        "GET",
        "/v1/b2b/organizations/{organization_id}",
        app.get("/v1/b2b/organizations/nope").await,
    );
    let member = record(
        "POST",
        "/v1/b2b/organizations/{organization_id}/members",
        app.post(
            &format!("{org_path}/members"),
            serde_json::json!({"email_address": format!("doc-{}@example.com", unique()), "name": "Doc"}),
        )
        .await,
    );
    let member_id = member["member"]["member_id"].as_str().unwrap().to_string();
    record(
        "GET",
        "/v1/b2b/organizations/{organization_id}/member",
        app.get(&format!("{org_path}/member?member_id={member_id}"))
            .await,
    );
    record(
        "POST",
        "/v1/b2b/organizations/members/search",
        app.post(
            "/v1/b2b/organizations/members/search",
            serde_json::json!({"organization_ids": [org_id]}),
        )
        .await,
    );
    record(
        "POST",
        "/v1/b2b/organizations/search",
        app.post(
            "/v1/b2b/organizations/search",
            serde_json::json!({"limit": 2}),
        )
        .await,
    );
    record(
        "GET",
        "/v1/b2b/rbac/policy",
        app.get("/v1/b2b/rbac/policy").await,
    );
    record(
        "GET",
        "/v1/b2b/organizations/{organization_id}/metrics",
        app.get(&format!("{org_path}/metrics")).await,
    );
    record(
        "GET",
        "/v1/connected_apps/registration_settings",
        app.get("/v1/connected_apps/registration_settings").await,
    );
    record(
        "GET",
        "/v1/sdk/authorized_origins",
        app.get("/v1/sdk/authorized_origins").await,
    );
    let client = create_client(app, "third_party").await;
    let client_path = format!("/v1/connected_apps/clients/{}", client.id);
    record(
        "GET",
        "/v1/connected_apps/clients/{client_id}",
        app.get(&client_path).await,
    );
    record(
        "POST",
        "/v1/connected_apps/clients/search",
        app.post(
            "/v1/connected_apps/clients/search",
            serde_json::json!({"limit": 2}),
        )
        .await,
    );
    // The OAuth endpoints: a token response, introspection, and an RFC 6749 error.
    let s = subject(app).await;
    let code = code_for(app, &client, &s, None).await;
    let tokens = redeem(app, &client, &code, None).await;
    out.push(serde_json::json!({"method": "POST", "path": "/v1/oauth2/token", "status": 200, "body": tokens}));
    let mut fields = client.auth();
    fields.push((
        "token",
        tokens["access_token"].as_str().unwrap().to_string(),
    ));
    let (status, _, body) = form(app, "/v1/oauth2/introspect", &fields).await;
    out.push(serde_json::json!({"method": "POST", "path": "/v1/oauth2/introspect", "status": status.as_u16(), "body": body}));
    let (status, _, body) = form(
        app,
        "/v1/oauth2/token",
        &[("grant_type", "password".to_string())],
    )
    .await;
    out.push(serde_json::json!({"method": "POST", "path": "/v1/oauth2/token", "status": status.as_u16(), "body": body}));
    let res = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap();
    let status = res.status().as_u16();
    out.push(
        serde_json::json!({"method": "GET", "path": "/.well-known/openid-configuration",
                                "status": status, "body": res.json::<Value>().await.unwrap()}),
    );
    let res = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    let status = res.status().as_u16();
    out.push(
        serde_json::json!({"method": "GET", "path": "/readyz", "status": status,
                                "body": res.json::<Value>().await.unwrap()}),
    );
    out
}
both!(openapi_document_matches_the_router);
