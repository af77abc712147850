//! Organizations over HTTP: CRUD, lookups by slug and external id, uniqueness, search.

use serde_json::json;

use crate::both;
use crate::helpers::{unique, TestApp};

async fn crud_round_trip(app: TestApp) {
    let slug = format!("acme-{}", unique());
    let org = app
        .create_org(json!({
            "organization_name": "Acme Inc",
            "organization_slug": slug,
            "organization_external_id": format!("ext-{slug}"),
            "trusted_metadata": {"tier": "gold", "n": 3},
            "email_allowed_domains": ["Acme.com"],
            "third_party_connected_apps_allowed_type": "RESTRICTED",
            "allowed_third_party_connected_apps": ["connected-app-test-1"],
            "unknown_field_is_ignored": true
        }))
        .await;
    let id = org["organization_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("organization-test-"));
    assert_eq!(org["organization_slug"], slug.as_str());
    assert_eq!(org["trusted_metadata"], json!({"tier": "gold", "n": 3}));
    assert_eq!(org["email_allowed_domains"], json!(["acme.com"]));
    assert_eq!(
        org["email_invites"], "NOT_ALLOWED",
        "auth settings given: invites default off"
    );
    assert_eq!(org["third_party_connected_apps_allowed_type"], "RESTRICTED");

    // The same organization by id, slug and external id.
    for key in [id.clone(), slug.clone(), format!("ext-{slug}")] {
        let (status, body) = app.get(&format!("/v1/b2b/organizations/{key}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["organization"]["organization_id"], id.as_str());
    }

    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{slug}"),
            json!({"organization_name": "Acme Corp", "mfa_policy": "REQUIRED_FOR_ALL", "organization_id": id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization"]["organization_name"], "Acme Corp");
    assert_eq!(body["organization"]["mfa_policy"], "REQUIRED_FOR_ALL");
    assert_eq!(
        body["organization"]["trusted_metadata"]["tier"], "gold",
        "untouched fields stay"
    );

    let (status, body) = app
        .delete(&format!("/v1/b2b/organizations/{id}/external_id"))
        .await;
    assert_eq!(status, 200);
    assert!(body["organization"]["organization_external_id"].is_null());

    let (status, body) = app.delete(&format!("/v1/b2b/organizations/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization_id"], id.as_str());
    let (status, body) = app.get(&format!("/v1/b2b/organizations/{id}")).await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (404, Some("organization_not_found"))
    );
}
both!(crud_round_trip);

async fn uniqueness(app: TestApp) {
    let slug = format!("uniq-{}", unique());
    app.create_org(json!({"organization_name": "One", "organization_slug": slug, "organization_external_id": format!("x{slug}")})).await;
    let (status, body) = app
        .post(
            "/v1/b2b/organizations",
            json!({"organization_name": "Two", "organization_slug": slug}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("organization_slug_already_used"))
    );
    let (status, body) = app
        .post(
            "/v1/b2b/organizations",
            json!({"organization_name": "Two", "organization_external_id": format!("x{slug}")}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("organization_external_id_already_used"))
    );
    // Updating into a taken slug fails the same way and changes nothing.
    let other = app.create_org(json!({"organization_name": "Three"})).await;
    let other_id = other["organization_id"].as_str().unwrap();
    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{other_id}"),
            json!({"organization_slug": slug}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (400, Some("organization_slug_already_used"))
    );
    // A slug derived from the name gets a suffix when the plain one is taken.
    let a = app
        .create_org(json!({"organization_name": format!("Same {slug}")}))
        .await;
    let b = app
        .create_org(json!({"organization_name": format!("Same {slug}")}))
        .await;
    assert_ne!(a["organization_slug"], b["organization_slug"]);
    assert!(b["organization_slug"]
        .as_str()
        .unwrap()
        .starts_with(a["organization_slug"].as_str().unwrap()));
}
both!(uniqueness);

async fn search_and_paginate(app: TestApp) {
    let tag = unique();
    let mut ids = vec![];
    for i in 0..5 {
        let org = app
            .create_org(json!({
                "organization_name": format!("Search {tag} {i}"),
                "organization_slug": format!("s-{tag}-{i}"),
                "claimed_email_domains": [format!("d{i}-{tag}.com")]
            }))
            .await;
        ids.push(org["organization_id"].as_str().unwrap().to_string());
    }
    app.create_member(
        &ids[2],
        json!({"email_address": format!("someone@{tag}.io")}),
    )
    .await;
    let search = |operands: serde_json::Value, limit: i64, cursor: Option<String>| {
        let mut body = json!({"limit": limit, "query": {"operator": "AND", "operands": operands}});
        if let Some(c) = cursor {
            body["cursor"] = json!(c);
        }
        body
    };
    // Fuzzy name, paged two at a time.
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let (status, body) = app
            .post("/v1/b2b/organizations/search", search(json!([{"filter_name": "organization_name_fuzzy", "filter_value": tag.to_uppercase()}]), 2, cursor.clone()))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["results_metadata"]["total"], 5);
        for o in body["organizations"].as_array().unwrap() {
            seen.push(o["organization_id"].as_str().unwrap().to_string());
        }
        match body["results_metadata"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every match once, in creation order");

    let cases = [
        (
            json!([{"filter_name": "organization_slugs", "filter_value": [format!("s-{tag}-1"), format!("s-{tag}-3")]}]),
            vec![1, 3],
        ),
        (
            json!([{"filter_name": "organization_ids", "filter_value": [ids[4].clone()]}]),
            vec![4],
        ),
        (
            json!([{"filter_name": "claimed_email_domains", "filter_value": [format!("D0-{tag}.COM")]}]),
            vec![0],
        ),
        (
            json!([{"filter_name": "member_emails", "filter_value": [format!("someone@{tag}.io")]}]),
            vec![2],
        ),
        (
            json!([{"filter_name": "member_email_fuzzy", "filter_value": format!("@{tag}")}]),
            vec![2],
        ),
        (
            json!([{"filter_name": "organization_slug_fuzzy", "filter_value": format!("{tag}-4")}, {"filter_name": "has_active_sso_connection", "filter_value": false}]),
            vec![4],
        ),
        (
            json!([{"filter_name": "organization_name_fuzzy", "filter_value": tag}, {"filter_name": "has_active_sso_connection", "filter_value": true}]),
            vec![],
        ),
        // LIKE wildcards in input are literal.
        (
            json!([{"filter_name": "organization_name_fuzzy", "filter_value": format!("{tag}%")}]),
            vec![],
        ),
    ];
    for (operands, want) in cases {
        let (status, body) = app
            .post(
                "/v1/b2b/organizations/search",
                search(operands.clone(), 100, None),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let got: Vec<String> = body["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["organization_id"].as_str().unwrap().to_string())
            .collect();
        let want: Vec<String> = want.iter().map(|i: &usize| ids[*i].clone()).collect();
        assert_eq!(got, want, "{operands}");
    }
    // OR of two slugs.
    let (_, body) = app
        .post(
            "/v1/b2b/organizations/search",
            json!({"query": {"operator": "OR", "operands": [
                {"filter_name": "organization_slugs", "filter_value": [format!("s-{tag}-0")]},
                {"filter_name": "organization_slugs", "filter_value": [format!("s-{tag}-1")]}
            ]}}),
        )
        .await;
    assert_eq!(body["results_metadata"]["total"], 2);
}
both!(search_and_paginate);

async fn metrics_count_members(app: TestApp) {
    let org = app
        .create_org(json!({"organization_name": "Metrics"}))
        .await;
    let id = org["organization_id"].as_str().unwrap();
    for i in 0..3 {
        app.create_member(id, json!({"email_address": format!("m{i}@metrics.test")}))
            .await;
    }
    let (status, body) = app
        .get(&format!("/v1/b2b/organizations/{id}/metrics"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["member_count"], 3);
}
both!(metrics_count_members);

async fn projects_are_isolated(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "Mine"})).await;
    let id = org["organization_id"].as_str().unwrap();
    let (other, secret) = latchkey_server::cli::new_project(
        app.state.store.as_ref(),
        "other",
        latchkey_core::ids::Environment::Test,
        &latchkey_core::clock::SystemClock,
        &latchkey_core::clock::OsTokens,
    )
    .await
    .unwrap();
    let resp = app
        .client
        .get(format!("{}/v1/b2b/organizations/{id}", app.base))
        .basic_auth(&other.project_id, Some(secret.expose_secret()))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(resp).await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (404, Some("organization_not_found"))
    );
}
both!(projects_are_isolated);
