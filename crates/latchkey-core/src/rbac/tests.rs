use latchkey_types::CustomRole;
use serde_json::{json, Value};

use super::*;

fn parse(doc: Value) -> Result<RbacPolicy, Vec<PolicyError>> {
    let p = parse_policy_document(&doc)?;
    validate_policy(&p)
}

fn errors(doc: Value) -> Vec<(String, &'static str)> {
    match parse(doc) {
        Ok(p) => panic!("expected errors, got {p:?}"),
        Err(e) => e.into_iter().map(|e| (e.path, e.error_type)).collect(),
    }
}

fn one_error(doc: Value) -> (String, &'static str) {
    let e = errors(doc);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

fn sample() -> Value {
    json!({
        "resources": [{"resource_id": "documents", "description": "Docs", "actions": ["read", "write", "delete"]}],
        "roles": [
            {"role_id": "editor", "description": "Edits", "permissions": [{"resource_id": "documents", "actions": ["read", "write"]}]},
            {"role_id": "viewer", "permissions": [{"resource_id": "documents", "actions": ["read"]}]},
            {"role_id": "stytch_member", "permissions": [{"resource_id": "documents", "actions": ["read"]}]}
        ],
        "scopes": [
            {"scope": "read:documents", "description": "Read", "permissions": [{"resource_id": "documents", "actions": ["read"]}]},
            {"scope": "write:documents", "permissions": [{"resource_id": "documents", "actions": ["*"]}]}
        ]
    })
}

fn with(mut doc: Value, pointer: &str, v: Value) -> Value {
    *doc.pointer_mut(pointer).unwrap() = v;
    doc
}

#[test]
fn sample_is_valid_and_merges_with_defaults() {
    let custom = parse(sample()).unwrap();
    let eff = effective_policy(Some(&custom));
    let ids: Vec<_> = eff.roles.iter().map(|r| r.role_id.as_str()).collect();
    assert_eq!(ids, ["stytch_member", "stytch_admin", "editor", "viewer"]);
    assert_eq!(eff.resources.len(), 6);
    assert!(eff.resources[..5]
        .iter()
        .all(|r| r.resource_id.starts_with("stytch.")));
    assert_eq!(eff.scopes.len(), 2);
    let member = &eff.roles[0];
    assert!(member.description.starts_with("Granted to all Members"));
    assert_eq!(
        member.permissions.len(),
        2,
        "stytch.self * plus documents read"
    );
    assert_eq!(member.permissions[1].actions, ["read"]);
    // Everyone may read documents now; only editors write.
    assert!(eff
        .member_permissions::<&str>(&[])
        .allows("documents", "read"));
    assert!(!eff
        .member_permissions::<&str>(&[])
        .allows("documents", "write"));
    assert!(eff
        .member_permissions(&["editor"])
        .allows("documents", "write"));
}

#[test]
fn defaults_alone_and_served_policy_round_trips() {
    assert_eq!(effective_policy(None), default_policy());
    let eff = effective_policy(Some(&parse(sample()).unwrap()));
    // The body of GET /v1/b2b/rbac/policy can be set back unchanged.
    let served = json!({"policy": eff, "request_id": "r", "status_code": 200});
    let again = parse(served).unwrap();
    assert!(again
        .resources
        .iter()
        .all(|r| !r.resource_id.starts_with("stytch")));
    assert_eq!(effective_policy(Some(&again)), eff);
}

#[test]
fn admin_additions_collapse_into_wildcard() {
    let doc = json!({"roles": [{"role_id": "stytch_admin", "permissions": [{"resource_id": "stytch.member", "actions": ["create"]}, {"resource_id": "stytch.self", "actions": ["delete"]}]}]});
    let eff = effective_policy(Some(&parse(doc).unwrap()));
    let admin = &eff.roles[1];
    let member = admin
        .permissions
        .iter()
        .find(|p| p.resource_id == "stytch.member")
        .unwrap();
    assert_eq!(member.actions, ["*"]);
    assert!(admin
        .permissions
        .iter()
        .any(|p| p.resource_id == "stytch.self" && p.actions == ["delete"]));
}

#[test]
fn shape_errors_have_paths() {
    let e =
        errors(json!({"roles": [{"role_id": "x", "permisions": []}], "resources": {}, "extra": 1}));
    assert!(e.contains(&("extra".into(), "bad_request")), "{e:?}");
    assert!(
        e.contains(&("roles[0].permisions".into(), "bad_request")),
        "{e:?}"
    );
    assert!(
        e.contains(&("resources".into(), "invalid_field_type")),
        "{e:?}"
    );
    let e = errors(json!({"resources": [{"actions": ["a", 3]}]}));
    assert!(
        e.contains(&("resources[0].resource_id".into(), "missing_required_field")),
        "{e:?}"
    );
    assert!(
        e.contains(&("resources[0].actions[1]".into(), "invalid_field_type")),
        "{e:?}"
    );
    assert_eq!(errors(json!([1]))[0].1, "invalid_field_type");
    assert_eq!(parse(json!({})).unwrap(), RbacPolicy::default());
}

#[test]
fn resource_rules() {
    let r = |v: Value| one_error(with(sample(), "/resources/0", v));
    let ok = |id: &str, actions: Value| json!({"resource_id": id, "actions": actions});
    // Renaming the resource also breaks the permissions naming it: the first error is the id's.
    let first = |v: Value| errors(with(sample(), "/resources/0", v)).remove(0);
    assert_eq!(first(ok("", json!(["read"]))).1, "empty_rbac_resource_id");
    assert_eq!(
        first(ok("stytch.documents", json!(["read"]))),
        ("resources[0]".into(), "invalid_stytch_prefixed_resource")
    );
    assert_eq!(
        first(ok(&"d".repeat(129), json!(["read"]))).1,
        "rbac_resource_id_too_long"
    );
    let e = errors(with(sample(), "/resources/0/actions", json!([])));
    assert!(
        e.contains(&(
            "resources[0].actions".into(),
            "rbac_resource_missing_actions"
        )),
        "{e:?}"
    );
    assert_eq!(
        r(ok("documents", json!(["read", "write", "delete", "read"]))),
        ("resources[0].actions[3]".into(), "rbac_action_duplicate")
    );
    assert_eq!(
        r(ok("documents", json!(["read", "write", "delete", "*"]))).1,
        "invalid_wildcard_action"
    );
    assert_eq!(
        r(ok("documents", json!(["read", "write", "delete", ""]))).1,
        "invalid_permission_action"
    );
    assert_eq!(
        r(ok(
            "documents",
            json!(["read", "write", "delete", "a".repeat(129)])
        ))
        .1,
        "rbac_action_too_long"
    );
    let long = json!({"resource_id": "documents", "description": "x".repeat(1025), "actions": ["read", "write", "delete"]});
    assert_eq!(
        r(long),
        (
            "resources[0].description".into(),
            "rbac_description_too_long"
        )
    );
    let dup = with(
        sample(),
        "/resources",
        json!([
            ok("documents", json!(["read", "write", "delete"])),
            ok("documents", json!(["read"]))
        ]),
    );
    assert_eq!(
        one_error(dup),
        ("resources[1]".into(), "rbac_resource_duplicate")
    );
    // A changed copy of a Stytch default resource is an error, not a silent override.
    let changed = with(
        sample(),
        "/resources/0",
        ok("stytch.member", json!(["create"])),
    );
    let e = errors(changed);
    assert!(
        e.contains(&("resources[0]".into(), "invalid_stytch_prefixed_resource")),
        "{e:?}"
    );
}

#[test]
fn role_rules() {
    let role = |v: Value| one_error(with(sample(), "/roles/0", v));
    let perms = json!([{"resource_id": "documents", "actions": ["read"]}]);
    assert_eq!(
        role(json!({"role_id": "", "permissions": perms})).1,
        "empty_rbac_role_id"
    );
    assert_eq!(
        role(json!({"role_id": "viewer", "permissions": perms})),
        ("roles[1]".into(), "rbac_role_duplicate")
    );
    assert_eq!(
        role(json!({"role_id": "stytch_owner", "permissions": perms})).1,
        "invalid_rbac_custom_role"
    );
    assert_eq!(
        role(json!({"role_id": "r".repeat(129), "permissions": perms})).1,
        "rbac_role_id_too_long"
    );
    assert_eq!(
        role(json!({"role_id": "editor", "permissions": []})),
        (
            "roles[0].permissions".into(),
            "rbac_role_missing_permissions"
        )
    );
    let edit = json!({"role_id": "stytch_admin", "description": "mine", "permissions": []});
    assert_eq!(
        role(edit),
        (
            "roles[0].description".into(),
            "invalid_rbac_stytch_role_edit"
        )
    );
    // Default roles may be listed without permissions.
    assert!(parse(json!({"roles": [{"role_id": "stytch_admin"}]})).is_ok());
}

#[test]
fn permission_rules() {
    let p = |v: Value| one_error(with(sample(), "/roles/0/permissions", v));
    assert_eq!(
        p(json!([{"resource_id": "images", "actions": ["read"]}])),
        (
            "roles[0].permissions[0].resource_id".into(),
            "invalid_permission_resource"
        )
    );
    assert_eq!(
        p(json!([{"resource_id": "documents", "actions": ["publish"]}])),
        (
            "roles[0].permissions[0].actions[0]".into(),
            "invalid_permission_action"
        )
    );
    assert_eq!(
        p(json!([{"resource_id": "documents", "actions": ["*", "read"]}])),
        (
            "roles[0].permissions[0].actions".into(),
            "cannot_specify_wildcard_with_other_actions"
        )
    );
    assert_eq!(
        p(json!([{"resource_id": "documents", "actions": ["read*"]}])).1,
        "invalid_wildcard_action"
    );
    assert_eq!(
        p(json!([{"resource_id": "documents", "actions": []}])).1,
        "rbac_permission_missing_actions"
    );
    assert_eq!(
        p(json!([{"resource_id": "documents", "actions": ["read", "read"]}])).1,
        "rbac_action_duplicate"
    );
    let twice = json!([{"resource_id": "documents", "actions": ["read"]}, {"resource_id": "documents", "actions": ["write"]}]);
    assert_eq!(
        p(twice),
        (
            "roles[0].permissions[1].resource_id".into(),
            "invalid_permission_resource"
        )
    );
    // Default resources and their actions may be used.
    assert!(parse(with(
        sample(),
        "/roles/0/permissions",
        json!([{"resource_id": "stytch.member", "actions": ["search"]}])
    ))
    .is_ok());
    // Messages say what to do.
    let e = parse(with(
        sample(),
        "/roles/0/permissions",
        json!([{"resource_id": "documents", "actions": ["publish"]}]),
    ))
    .unwrap_err();
    assert!(e[0].message.contains("read, write, delete"), "{}", e[0]);
    let api: ApiError = e[0].clone().into();
    assert_eq!(
        (api.status, api.error_type.as_ref()),
        (400, "invalid_permission_action")
    );
    assert!(api
        .message
        .starts_with("roles[0].permissions[0].actions[0]: "));
}

#[test]
fn scope_rules() {
    let s = |name: &str| one_error(with(sample(), "/scopes/0/scope", json!(name)));
    assert_eq!(s(""), ("scopes[0]".into(), "empty_rbac_scope"));
    assert_eq!(s("read documents").1, "invalid_rbac_scope");
    assert_eq!(s("read\"x").1, "invalid_rbac_scope");
    assert_eq!(s("openid").1, "rbac_reserved_scope");
    assert_eq!(s("full_access").1, "rbac_reserved_scope");
    assert_eq!(s(&"s".repeat(129)).1, "rbac_scope_too_long");
    assert_eq!(
        s("write:documents"),
        ("scopes[1]".into(), "rbac_scope_duplicate")
    );
    let none = with(sample(), "/scopes/0/permissions", json!([]));
    assert_eq!(
        one_error(none),
        (
            "scopes[0].permissions".into(),
            "rbac_scope_missing_permissions"
        )
    );
    let bad = with(
        sample(),
        "/scopes/0/permissions",
        json!([{"resource_id": "nope", "actions": ["*"]}]),
    );
    assert_eq!(one_error(bad).1, "invalid_permission_resource");
}

#[test]
fn all_errors_reported_at_once() {
    let doc = json!({
        "resources": [{"resource_id": "stytch.x", "actions": []}],
        "roles": [{"role_id": "", "permissions": [{"resource_id": "nope", "actions": ["a"]}]}],
        "scopes": [{"scope": "email", "permissions": []}]
    });
    assert!(errors(doc).len() >= 5);
}

fn check(org: &str, resource: &str, action: &str) -> AuthorizationCheck {
    AuthorizationCheck {
        organization_id: org.into(),
        resource_id: resource.into(),
        action: action.into(),
    }
}

fn eff() -> RbacPolicy {
    effective_policy(Some(&parse(sample()).unwrap()))
}

#[test]
fn authorize_tenancy_and_denial() {
    let p = eff();
    let e = authorize(
        &p,
        &[],
        &["editor"],
        "org-a",
        &check("org-b", "documents", "read"),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.error_type.as_ref()),
        (403, "session_authorization_tenancy_error")
    );
    let e = authorize(
        &p,
        &[],
        &["viewer"],
        "org-a",
        &check("org-a", "documents", "write"),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.error_type.as_ref()),
        (403, "session_authorization_error")
    );
    let e = authorize(
        &p,
        &[],
        &["editor"],
        "org-a",
        &check("org-a", "unknown", "read"),
    )
    .unwrap_err();
    assert_eq!(e.error_type, "session_authorization_error");
}

#[test]
fn authorize_granting_roles() {
    let p = eff();
    let v = authorize(
        &p,
        &[],
        &["stytch_member", "viewer", "editor"],
        "o",
        &check("o", "documents", "read"),
    )
    .unwrap();
    assert_eq!(
        v,
        Verdict {
            authorized: true,
            granting_roles: vec!["stytch_member".into(), "viewer".into(), "editor".into()]
        }
    );
    let v = authorize(&p, &[], &["editor"], "o", &check("o", "documents", "write")).unwrap();
    assert_eq!(v.granting_roles, ["editor"]);
    // stytch_member is implicit; its `*` on stytch.self grants every self action.
    let v = authorize::<&str>(
        &p,
        &[],
        &[],
        "o",
        &check("o", "stytch.self", "revoke-sessions"),
    )
    .unwrap();
    assert_eq!(v.granting_roles, ["stytch_member"]);
    // Unknown role ids grant nothing.
    assert!(authorize(&p, &[], &["ghost"], "o", &check("o", "documents", "write")).is_err());
}

#[test]
fn authorize_wildcard_semantics() {
    let p = eff();
    // Admin holds `*` on stytch.member: any action, including `*` itself.
    for action in ["search", "anything", "*"] {
        assert!(
            authorize(
                &p,
                &[],
                &["stytch_admin"],
                "o",
                &check("o", "stytch.member", action)
            )
            .is_ok(),
            "{action}"
        );
    }
    // Editor holds read+write, not `*`: a check for `*` fails.
    assert!(authorize(&p, &[], &["editor"], "o", &check("o", "documents", "*")).is_err());
}

#[test]
fn authorize_counts_org_custom_roles() {
    let p = eff();
    let org_roles = vec![CustomRole {
        role_id: "deleter".into(),
        description: String::new(),
        permissions: vec![latchkey_types::Permission {
            resource_id: "documents".into(),
            actions: vec!["delete".into()],
        }],
    }];
    let c = check("o", "documents", "delete");
    assert!(authorize(&p, &[], &["deleter"], "o", &c).is_err());
    let v = authorize(&p, &org_roles, &["editor", "deleter"], "o", &c).unwrap();
    assert_eq!(v.granting_roles, ["deleter"]);
}

#[test]
fn org_roles_rules() {
    let p = eff();
    let role = |id: &str, perms: Value| {
        serde_json::from_value::<Role>(json!({"role_id": id, "permissions": perms})).unwrap()
    };
    let read = json!([{"resource_id": "documents", "actions": ["read"]}]);
    assert!(validate_org_roles(&p, &[role("auditor", read.clone())]).is_ok());
    let kinds = |roles: &[Role]| {
        validate_org_roles(&p, roles)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.path, e.error_type))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&[role("editor", read.clone())]),
        [("org_policy.roles[0]".into(), "rbac_role_duplicate")]
    );
    assert_eq!(
        kinds(&[role("a", read.clone()), role("a", read.clone())]),
        [("org_policy.roles[1]".into(), "rbac_role_duplicate")]
    );
    assert_eq!(
        kinds(&[role("", read.clone())]),
        [("org_policy.roles[0]".into(), "empty_rbac_role_id")]
    );
    assert_eq!(
        kinds(&[role("a", json!([]))]),
        [(
            "org_policy.roles[0].permissions".into(),
            "rbac_role_missing_permissions"
        )]
    );
    assert_eq!(
        kinds(&[role(
            "a",
            json!([{"resource_id": "documents", "actions": ["fly"]}])
        )])[0]
            .1,
        "invalid_permission_action"
    );
}
