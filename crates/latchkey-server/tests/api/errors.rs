//! Bad input gets a clear Stytch error, never a 500, a panic or a non-JSON body.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{read, TestApp};

async fn authentication_failures(app: TestApp) {
    let url = format!("{}/v1/b2b/organizations/search", app.base);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("bearer", Some("Bearer abc".into())),
        ("bad base64", Some("Basic %%%".into())),
        ("no colon", Some(format!("Basic {}", b64(&app.project_id)))),
        (
            "wrong secret",
            Some(format!(
                "Basic {}",
                b64(&format!("{}:secret-test-wrong", app.project_id))
            )),
        ),
        (
            "unknown project",
            Some(format!(
                "Basic {}",
                b64(&format!(
                    "project-test-00000000-0000-0000-0000-000000000000:{}",
                    app.secret
                ))
            )),
        ),
        ("empty", Some(format!("Basic {}", b64(":")))),
    ];
    for (what, header) in cases {
        let mut req = app.client.post(&url).json(&json!({}));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.unwrap();
        // No Basic challenge: a browser must never be made to cache project credentials (#19).
        assert!(!resp.headers().contains_key("www-authenticate"), "{what}");
        let (status, body) = read(resp).await;
        assert_eq!(
            (status.as_u16(), body["error_type"].as_str()),
            (401, Some("unauthorized_credentials")),
            "{what}"
        );
        assert_eq!(body["error_message"], "Unauthorized credentials.");
    }
}
both!(authentication_failures);

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn malformed_bodies(app: TestApp) {
    let send_raw = |body: &'static str| {
        let app = &app;
        async move {
            let resp = app
                .client
                .post(format!("{}/v1/b2b/organizations", app.base))
                .basic_auth(&app.project_id, Some(&app.secret))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            read(resp).await
        }
    };
    let cases = [
        ("{", "invalid_json"),
        ("[1,2]", "invalid_field_type"),
        ("{\"organization_name\": 5}", "invalid_field_type"),
        (
            "{\"organization_name\": \"x\", \"email_allowed_domains\": \"a.com\"}",
            "invalid_field_type",
        ),
        ("\"just a string\"", "invalid_field_type"),
        ("{}", "missing_required_field"),
        (
            "{\"organization_name\": \"x\", \"sso_jit_provisioning\": \"SOMETIMES\"}",
            "bad_request",
        ),
        (
            "{\"organization_name\": \"x\", \"organization_slug\": \"no spaces allowed\"}",
            "invalid_organization_slug",
        ),
        (
            "{\"organization_name\": \"x\", \"organization_logo_url\": \"javascript:alert(1)\"}",
            "bad_request",
        ),
    ];
    for (body, kind) in cases {
        let (status, json) = send_raw(body).await;
        assert_eq!(
            (status.as_u16(), json["error_type"].as_str()),
            (400, Some(kind)),
            "{body}: {json}"
        );
        assert!(!json["error_message"].as_str().unwrap().is_empty());
    }
    // Oversized body: 413 in the envelope.
    let big = json!({"organization_name": "x", "trusted_metadata": {"blob": "a".repeat(2 * 1024 * 1024)}});
    let (status, json) = app.post("/v1/b2b/organizations", big).await;
    assert_eq!(
        (status.as_u16(), json["error_type"].as_str()),
        (413, Some("request_too_large"))
    );
}
both!(malformed_bodies);

async fn routing_errors(app: TestApp) {
    let (s, b) = app.get("/v1/b2b/nope").await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (404, Some("route_not_found"))
    );
    let (s, b) = app
        .call(Method::PATCH, "/v1/b2b/organizations/x", Some(json!({})))
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (s, b) = app
        .post("/v1/b2b/organizations/search", json!({"limit": 5000}))
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (400, Some("invalid_limit"))
    );
    let (s, b) = app
        .post(
            "/v1/b2b/organizations/search",
            json!({"cursor": "not-a-cursor"}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (400, Some("invalid_cursor"))
    );
    let (s, b) = app
        .post("/v1/b2b/organizations/search", json!({"query": {"operator": "AND", "operands": [{"filter_name": "bogus", "filter_value": []}]}}))
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (400, Some("invalid_search_query"))
    );
    // Python SDK: DELETE with `Content-Type: application/json` and an empty body.
    let org = app.create_org(json!({"organization_name": "Del"})).await;
    let resp = app
        .client
        .delete(format!(
            "{}/v1/b2b/organizations/{}",
            app.base,
            org["organization_id"].as_str().unwrap()
        ))
        .basic_auth(&app.project_id, Some(&app.secret))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (s, b) = read(resp).await;
    assert_eq!(s, 200, "{b}");
}
both!(routing_errors);

/// Every endpoint, fed assorted junk: any 4xx is fine, a 5xx never is (read() also checks the
/// envelope of each answer).
async fn junk_never_500s(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "Junk"})).await;
    let o = org["organization_id"].as_str().unwrap().to_string();
    let m = app
        .create_member(&o, json!({"email_address": "junk@j.io"}))
        .await;
    let m = m["member_id"].as_str().unwrap().to_string();
    let endpoints = [
        (Method::POST, "/v1/b2b/organizations".to_string()),
        (Method::PUT, format!("/v1/b2b/organizations/{o}")),
        (Method::POST, "/v1/b2b/organizations/search".into()),
        (Method::POST, format!("/v1/b2b/organizations/{o}/members")),
        (
            Method::PUT,
            format!("/v1/b2b/organizations/{o}/members/{m}"),
        ),
        (Method::POST, "/v1/b2b/organizations/members/search".into()),
        (
            Method::GET,
            format!("/v1/b2b/organizations/{o}/member?member_id=%00%ff"),
        ),
        (Method::GET, "/v1/b2b/organizations/%E2%80%AE%00".into()),
    ];
    let junk: Vec<Value> = vec![
        json!(null),
        json!(true),
        json!(-1),
        json!([]),
        json!({"organization_name": null}),
        json!({"organization_name": "\u{0000}"}),
        json!({"organization_name": "x".repeat(10_000)}),
        json!({"email_address": "a@b.co", "roles": [1, 2]}),
        json!({"email_address": "\u{202e}@x.io"}),
        json!({"query": {"operator": "AND", "operands": [{"filter_name": "organization_ids", "filter_value": [null]}]}}),
        json!({"query": {"operator": null, "operands": null}}),
        json!({"limit": -5, "cursor": 7}),
        json!({"organization_ids": vec!["x"; 2000]}),
        json!({"trusted_metadata": [1]}),
        json!({"organization_slug": "", "organization_external_id": "ü"}),
        json!({"mfa_phone_number": "+1".repeat(50)}),
    ];
    for (method, path) in &endpoints {
        for body in &junk {
            let (status, json) = app.call(method.clone(), path, Some(body.clone())).await;
            assert!(
                status.as_u16() < 500,
                "{method} {path} {body} -> {status} {json}"
            );
        }
    }
}
both!(junk_never_500s);
