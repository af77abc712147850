use super::*;

fn policy(cimd: &str, hosts: &[&str], dcr: &str) -> RegistrationPolicy {
    RegistrationPolicy::of(&ClientRegistrationPolicy {
        cimd_allowed_type: cimd.into(),
        allowed_cimd_hosts: hosts.iter().map(|h| h.to_string()).collect(),
        dcr_allowed_type: dcr.into(),
    })
    .unwrap()
}

fn cimd(host: &str) -> RegistrationPath {
    RegistrationPath::classify(&format!("https://{host}/client.json"), "api", None)
}

#[test]
fn classification_by_client_id_and_creation_method() {
    assert_eq!(
        cimd("Agents.Example.com"),
        RegistrationPath::Cimd {
            host: "agents.example.com".into()
        }
    );
    assert_eq!(
        RegistrationPath::classify("connected-app-test-1", DCR, None),
        RegistrationPath::Dynamic
    );
    assert_eq!(
        RegistrationPath::classify("connected-app-test-1", "api", None),
        RegistrationPath::PreRegistered
    );
    assert_eq!(
        RegistrationPath::classify("c", "api", Some("https://docs.example.com/m.json")),
        RegistrationPath::Cimd {
            host: "docs.example.com".into()
        }
    );
}

#[test]
fn defaults_allow_every_path() {
    let p = RegistrationPolicy::of(&ClientRegistrationPolicy::default()).unwrap();
    for path in [
        RegistrationPath::PreRegistered,
        cimd("a.example"),
        RegistrationPath::Dynamic,
    ] {
        assert_eq!(decide(&p, &path, None), Ok(()), "{path:?}");
        assert!(!p.needs_approval_record(&path));
    }
}

#[test]
fn cimd_listed_hosts_only() {
    let p = policy(
        "RESTRICTED",
        &["agents.example.com", "*.trusted.dev"],
        "ALL_ALLOWED",
    );
    assert_eq!(decide(&p, &cimd("agents.example.com"), None), Ok(()));
    assert_eq!(decide(&p, &cimd("x.trusted.dev"), None), Ok(()));
    assert_eq!(
        decide(&p, &cimd("trusted.dev"), None),
        Err(PathRefusal::CimdHostNotListed("trusted.dev".into()))
    );
    assert_eq!(
        decide(&p, &cimd("eviltrusted.dev"), None),
        Err(PathRefusal::CimdHostNotListed("eviltrusted.dev".into()))
    );
    let refusal = decide(&p, &cimd("unlisted.example"), None).unwrap_err();
    assert_eq!(refusal.error_type(), "connected_app_not_allowed_for_org");
    // The policy on CIMD says nothing about other paths.
    assert_eq!(decide(&p, &RegistrationPath::Dynamic, None), Ok(()));
    let none = policy("NOT_ALLOWED", &[], "ALL_ALLOWED");
    assert_eq!(
        decide(&none, &cimd("agents.example.com"), None),
        Err(PathRefusal::CimdNotAllowed)
    );
}

#[test]
fn dcr_approval_states() {
    let p = policy("ALL_ALLOWED", &[], "APPROVAL_REQUIRED");
    let d = RegistrationPath::Dynamic;
    assert!(p.needs_approval_record(&d));
    assert!(!p.needs_approval_record(&RegistrationPath::PreRegistered));
    assert_eq!(decide(&p, &d, None), Err(PathRefusal::ApprovalPending));
    assert_eq!(
        decide(&p, &d, Some(ApprovalStatus::Pending)),
        Err(PathRefusal::ApprovalPending)
    );
    assert_eq!(decide(&p, &d, Some(ApprovalStatus::Approved)), Ok(()));
    assert_eq!(
        decide(&p, &d, Some(ApprovalStatus::Denied)),
        Err(PathRefusal::ApprovalDenied)
    );
    assert_eq!(
        PathRefusal::ApprovalPending.error_type(),
        "connected_app_approval_pending"
    );
    let none = policy("ALL_ALLOWED", &[], "NOT_ALLOWED");
    assert_eq!(
        decide(&none, &d, Some(ApprovalStatus::Approved)),
        Err(PathRefusal::DcrNotAllowed)
    );
    // Pre-registered apps are governed by Stytch's policies only.
    assert_eq!(
        decide(&none, &RegistrationPath::PreRegistered, None),
        Ok(())
    );
}

#[test]
fn unreadable_policy_is_an_error() {
    let bad = ClientRegistrationPolicy {
        dcr_allowed_type: "SOMETIMES".into(),
        ..Default::default()
    };
    assert!(RegistrationPolicy::of(&bad).is_err());
    let bad = ClientRegistrationPolicy {
        cimd_allowed_type: "APPROVAL_REQUIRED".into(),
        ..Default::default()
    };
    assert!(RegistrationPolicy::of(&bad).is_err());
}

#[test]
fn host_entries_are_bare_hosts() {
    assert_eq!(
        normalize_host("Agents.Example.com").as_deref(),
        Some("agents.example.com")
    );
    assert_eq!(
        normalize_host("*.example.com").as_deref(),
        Some("*.example.com")
    );
    for bad in [
        "",
        "*.",
        "https://a.example",
        "a.example:443",
        "a.example/x",
        "a*.example",
        "user@a.example",
    ] {
        assert_eq!(normalize_host(bad), None, "{bad:?}");
    }
}
