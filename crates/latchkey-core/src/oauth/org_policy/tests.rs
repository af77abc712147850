use super::*;

const ID: &str = "connected-app-test-1";

#[test]
fn allowed_type_wire_table() {
    let ids = vec![ID.to_owned()];
    let cases: &[(Option<&str>, Option<ConnectedAppsAllowed>)] = &[
        (None, Some(ConnectedAppsAllowed::AllAllowed)),
        (Some(""), Some(ConnectedAppsAllowed::AllAllowed)),
        (Some("ALL_ALLOWED"), Some(ConnectedAppsAllowed::AllAllowed)),
        (
            Some("RESTRICTED"),
            Some(ConnectedAppsAllowed::Restricted(ids.clone())),
        ),
        (Some("NOT_ALLOWED"), Some(ConnectedAppsAllowed::NotAllowed)),
        (Some("all_allowed"), None),
        (Some("OPTIONAL"), None),
    ];
    for (raw, want) in cases {
        let got = ConnectedAppsAllowed::from_wire(*raw, &ids).ok();
        assert_eq!(&got, want, "{raw:?}");
        if let (Some(g), Some(r)) = (got, raw.filter(|r| !r.is_empty())) {
            assert_eq!(g.as_str(), r);
        }
    }
}

#[test]
fn all_allowed_permits_everything() {
    let org = OrgConnectedAppsPolicy::all_allowed();
    for t in ClientType::ALL {
        assert!(org.permits("anything", t));
    }
}

/// issue 9 item 9: an unreadable stored type refuses instead of falling back to ALL_ALLOWED.
#[test]
fn of_organization_fails_closed() {
    let mut org = crate::organization::create(
        "organization-test-1".into(),
        &serde_json::from_value(serde_json::json!({"organization_name": "A"})).unwrap(),
        crate::organization::slugify,
        &[],
        time::macros::datetime!(2026-03-01 10:00 UTC),
    )
    .unwrap();
    assert_eq!(
        OrgConnectedAppsPolicy::of(&org).unwrap(),
        OrgConnectedAppsPolicy::all_allowed()
    );
    org.third_party_connected_apps_allowed_type = "MAYBE".into();
    assert!(OrgConnectedAppsPolicy::of(&org).is_err());
}
