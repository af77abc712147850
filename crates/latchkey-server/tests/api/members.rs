//! Members over HTTP: CRUD, lookups, roles, uniqueness, search across organizations.

use serde_json::json;

use crate::both;
use crate::helpers::{unique, TestApp};

async fn crud_round_trip(app: TestApp) {
    let org = app
        .create_org(json!({"organization_name": "Members Inc"}))
        .await;
    let org_id = org["organization_id"].as_str().unwrap();
    let slug = org["organization_slug"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/v1/b2b/organizations/{slug}/members"),
            json!({
                "email_address": "Ada.Lovelace@Example.com",
                "name": "Ada Lovelace",
                "roles": ["stytch_admin"],
                "external_id": "ada-1",
                "trusted_metadata": {"plan": "pro"},
                "untrusted_metadata": {"theme": "dark"},
                "mfa_phone_number": "+12025550123",
                "organization_id": org_id
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let member = &body["member"];
    let member_id = body["member_id"].as_str().unwrap().to_string();
    assert!(member_id.starts_with("member-test-"));
    assert_eq!(body["organization"]["organization_id"], org_id);
    assert_eq!(member["email_address"], "ada.lovelace@example.com");
    assert_eq!(member["status"], "active");
    assert_eq!(member["is_admin"], true);
    assert_eq!(member["roles"][0]["role_id"], "stytch_member");
    assert_eq!(member["roles"][1]["role_id"], "stytch_admin");
    assert_eq!(
        member["roles"][1]["sources"][0]["type"],
        "direct_assignment"
    );
    // Every field the Python SDK requires is present.
    for k in [
        "organization_id",
        "member_id",
        "email_address",
        "status",
        "name",
        "sso_registrations",
        "is_breakglass",
        "member_password_id",
        "oauth_registrations",
        "email_address_verified",
        "mfa_phone_number_verified",
        "is_admin",
        "totp_registration_id",
        "retired_email_addresses",
        "is_locked",
        "mfa_enrolled",
        "mfa_phone_number",
        "default_mfa_method",
        "roles",
    ] {
        assert!(member.get(k).is_some(), "missing {k}");
    }

    for q in [
        format!("member_id={member_id}"),
        "member_id=ada-1".into(),
        "email_address=ADA.LOVELACE%40example.com".into(),
    ] {
        let (status, body) = app
            .get(&format!("/v1/b2b/organizations/{org_id}/member?{q}"))
            .await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(body["member_id"], member_id.as_str());
    }

    let (status, body) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}/members/ada-1"),
            json!({"roles": [], "name": "Ada K", "is_breakglass": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member"]["is_admin"], false);
    assert_eq!(body["member"]["name"], "Ada K");
    assert_eq!(body["member"]["trusted_metadata"]["plan"], "pro");

    let (status, body) = app
        .get(&format!(
            "/v1/b2b/organizations/members/dangerously_get/{member_id}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization"]["organization_id"], org_id);

    let (status, body) = app
        .delete(&format!(
            "/v1/b2b/organizations/{org_id}/members/{member_id}/external_id"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["member"]["external_id"].is_null());

    let (status, body) = app
        .delete(&format!(
            "/v1/b2b/organizations/{org_id}/members/{member_id}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member_id"], member_id.as_str());
    let (status, body) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?member_id={member_id}"
        ))
        .await;
    assert_eq!(
        (status.as_u16(), body["error_type"].as_str()),
        (404, Some("member_not_found"))
    );
}
both!(crud_round_trip);

async fn uniqueness_and_validation(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "Uniq"})).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let path = format!("/v1/b2b/organizations/{org_id}/members");
    app.create_member(
        org_id,
        json!({"email_address": "dup@example.com", "external_id": "e1"}),
    )
    .await;
    let cases = [
        (
            json!({"email_address": "DUP@example.com"}),
            400,
            "duplicate_member_email",
        ),
        (
            json!({"email_address": "other@example.com", "external_id": "e1"}),
            400,
            "duplicate_member_external_id",
        ),
        (
            json!({"email_address": "not-an-email"}),
            400,
            "invalid_email",
        ),
        (json!({"name": "no email"}), 400, "missing_required_field"),
        (
            json!({"email_address": "r@example.com", "roles": ["no_such_role"]}),
            400,
            "role_not_found",
        ),
        (
            json!({"email_address": "p@example.com", "mfa_phone_number": "12345"}),
            400,
            "invalid_phone_number",
        ),
        (json!({"email_address": 42}), 400, "invalid_field_type"),
    ];
    for (body, status, kind) in cases {
        let (s, b) = app.post(&path, body.clone()).await;
        assert_eq!(
            (s.as_u16(), b["error_type"].as_str()),
            (status, Some(kind)),
            "{body}: {b}"
        );
    }
    // The same email is fine in another organization.
    let other = app.create_org(json!({"organization_name": "Other"})).await;
    app.create_member(
        other["organization_id"].as_str().unwrap(),
        json!({"email_address": "dup@example.com"}),
    )
    .await;
    // GET needs exactly one selector.
    let (s, b) = app
        .get(&format!("/v1/b2b/organizations/{org_id}/member"))
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (400, Some("bad_request"))
    );
    let (s, _) = app.get(&format!("/v1/b2b/organizations/{org_id}/member?member_id=member-test-00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(s, 404);
    // Unknown organization.
    let (s, b) = app
        .post(
            "/v1/b2b/organizations/nope-nope/members",
            json!({"email_address": "a@b.co"}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), b["error_type"].as_str()),
        (404, Some("organization_not_found"))
    );
}
both!(uniqueness_and_validation);

async fn search_across_organizations(app: TestApp) {
    let tag = unique();
    let a = app.create_org(json!({"organization_name": "A"})).await;
    let b = app.create_org(json!({"organization_name": "B"})).await;
    let (a, b) = (
        a["organization_id"].as_str().unwrap(),
        b["organization_id"].as_str().unwrap(),
    );
    for i in 0..3 {
        app.create_member(a, json!({"email_address": format!("a{i}-{tag}@x.io"), "create_member_as_pending": i == 0})).await;
        app.create_member(
            b,
            json!({"email_address": format!("b{i}-{tag}@x.io"), "is_breakglass": i == 1}),
        )
        .await;
    }
    let (s, body) = app
        .post(
            "/v1/b2b/organizations/members/search",
            json!({"organization_ids": [a, b], "limit": 4}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["results_metadata"]["total"], 6);
    assert_eq!(body["members"].as_array().unwrap().len(), 4);
    assert!(body["organizations"][a].is_object() && body["organizations"][b].is_object());
    let cursor = body["results_metadata"]["next_cursor"].as_str().unwrap();
    let (_, body) = app
        .post(
            "/v1/b2b/organizations/members/search",
            json!({"organization_ids": [a, b], "limit": 4, "cursor": cursor}),
        )
        .await;
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
    assert!(body["results_metadata"]["next_cursor"].is_null());

    let count = |operands: serde_json::Value| {
        let app = &app;
        async move {
            let (s, body) = app
                .post("/v1/b2b/organizations/members/search", json!({"organization_ids": [a, b], "query": {"operator": "AND", "operands": operands}}))
                .await;
            assert_eq!(s, 200, "{body}");
            body["members"].as_array().unwrap().len()
        }
    };
    assert_eq!(
        count(json!([{"filter_name": "statuses", "filter_value": ["pending"]}])).await,
        1
    );
    assert_eq!(
        count(json!([{"filter_name": "member_is_breakglass", "filter_value": true}])).await,
        1
    );
    assert_eq!(
        count(json!([{"filter_name": "member_email_fuzzy", "filter_value": format!("B1-{tag}")}]))
            .await,
        1
    );
    assert_eq!(
        count(
            json!([{"filter_name": "member_emails", "filter_value": [format!("a2-{tag}@x.io")]}])
        )
        .await,
        1
    );

    let (s, body) = app
        .post("/v1/b2b/organizations/members/search", json!({}))
        .await;
    assert_eq!(
        (s.as_u16(), body["error_type"].as_str()),
        (400, Some("missing_required_field"))
    );
}
both!(search_across_organizations);

async fn org_delete_removes_members(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "Gone"})).await;
    let id = org["organization_id"].as_str().unwrap();
    let m = app
        .create_member(id, json!({"email_address": "x@gone.io"}))
        .await;
    app.delete(&format!("/v1/b2b/organizations/{id}")).await;
    let (s, _) = app
        .get(&format!(
            "/v1/b2b/organizations/members/dangerously_get/{}",
            m["member_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 404);
}
both!(org_delete_removes_members);

async fn reactivate(app: TestApp) {
    let org = app.create_org(json!({"organization_name": "React"})).await;
    let id = org["organization_id"].as_str().unwrap();
    let m = app
        .create_member(
            id,
            json!({"email_address": "p@r.io", "create_member_as_pending": true}),
        )
        .await;
    assert_eq!(m["status"], "pending");
    let (s, body) = app
        .put(
            &format!(
                "/v1/b2b/organizations/{id}/members/{}/reactivate",
                m["member_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["member"]["status"], "active");
}
both!(reactivate);
