use latchkey_types::{ResourceScope, ResourceServer, ResourceServerSettings};

use super::target::*;
use super::*;
use crate::oauth::grant::Grant;
use crate::oauth::rbac::{GrantingClient, RbacPolicy, RbacScope};
use crate::oauth::scope::ScopeSet;
use crate::oauth::{ClientType, FullAccess, OAuthErrorCode, Permission};

fn resource(url: &str, scopes: &[&str]) -> ResourceServer {
    ResourceServer {
        resource_id: format!("resource-test-{url}"),
        url: url.to_string(),
        name: "R".into(),
        scopes: scopes
            .iter()
            .map(|s| ResourceScope {
                scope: s.to_string(),
                description: format!("{s} things"),
            })
            .collect(),
        access_token_expiry_minutes: None,
        audience_includes_project_id: false,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

#[test]
fn canonical_form_rfc_9728() {
    let ok = [
        ("https://MCP.Example.COM", "https://mcp.example.com"),
        ("https://mcp.example.com/", "https://mcp.example.com"),
        (
            "HTTPS://mcp.example.com:443/mcp",
            "https://mcp.example.com/mcp",
        ),
        (
            "https://mcp.example.com/mcp/",
            "https://mcp.example.com/mcp/",
        ),
        (
            "https://mcp.example.com:8443/a",
            "https://mcp.example.com:8443/a",
        ),
        ("http://127.0.0.1:3000/mcp", "http://127.0.0.1:3000/mcp"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://[::1]:80/", "http://[::1]"),
        (
            "https://api.example.com/?v=1",
            "https://api.example.com/?v=1",
        ),
    ];
    for (raw, want) in ok {
        assert_eq!(canonical_url(raw).as_deref(), Ok(want), "{raw}");
    }
    let bad = [
        ("/relative", ResourceUrlError::NotAbsolute),
        ("not a uri", ResourceUrlError::NotAbsolute),
        ("urn:example:thing", ResourceUrlError::NotAbsolute),
        ("https://a.example.com/#frag", ResourceUrlError::Fragment),
        ("https://a.example.com/#", ResourceUrlError::Fragment),
        ("https://user:pw@a.example.com", ResourceUrlError::UserInfo),
        ("http://api.example.com", ResourceUrlError::Scheme),
        ("ftp://api.example.com", ResourceUrlError::Scheme),
    ];
    for (raw, want) in bad {
        assert_eq!(canonical_url(raw), Err(want), "{raw}");
    }
    assert_eq!(
        canonical_url(&format!("https://a.com/{}", "x".repeat(3000))),
        Err(ResourceUrlError::TooLong)
    );
}

#[test]
fn create_and_update_validate() {
    let req = |v: serde_json::Value| serde_json::from_value::<ResourceServerSettings>(v).unwrap();
    let r = create(
        "resource-test-1".into(),
        &req(serde_json::json!({"url": "https://MCP.example.com/", "name": " Docs ",
            "scopes": [{"scope": "read", "description": "Read"}], "access_token_expiry_minutes": 5})),
        "now",
    )
    .unwrap();
    assert_eq!(r.url, "https://mcp.example.com");
    assert_eq!(r.name, "Docs");
    assert_eq!(r.access_token_expiry_minutes, Some(5));
    for (body, t) in [
        (serde_json::json!({"name": "x"}), "missing_required_field"),
        (
            serde_json::json!({"url": "https://a.com"}),
            "missing_required_field",
        ),
        (
            serde_json::json!({"url": "http://a.com", "name": "x"}),
            "invalid_resource_url",
        ),
        (
            serde_json::json!({"url": "https://a.com", "name": "x", "scopes": [{"scope": "openid"}]}),
            "invalid_resource_scope",
        ),
        (
            serde_json::json!({"url": "https://a.com", "name": "x", "scopes": [{"scope": "a b"}]}),
            "invalid_resource_scope",
        ),
        (
            serde_json::json!({"url": "https://a.com", "name": "x", "scopes": [{"scope": "a"}, {"scope": "a"}]}),
            "invalid_resource_scope",
        ),
        (
            serde_json::json!({"url": "https://a.com", "name": "x", "access_token_expiry_minutes": -1}),
            "invalid_resource_access_token_expiry_minutes",
        ),
    ] {
        assert_eq!(
            create("id".into(), &req(body.clone()), "now")
                .unwrap_err()
                .error_type,
            t,
            "{body}"
        );
    }
    let mut r = r;
    update(&mut r, &req(serde_json::json!({"access_token_expiry_minutes": 0, "audience_includes_project_id": true})), "later").unwrap();
    assert_eq!(r.access_token_expiry_minutes, None);
    assert!(r.audience_includes_project_id);
    assert_eq!(r.updated_at, "later");
    assert_eq!(r.name, "Docs");
}

#[test]
fn targets_must_be_registered_once_the_project_has_any() {
    let a = resource("https://a.example.com", &["read"]);
    let b = resource("https://b.example.com/mcp", &["write"]);
    let reg = vec![a.clone(), b.clone()];
    let got = resolve_targets(
        &[
            "https://A.example.com/".into(),
            "https://b.example.com/mcp".into(),
            "https://a.example.com".into(),
        ],
        &reg,
    )
    .unwrap();
    assert_eq!(got, vec![a, b]);
    let e = resolve_targets(&["https://c.example.com".into()], &reg).unwrap_err();
    assert!(matches!(e, TargetError::Unknown(_)));
    assert_eq!(e.to_oauth().code, OAuthErrorCode::InvalidTarget);
    // Path differs: a different resource.
    assert!(resolve_targets(&["https://b.example.com/mcp/".into()], &reg).is_err());
    // No resources in the project: indicators bind nothing (Stytch's behaviour).
    assert_eq!(
        resolve_targets(&["https://c.example.com".into()], &[]).unwrap(),
        vec![]
    );
    assert!(matches!(
        resolve_targets(&["https://c.example.com#x".into()], &[]),
        Err(TargetError::Malformed(..))
    ));
}

fn policy() -> RbacPolicy {
    let mut p = crate::oauth::default_policy();
    p.scopes.push(RbacScope {
        scope: "admin:docs".into(),
        description: "Administer documents".into(),
        permissions: vec![Permission {
            resource_id: "docs".into(),
            actions: vec!["admin".into()],
        }],
    });
    p
}

fn client() -> GrantingClient {
    GrantingClient {
        client_type: ClientType::ThirdParty,
        full_access: FullAccess::NotAllowed,
    }
}

#[test]
fn scopes_are_narrowed_to_the_resources_and_say_where_they_go() {
    let p = policy();
    let perms = p.member_permissions(&["stytch_member"]);
    let a = resource("https://a.example.com", &["read", "write", "admin:docs"]);
    let b = resource("https://b.example.com", &["read"]);
    let req = ScopeSet::parse("openid read write admin:docs").unwrap();
    let res = scope_results_for(&p, &req, client(), &perms, &[a.clone(), b.clone()]).unwrap();
    let view: Vec<_> = res
        .iter()
        .map(|r| (r.scope.as_str(), r.is_grantable, r.resources.len()))
        .collect();
    assert_eq!(
        view,
        [
            ("openid", true, 0),
            ("read", true, 2),
            ("write", true, 1),
            ("admin:docs", false, 1)
        ]
    );
    assert_eq!(res[1].description, "read things");
    // A policy scope no requested resource accepts is narrowed away.
    let res = scope_results_for(
        &p,
        &ScopeSet::parse("admin:docs read").unwrap(),
        client(),
        &perms,
        std::slice::from_ref(&b),
    )
    .unwrap();
    assert!(!res[0].is_grantable && res[0].resources.is_empty());
    // A scope the requested resources do not take is narrowed away, never an error.
    let res = scope_results_for(
        &p,
        &ScopeSet::parse("delete").unwrap(),
        client(),
        &perms,
        &[b],
    )
    .unwrap();
    assert!(!res[0].is_grantable);
    // Without resources: exactly the policy's answer.
    assert_eq!(
        scope_results_for(
            &p,
            &ScopeSet::parse("openid").unwrap(),
            client(),
            &perms,
            &[]
        ),
        p.resolve_scopes(&ScopeSet::parse("openid").unwrap(), client(), &perms)
    );
}

fn grant(resources: &[&str]) -> Grant {
    Grant {
        grant_id: "g".into(),
        project_id: "project-test-1".into(),
        client_id: "c".into(),
        member_id: "m".into(),
        organization_id: "o".into(),
        member_session_id: None,
        scopes: vec!["openid".into(), "read".into(), "write".into()],
        nonce: None,
        auth_time: 0,
        resources: resources.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn token_target_binds_down_scopes_and_keeps_unbound_tokens() {
    let mut a = resource("https://a.example.com", &["read"]);
    a.access_token_expiry_minutes = Some(5);
    let mut b = resource("https://b.example.com", &["write"]);
    b.audience_includes_project_id = true;
    let reg = vec![a, b];
    let g = grant(&["https://a.example.com", "https://b.example.com"]);
    // None named: every granted resource.
    let t = token_target(&g, &[], &reg, &g.scopes).unwrap().unwrap();
    assert_eq!(
        t.audience("project-test-1"),
        [
            "https://a.example.com",
            "https://b.example.com",
            "project-test-1"
        ]
    );
    assert_eq!(t.scopes, ["openid", "read", "write"]);
    assert_eq!(t.expiry_minutes, Some(5));
    // One named: down-scoped.
    let t = token_target(&g, &["https://A.example.com/".into()], &reg, &g.scopes)
        .unwrap()
        .unwrap();
    assert_eq!(t.audience("p"), ["https://a.example.com"]);
    assert_eq!(t.scopes, ["openid", "read"]);
    // Not part of the grant.
    assert!(matches!(
        token_target(&g, &["https://c.example.com".into()], &reg, &g.scopes),
        Err(TargetError::NotGranted(_))
    ));
    // Deleted since.
    assert!(matches!(
        token_target(&g, &[], &reg[1..], &g.scopes),
        Err(TargetError::Unknown(_))
    ));
    // A grant without resources: unbound; an indicator then only passes where none exist.
    let plain = grant(&[]);
    assert_eq!(token_target(&plain, &[], &reg, &plain.scopes), Ok(None));
    assert_eq!(
        token_target(
            &plain,
            &["https://x.example.com".into()],
            &[],
            &plain.scopes
        ),
        Ok(None)
    );
    assert!(token_target(
        &plain,
        &["https://a.example.com".into()],
        &reg,
        &plain.scopes
    )
    .is_err());
}

#[test]
fn consent_is_recorded_and_checked_per_resource() {
    use super::consent::*;
    use crate::oauth::consent::{ConsentDecision, ConsentRequirement};
    let p = policy();
    let perms = p.member_permissions(&["stytch_member"]);
    let a = resource("https://a.example.com", &["read", "write"]);
    let b = resource("https://b.example.com", &["read"]);
    let res = scope_results_for(
        &p,
        &ScopeSet::parse("openid read").unwrap(),
        client(),
        &perms,
        std::slice::from_ref(&a),
    )
    .unwrap();
    let granted = ScopeSet::parse("openid read").unwrap();
    let rec = record(None, &granted, &res);
    assert_eq!(rec, ["openid", "read", "read#https://a.example.com"]);
    let prior = ScopeSet::from_list(&rec).unwrap();
    let not_required = || ConsentDecision {
        requirement: ConsentRequirement::NotRequired,
        grantable: granted.clone(),
    };
    // Same scope, same resource: no new consent.
    let mut d = not_required();
    widen(&mut d, ClientType::ThirdParty, &res, Some(&prior));
    assert!(!d.consent_required());
    // Same scope at another resource: consent again (third-party), never for first-party.
    let res_b = scope_results_for(
        &p,
        &ScopeSet::parse("read").unwrap(),
        client(),
        &perms,
        &[b],
    )
    .unwrap();
    let mut d = not_required();
    widen(&mut d, ClientType::ThirdParty, &res_b, Some(&prior));
    assert!(d.consent_required());
    let mut d = not_required();
    widen(&mut d, ClientType::FirstParty, &res_b, Some(&prior));
    assert!(!d.consent_required());
    // Step-up keeps what was granted.
    let res2 = scope_results_for(
        &p,
        &ScopeSet::parse("read write").unwrap(),
        client(),
        &perms,
        &[a],
    )
    .unwrap();
    let rec2 = record(Some(&prior), &ScopeSet::parse("read write").unwrap(), &res2);
    let (plain, by) = split(&rec2);
    assert_eq!(plain, ["openid", "read", "write"]);
    assert_eq!(by["https://a.example.com"], ["read", "write"]);
}
