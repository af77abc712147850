use super::*;

#[test]
fn client_type_table() {
    // (wire, public, first_party)
    let cases = [
        ("first_party", false, true),
        ("first_party_public", true, true),
        ("third_party", false, false),
        ("third_party_public", true, false),
    ];
    for (wire, public, first) in cases {
        let t = ClientType::parse(wire).unwrap();
        assert_eq!(t.as_str(), wire);
        assert_eq!(t.to_string(), wire);
        assert_eq!(t.is_public(), public, "{wire}");
        assert_eq!(t.is_first_party(), first, "{wire}");
        assert_eq!(wire.parse::<ClientType>().unwrap(), t);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{wire}\""));
        assert_eq!(serde_json::from_str::<ClientType>(&json).unwrap(), t);
    }
}

#[test]
fn client_type_rejects_near_misses() {
    for bad in [
        "",
        "First_Party",
        "public",
        "confidential",
        "first-party",
        "third_party ",
    ] {
        let err = ClientType::parse(bad).unwrap_err();
        assert_eq!(err.error_type(), "invalid_connected_app_type");
        assert_eq!(err.0, bad);
    }
}

#[test]
fn settings_flags() {
    assert_eq!(FullAccess::from_flag(true), FullAccess::Allowed);
    assert_eq!(FullAccess::from_flag(false), FullAccess::NotAllowed);
    assert_eq!(
        OfflineAccessConsent::from_bypass_flag(true),
        OfflineAccessConsent::Bypassed
    );
    assert_eq!(
        OfflineAccessConsent::from_bypass_flag(false),
        OfflineAccessConsent::Required
    );
}

#[test]
fn validate_client_settings_table() {
    use FullAccess::*;
    use OfflineAccessConsent::*;
    for t in ClientType::ALL {
        for fa in [Allowed, NotAllowed] {
            for off in [Required, Bypassed] {
                let got = validate_client_settings(t, fa, off);
                let want = if t.is_first_party() {
                    Ok(())
                } else if fa == Allowed {
                    Err(ClientSettingsError::ThirdPartyFullAccess)
                } else if off == Bypassed {
                    Err(ClientSettingsError::ThirdPartyOfflineBypass)
                } else {
                    Ok(())
                };
                assert_eq!(got, want, "{t} {fa:?} {off:?}");
            }
        }
    }
    assert_eq!(
        ClientSettingsError::ThirdPartyFullAccess.error_type(),
        "third_party_clients_cannot_use_full_access"
    );
    assert_eq!(
        ClientSettingsError::ThirdPartyOfflineBypass.error_type(),
        "third_party_clients_require_consent_for_offline_access"
    );
}
