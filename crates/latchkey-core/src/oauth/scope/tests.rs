use super::*;

fn set(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

#[test]
fn scope_token_grammar() {
    let cases = [
        ("openid", true),
        ("read:data", true),
        ("https://api.example.com/x.read", true),
        ("a!#[]~", true),
        ("", false),
        ("a b", false),
        ("a\"b", false),
        ("a\\b", false),
        ("a\tb", false),
        ("é", false),
        ("a\u{7f}", false),
    ];
    for (s, ok) in cases {
        assert_eq!(Scope::parse(s).is_ok(), ok, "{s:?}");
    }
}

#[test]
fn parse_table() {
    // (input, Some(joined) or None when malformed)
    let cases: [(&str, Option<&str>); 9] = [
        ("openid email", Some("openid email")),
        ("email openid", Some("email openid")),
        ("openid openid email openid", Some("openid email")),
        ("  openid   email  ", Some("openid email")),
        ("", Some("")),
        ("   ", Some("")),
        ("openid\temail", None),
        ("openid\nemail", None),
        ("openid \"x\"", None),
    ];
    for (input, want) in cases {
        let got = ScopeSet::parse(input).ok().map(|s| s.to_string());
        assert_eq!(got.as_deref(), want, "{input:?}");
    }
}

#[test]
fn from_list_requires_single_tokens() {
    let s = ScopeSet::from_list(["openid", "email", "openid"]).unwrap();
    assert_eq!(s.to_vec(), ["openid", "email"]);
    assert_eq!(
        ScopeSet::from_list(["openid email"]),
        Err(ScopeError::Malformed("openid email".into()))
    );
    assert_eq!(
        ScopeSet::from_list([""]),
        Err(ScopeError::Malformed(String::new()))
    );
    assert!(ScopeSet::from_list(Vec::<String>::new())
        .unwrap()
        .is_empty());
}

#[test]
fn set_algebra() {
    let a = set("openid email read:data");
    let b = set("read:data openid phone");
    assert_eq!(a.intersection(&b).to_string(), "openid read:data");
    assert_eq!(a.union(&b).to_string(), "openid email read:data phone");
    assert!(set("email openid").is_subset_of(&a));
    assert!(!b.is_subset_of(&a));
    assert!(ScopeSet::default().is_subset_of(&a));
    assert_eq!(set("openid email"), set("email openid"));
    assert_ne!(set("openid email"), set("openid"));
    assert_ne!(set("openid"), set("openid email"));
    assert!(a.contains("email") && !a.contains("Email"));
    assert!(a.contains_builtin(BuiltinScope::OpenId));
    assert_eq!(a.len(), 3);
    assert_eq!(
        a.iter().map(Scope::as_str).collect::<Vec<_>>(),
        ["openid", "email", "read:data"]
    );
}

#[test]
fn builtins() {
    let names: Vec<_> = BuiltinScope::ALL.map(BuiltinScope::as_str).to_vec();
    assert_eq!(
        names,
        [
            "openid",
            "email",
            "profile",
            "phone",
            "offline_access",
            "full_access"
        ]
    );
    for b in BuiltinScope::ALL {
        assert_eq!(BuiltinScope::parse(b.as_str()), Some(b));
        assert_eq!(Scope::parse(b.as_str()).unwrap().builtin(), Some(b));
        assert!(!b.description().is_empty());
    }
    assert_eq!(BuiltinScope::parse("OpenID"), None);
    assert_eq!(Scope::parse("read:data").unwrap().builtin(), None);
}

#[test]
fn error_types() {
    for e in [
        ScopeError::Empty,
        ScopeError::Unknown("x".into()),
        ScopeError::Malformed("\"".into()),
    ] {
        assert_eq!(e.error_type(), "oauth_invalid_scope_requested");
    }
    assert_eq!(
        ScopeError::Empty.to_string(),
        "empty set of scopes requested"
    );
}
