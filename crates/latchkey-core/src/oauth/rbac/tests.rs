use super::default_policy::perm;
use super::*;
use serde_json::json;

fn policy() -> RbacPolicy {
    let mut p = default_policy();
    p.roles.push(Role {
        role_id: "editor".into(),
        description: String::new(),
        permissions: vec![
            perm("documents", &["read", "write"]),
            perm("images", &["*"]),
        ],
    });
    p.roles.push(Role {
        role_id: "viewer".into(),
        description: String::new(),
        permissions: vec![perm("documents", &["read"])],
    });
    for (scope, perms) in [
        ("read:documents", vec![perm("documents", &["read"])]),
        (
            "write:documents",
            vec![perm("documents", &["read", "write"])],
        ),
        ("all:documents", vec![perm("documents", &["*"])]),
        ("read:images", vec![perm("images", &["read"])]),
        (
            "docs_and_images",
            vec![perm("documents", &["read"]), perm("images", &["read"])],
        ),
        (
            "manage:members",
            vec![perm("stytch.member", &["create", "delete"])],
        ),
        (
            "self:revoke",
            vec![perm("stytch.self", &["revoke.connected-app"])],
        ),
        ("nothing", vec![]),
        ("openid", vec![perm("documents", &["*"])]), // shadowed by the built-in
    ] {
        p.scopes.push(RbacScope {
            scope: scope.into(),
            description: format!("{scope} text"),
            permissions: perms,
        });
    }
    p
}

fn client(t: ClientType, fa: FullAccess) -> GrantingClient {
    GrantingClient {
        client_type: t,
        full_access: fa,
    }
}

#[test]
fn default_policy_shape() {
    let p = default_policy();
    let roles: Vec<_> = p.roles.iter().map(|r| r.role_id.as_str()).collect();
    assert_eq!(roles, ["stytch_member", "stytch_admin"]);
    let res: Vec<_> = p.resources.iter().map(|r| r.resource_id.as_str()).collect();
    assert_eq!(
        res,
        [
            "stytch.organization",
            "stytch.member",
            "stytch.sso",
            "stytch.self",
            "stytch.scim"
        ]
    );
    assert!(p.scopes.is_empty());
    // Every role permission names a defined resource.
    for role in &p.roles {
        for perm in &role.permissions {
            assert!(
                res.contains(&perm.resource_id.as_str()),
                "{}",
                perm.resource_id
            );
        }
    }
    let member = p.member_permissions::<&str>(&[]);
    assert!(member.allows("stytch.self", "update.info.name"));
    assert!(!member.allows("stytch.member", "create"));
    let admin = p.member_permissions(&["stytch_admin"]);
    for r in [
        "stytch.organization",
        "stytch.member",
        "stytch.sso",
        "stytch.scim",
        "stytch.self",
    ] {
        assert!(admin.allows(r, "anything"), "{r}");
    }
}

#[test]
fn policy_json_round_trip_in_stytch_shape() {
    let wire = json!({
        "roles": [{"role_id": "editor", "description": "Edits", "permissions": [
            {"resource_id": "documents", "actions": ["read", "write"]}]}],
        "resources": [{"resource_id": "documents", "description": "Docs", "actions": ["read", "write"]}],
        "scopes": [{"scope": "read:documents", "description": "Read docs", "permissions": [
            {"resource_id": "documents", "actions": ["read"]}]}]
    });
    let p: RbacPolicy = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(p.roles[0].permissions[0].actions, ["read", "write"]);
    assert_eq!(serde_json::to_value(&p).unwrap(), wire);
    let sparse: RbacPolicy = serde_json::from_value(json!({"roles": [{"role_id": "x"}]})).unwrap();
    assert!(sparse.roles[0].permissions.is_empty() && sparse.scopes.is_empty());
}

#[test]
fn member_permissions_union_and_unknown_roles() {
    let p = policy();
    let m = p.member_permissions(&["viewer", "editor", "no_such_role"]);
    assert!(m.allows("documents", "read") && m.allows("documents", "write"));
    assert!(!m.allows("documents", "delete"));
    assert!(m.allows("images", "delete"), "held * covers any action");
    assert!(
        m.allows("stytch.self", "delete"),
        "stytch_member is implicit"
    );
    assert!(!m.allows("stytch.member", "create"));
    assert!(!m.allows("nope", "read"));
}

type GrantCase<'a> = (
    &'a [&'a str],
    &'a str,
    GrantingClient,
    Result<bool, ScopeError>,
);

#[test]
fn grantability_table() {
    use ClientType::*;
    use FullAccess::*;
    let p = policy();
    let fp = client(FirstParty, NotAllowed);
    // (roles, scope, client, expected)
    let cases: &[GrantCase] = &[
        (&[], "openid", fp, Ok(true)),
        (&[], "email", client(ThirdPartyPublic, NotAllowed), Ok(true)),
        (&[], "profile", fp, Ok(true)),
        (&[], "phone", fp, Ok(true)),
        (
            &[],
            "offline_access",
            client(ThirdParty, NotAllowed),
            Ok(true),
        ),
        (
            &["stytch_admin"],
            "full_access",
            client(FirstParty, Allowed),
            Ok(true),
        ),
        (
            &[],
            "full_access",
            client(FirstPartyPublic, Allowed),
            Ok(true),
        ),
        (
            &[],
            "full_access",
            client(FirstParty, NotAllowed),
            Ok(false),
        ),
        (&[], "full_access", client(ThirdParty, Allowed), Ok(false)),
        (
            &[],
            "full_access",
            client(ThirdPartyPublic, Allowed),
            Ok(false),
        ),
        (&["viewer"], "read:documents", fp, Ok(true)),
        (&["viewer"], "write:documents", fp, Ok(false)),
        (&["editor"], "write:documents", fp, Ok(true)),
        (&["editor"], "all:documents", fp, Ok(false)),
        (&["editor"], "read:images", fp, Ok(true)),
        (&["viewer"], "docs_and_images", fp, Ok(false)),
        (&["viewer", "editor"], "docs_and_images", fp, Ok(true)),
        (&[], "read:documents", fp, Ok(false)),
        (&[], "manage:members", fp, Ok(false)),
        (&["stytch_admin"], "manage:members", fp, Ok(true)),
        (&[], "self:revoke", client(ThirdParty, NotAllowed), Ok(true)),
        (&[], "nothing", fp, Ok(true)),
        (&[], "openid", client(ThirdParty, NotAllowed), Ok(true)),
        (
            &["stytch_admin"],
            "read:nothing",
            fp,
            Err(ScopeError::Unknown("read:nothing".into())),
        ),
        (&[], "OpenID", fp, Err(ScopeError::Unknown("OpenID".into()))),
    ];
    for (roles, scope, c, want) in cases {
        let m = p.member_permissions(roles);
        let got = p.is_grantable(&Scope::parse(scope).unwrap(), *c, &m);
        assert_eq!(&got, want, "{roles:?} {scope} {c:?}");
    }
}

#[test]
fn wildcard_semantics() {
    let p = policy();
    let all = p.member_permissions(&["editor"]); // images: *
    assert!(all.covers(&[perm("images", &["*"])]));
    assert!(all.covers(&[perm("images", &["read", "anything"])]));
    let some = p.member_permissions(&["editor"]); // documents: read, write
    assert!(!some.covers(&[perm("documents", &["*"])]));
    assert!(
        some.covers(&[perm("documents", &[])]),
        "no actions required"
    );
    assert!(some.covers(&[]));
    assert!(!some.covers(&[perm("documents", &["read"]), perm("x", &["read"])]));
}

#[test]
fn resolve_scopes_keeps_order_and_descriptions() {
    let p = policy();
    let m = p.member_permissions(&["viewer"]);
    let req = ScopeSet::parse("read:documents openid write:documents full_access").unwrap();
    let got = p
        .resolve_scopes(
            &req,
            client(ClientType::FirstParty, FullAccess::Allowed),
            &m,
        )
        .unwrap();
    let rows: Vec<_> = got
        .iter()
        .map(|r| (r.scope.as_str(), r.description.as_str(), r.is_grantable))
        .collect();
    assert_eq!(
        rows,
        [
            ("read:documents", "read:documents text", true),
            ("openid", BuiltinScope::OpenId.description(), true),
            ("write:documents", "write:documents text", false),
            ("full_access", BuiltinScope::FullAccess.description(), true),
        ]
    );
    assert_eq!(
        grantable_scopes(&got).to_string(),
        "read:documents openid full_access"
    );
    let json = serde_json::to_value(&got[0]).unwrap();
    assert_eq!(
        json,
        json!({"scope": "read:documents", "description": "read:documents text", "is_grantable": true})
    );
}

#[test]
fn resolve_scopes_errors() {
    let p = policy();
    let m = p.member_permissions::<&str>(&[]);
    let c = client(ClientType::ThirdParty, FullAccess::NotAllowed);
    assert_eq!(
        p.resolve_scopes(&ScopeSet::default(), c, &m),
        Err(ScopeError::Empty)
    );
    let req = ScopeSet::parse("openid bogus other").unwrap();
    assert_eq!(
        p.resolve_scopes(&req, c, &m),
        Err(ScopeError::Unknown("bogus".into()))
    );
}

#[test]
fn scopes_supported_lists_builtins_then_custom() {
    let s = policy().scopes_supported();
    assert_eq!(
        &s[..6],
        [
            "openid",
            "email",
            "profile",
            "phone",
            "offline_access",
            "full_access"
        ]
    );
    assert!(s.contains(&"read:documents".to_owned()));
    assert_eq!(s.iter().filter(|x| *x == "openid").count(), 1);
}
