//! The OpenAPI document (issue 15 item 3): `GET /openapi.json` lists exactly the routes this
//! crate registers (every `.route(...)` under `src/`, read from the source, compared both ways,
//! and each documented operation answered by a handler, not the router's fallback), and
//! `openapi-spec-validator` (PyPI, installed by scripts/setup-interop.sh) accepts it as OpenAPI 3.1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::both;
use crate::helpers::{repo_root, TestApp};

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

    // openapi-spec-validator (PyPI) checks the document against the OpenAPI 3.1 schema.
    let validator = repo_root().join("interop/python/.venv/bin/openapi-spec-validator");
    assert!(
        validator.exists(),
        "openapi-spec-validator is not installed: run scripts/setup-interop.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new(validator)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
both!(openapi_document_matches_the_router);
