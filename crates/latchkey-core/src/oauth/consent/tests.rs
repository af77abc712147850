use super::super::error::OAuthErrorCode;
use super::super::org_policy::ConnectedAppsAllowed;
use super::super::scope::Scope;
use super::*;
use ClientType::*;

const ID: &str = "connected-app-test-1";

fn results(spec: &[(&str, bool)]) -> Vec<ScopeResult> {
    spec.iter()
        .map(|(s, g)| ScopeResult {
            scope: Scope::parse(s).unwrap(),
            description: String::new(),
            is_grantable: *g,
            resources: Vec::new(),
        })
        .collect()
}

fn set(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

fn client(t: ClientType, off: OfflineAccessConsent) -> ConsentClient<'static> {
    ConsentClient {
        client_id: ID,
        client_type: t,
        full_access: FullAccess::Allowed,
        offline_access_consent: off,
    }
}

fn decide(
    c: ConsentClient<'_>,
    prompt: Prompt,
    res: &[ScopeResult],
    prior: Option<&ScopeSet>,
    org: &OrgConnectedAppsPolicy,
) -> Result<ConsentDecision, AuthorizeError> {
    decide_consent(&ConsentRequest {
        client: c,
        prompt,
        scope_results: res,
        prior_grant: prior,
        org_policy: org,
    })
}

#[test]
fn org_policy_table() {
    use ConnectedAppsAllowed::*;
    let only = |id: &str| Restricted(vec![id.to_owned()]);
    // (first-party rule, third-party rule, client type, permitted)
    let cases = [
        (AllAllowed, AllAllowed, FirstParty, true),
        (NotAllowed, AllAllowed, FirstParty, false),
        (NotAllowed, AllAllowed, FirstPartyPublic, false),
        (NotAllowed, AllAllowed, ThirdParty, true),
        (AllAllowed, NotAllowed, ThirdPartyPublic, false),
        (AllAllowed, NotAllowed, FirstPartyPublic, true),
        (only(ID), NotAllowed, FirstParty, true),
        (only("other"), AllAllowed, FirstParty, false),
        (Restricted(vec![]), AllAllowed, FirstParty, false),
        (NotAllowed, only(ID), ThirdParty, true),
        (AllAllowed, only("other"), ThirdPartyPublic, false),
        (AllAllowed, only(&ID.to_uppercase()), ThirdParty, false),
    ];
    for (first, third, t, want) in cases {
        let org = OrgConnectedAppsPolicy {
            first_party: first,
            third_party: third,
        };
        assert_eq!(org.permits(ID, t), want, "{org:?} {t}");
        let res = results(&[("openid", true)]);
        let got = decide(
            client(t, OfflineAccessConsent::Required),
            Prompt::Default,
            &res,
            None,
            &org,
        );
        assert_eq!(got.is_ok(), want);
        if !want {
            assert_eq!(got, Err(AuthorizeError::NotAllowedForOrg));
        }
    }
}

type ReasonCase<'a> = (
    ClientType,
    OfflineAccessConsent,
    Prompt,
    &'a [ScopeResult],
    Option<&'a ScopeSet>,
    &'a [ConsentReason],
);

#[test]
fn consent_reason_examples() {
    use ConsentReason::*;
    use OfflineAccessConsent::*;
    let org = OrgConnectedAppsPolicy::all_allowed();
    let basic = results(&[("openid", true), ("email", true)]);
    let offline = results(&[("openid", true), ("offline_access", true)]);
    let prior = set("openid email read:x");
    let narrow = set("openid");
    // (client, bypass, prompt, results, prior, expected reasons)
    let cases: &[ReasonCase] = &[
        (FirstParty, Required, Prompt::Default, &basic, None, &[]),
        (
            FirstPartyPublic,
            Required,
            Prompt::Default,
            &basic,
            None,
            &[],
        ),
        (
            FirstParty,
            Required,
            Prompt::Consent,
            &basic,
            None,
            &[PromptConsent],
        ),
        (
            FirstParty,
            Required,
            Prompt::Default,
            &offline,
            None,
            &[OfflineAccess],
        ),
        (FirstParty, Bypassed, Prompt::Default, &offline, None, &[]),
        (
            FirstPartyPublic,
            Bypassed,
            Prompt::Consent,
            &offline,
            None,
            &[PromptConsent],
        ),
        (
            ThirdParty,
            Required,
            Prompt::Default,
            &basic,
            None,
            &[ThirdPartyFirstAuthorization],
        ),
        (
            ThirdParty,
            Required,
            Prompt::Default,
            &basic,
            Some(&prior),
            &[],
        ),
        (
            ThirdPartyPublic,
            Required,
            Prompt::Default,
            &basic,
            Some(&narrow),
            &[ThirdPartyScopesChanged],
        ),
        (
            ThirdParty,
            Bypassed,
            Prompt::Default,
            &offline,
            Some(&set("openid offline_access")),
            &[OfflineAccess],
        ),
        (
            ThirdPartyPublic,
            Required,
            Prompt::Consent,
            &offline,
            None,
            &[PromptConsent, OfflineAccess, ThirdPartyFirstAuthorization],
        ),
    ];
    for (t, off, prompt, res, prior, want) in cases {
        let d = decide(client(*t, *off), *prompt, res, *prior, &org).unwrap();
        let want_req = if want.is_empty() {
            ConsentRequirement::NotRequired
        } else {
            ConsentRequirement::Required(want.to_vec())
        };
        assert_eq!(d.requirement, want_req, "{t} {off:?} {prompt:?} {prior:?}");
        assert_eq!(d.consent_required(), !want.is_empty());
    }
}

/// Every client type × offline_access × bypass × prompt × prior grant × org policy, against
/// the rule of spec §4.4 written as one formula.
#[test]
fn consent_exhaustive_matrix() {
    use ConnectedAppsAllowed::*;
    let orgs = [
        AllAllowed,
        Restricted(vec![ID.to_owned()]),
        Restricted(vec![]),
        NotAllowed,
    ];
    let priors = [
        None,
        Some(set("openid email offline_access")),
        Some(set("openid")),
    ];
    let mut checked = 0;
    for t in ClientType::ALL {
        for offline in [false, true] {
            for off in [
                OfflineAccessConsent::Required,
                OfflineAccessConsent::Bypassed,
            ] {
                for prompt in [Prompt::Default, Prompt::Consent] {
                    for prior in &priors {
                        for (i, rule) in orgs.iter().enumerate() {
                            let mut spec =
                                vec![("openid", true), ("email", true), ("write:x", false)];
                            if offline {
                                spec.push(("offline_access", true));
                            }
                            let res = results(&spec);
                            let org = if t.is_first_party() {
                                OrgConnectedAppsPolicy {
                                    first_party: rule.clone(),
                                    third_party: NotAllowed,
                                }
                            } else {
                                OrgConnectedAppsPolicy {
                                    first_party: NotAllowed,
                                    third_party: rule.clone(),
                                }
                            };
                            let got = decide(client(t, off), prompt, &res, prior.as_ref(), &org);
                            checked += 1;
                            if i >= 2 {
                                assert_eq!(got, Err(AuthorizeError::NotAllowedForOrg));
                                continue;
                            }
                            let d = got.unwrap();
                            let first = t.is_first_party();
                            let want_grantable = if offline {
                                "openid email offline_access"
                            } else {
                                "openid email"
                            };
                            let covered = prior
                                .as_ref()
                                .is_some_and(|p| set(want_grantable).is_subset_of(p));
                            let want = prompt == Prompt::Consent
                                || (offline && !(first && off == OfflineAccessConsent::Bypassed))
                                || (!first && !covered);
                            assert_eq!(
                                d.consent_required(),
                                want,
                                "{t} offline={offline} {off:?} {prompt:?} {prior:?}"
                            );
                            assert_eq!(d.grantable.to_string(), want_grantable);
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 2 * 2 * 3 * 4);
}

#[test]
fn full_access_rules() {
    let org = OrgConnectedAppsPolicy::all_allowed();
    let req = results(&[("openid", true), ("full_access", false)]);
    for t in [ThirdParty, ThirdPartyPublic] {
        let got = decide(
            client(t, OfflineAccessConsent::Required),
            Prompt::Default,
            &req,
            None,
            &org,
        );
        assert_eq!(got, Err(AuthorizeError::ThirdPartyFullAccess), "{t}");
    }
    // First party without full_access_allowed: not an error, just not grantable.
    let d = decide(
        client(FirstParty, OfflineAccessConsent::Required),
        Prompt::Default,
        &req,
        None,
        &org,
    )
    .unwrap();
    assert_eq!(d.grantable.to_string(), "openid");
    assert!(!d.consent_required());
    // Org policy is checked before full_access.
    let closed = OrgConnectedAppsPolicy {
        first_party: ConnectedAppsAllowed::AllAllowed,
        third_party: ConnectedAppsAllowed::NotAllowed,
    };
    let got = decide(
        client(ThirdParty, OfflineAccessConsent::Required),
        Prompt::Default,
        &req,
        None,
        &closed,
    );
    assert_eq!(got, Err(AuthorizeError::NotAllowedForOrg));
}

#[test]
fn third_party_prior_grant_compares_grantable_part_only() {
    let org = OrgConnectedAppsPolicy::all_allowed();
    let prior = set("openid");
    // write:x is requested but not grantable: it does not count as a scope change.
    let res = results(&[("openid", true), ("write:x", false)]);
    let d = decide(
        client(ThirdParty, OfflineAccessConsent::Required),
        Prompt::Default,
        &res,
        Some(&prior),
        &org,
    )
    .unwrap();
    assert_eq!(d.requirement, ConsentRequirement::NotRequired);
    // Now grantable: it is new, so consent is asked again.
    let res = results(&[("openid", true), ("write:x", true)]);
    let d = decide(
        client(ThirdParty, OfflineAccessConsent::Required),
        Prompt::Default,
        &res,
        Some(&prior),
        &org,
    )
    .unwrap();
    assert_eq!(
        d.requirement,
        ConsentRequirement::Required(vec![ConsentReason::ThirdPartyScopesChanged])
    );
}

#[test]
fn submit_table() {
    let decision = |g: &str| ConsentDecision {
        requirement: ConsentRequirement::NotRequired,
        grantable: set(g),
    };
    let prior = set("openid read:x");
    // Approved: granted = grantable; record = prior ∪ granted.
    let got = submit_decision(
        &decision("openid email"),
        UserConsent::Granted,
        Some(&prior),
    )
    .unwrap();
    assert_eq!(
        got,
        SubmitOutcome::Approved {
            granted: set("openid email"),
            grant_record: set("openid read:x email")
        }
    );
    let got = submit_decision(
        &decision("openid email"),
        UserConsent::from_flag(true),
        None,
    )
    .unwrap();
    assert_eq!(
        got,
        SubmitOutcome::Approved {
            granted: set("openid email"),
            grant_record: set("openid email")
        }
    );
    // Denied, even when consent was not required; nothing to record.
    let got = submit_decision(
        &decision("openid"),
        UserConsent::from_flag(false),
        Some(&prior),
    )
    .unwrap();
    let SubmitOutcome::Denied(err) = got else {
        panic!("{got:?}")
    };
    assert_eq!(err.code, OAuthErrorCode::AccessDenied);
    // Nothing grantable: an error, not an empty code.
    assert_eq!(
        submit_decision(&decision(""), UserConsent::Granted, None),
        Err(AuthorizeError::NothingGrantable)
    );
    // Denial wins over nothing-grantable.
    assert!(matches!(
        submit_decision(&decision(""), UserConsent::Denied, None),
        Ok(SubmitOutcome::Denied(_))
    ));
}
