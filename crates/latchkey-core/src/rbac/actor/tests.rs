use latchkey_types::{MemberUpdateRequest, OrganizationSettings};

use super::*;
use crate::rbac::default_policy;

fn decide(roles: &[&str], op: Operation<'_>, is_self: bool) -> Result<(), ApiError> {
    let reqs = requirements(op, is_self)?;
    authorize_actor(&default_policy(), &[], roles, "org-a", "org-a", &reqs)
}

#[test]
fn a_plain_member_cannot_grant_himself_roles() {
    let req = MemberUpdateRequest {
        roles: Some(vec!["stytch_admin".into()]),
        ..Default::default()
    };
    let e = decide(&["stytch_member"], Operation::MemberUpdate(&req), true).unwrap_err();
    assert_eq!(
        (e.status, &*e.error_type),
        (403, "session_authorization_error")
    );
    assert!(decide(&["stytch_admin"], Operation::MemberUpdate(&req), true).is_ok());
}

#[test]
fn a_member_may_rename_himself_but_not_others() {
    let req = MemberUpdateRequest {
        name: Some("Bob".into()),
        ..Default::default()
    };
    assert!(decide(&["stytch_member"], Operation::MemberUpdate(&req), true).is_ok());
    assert!(decide(&["stytch_member"], Operation::MemberUpdate(&req), false).is_err());
}

#[test]
fn delete_self_or_other() {
    assert!(decide(&["stytch_member"], Operation::MemberDelete, true).is_ok());
    assert!(decide(&["stytch_member"], Operation::MemberDelete, false).is_err());
    assert!(decide(&["stytch_admin"], Operation::MemberDelete, false).is_ok());
}

#[test]
fn organization_fields_each_need_their_action() {
    let req = OrganizationSettings {
        organization_name: Some("x".into()),
        mfa_policy: Some("OPTIONAL".into()),
        ..Default::default()
    };
    let reqs = requirements(Operation::OrganizationUpdate(&req), false).unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(decide(
        &["stytch_member"],
        Operation::OrganizationUpdate(&req),
        false
    )
    .is_err());
    assert!(decide(
        &["stytch_admin"],
        Operation::OrganizationUpdate(&req),
        false
    )
    .is_ok());
}

#[test]
fn trusted_metadata_is_refused_even_for_admins() {
    let req = OrganizationSettings {
        trusted_metadata: Some(Default::default()),
        ..Default::default()
    };
    let e = decide(
        &["stytch_admin"],
        Operation::OrganizationUpdate(&req),
        false,
    )
    .unwrap_err();
    assert_eq!(e.status, 400);
}

#[test]
fn another_organization_is_a_tenancy_error() {
    let e = authorize_actor(
        &default_policy(),
        &[],
        &["stytch_admin"],
        "org-a",
        "org-b",
        &[],
    )
    .unwrap_err();
    assert_eq!(&*e.error_type, "session_authorization_tenancy_error");
}
