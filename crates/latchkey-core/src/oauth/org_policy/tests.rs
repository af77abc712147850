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
