"""RBAC through the official Python SDK (strict pydantic parsing of every required field).

tests/api/interop.rs sets docs/examples/rbac-policy.json first and says so with
LATCHKEY_RBAC_EXAMPLE_POLICY=1; without it only Stytch's defaults are checked.
"""

import os

from conftest import assert_envelope, expect_error

EXAMPLE = os.environ.get("LATCHKEY_RBAC_EXAMPLE_POLICY") == "1"


def test_policy_shape(client):
    res = client.rbac.policy()
    assert_envelope(res)
    policy = res.policy
    assert policy is not None
    role_ids = [r.role_id for r in policy.roles]
    resource_ids = [r.resource_id for r in policy.resources]
    assert role_ids[:2] == ["stytch_member", "stytch_admin"]
    for rid in ("stytch.organization", "stytch.member", "stytch.sso", "stytch.self", "stytch.scim"):
        assert rid in resource_ids
    member = policy.roles[0]
    assert [(p.resource_id, p.actions) for p in member.permissions][0] == ("stytch.self", ["*"])
    assert all(isinstance(r.description, str) for r in policy.roles + policy.resources)
    if EXAMPLE:
        assert role_ids[2:] == ["editor", "viewer"]
        assert "documents" in resource_ids
        assert [s.scope for s in policy.scopes] == ["read:documents", "write:documents"]
        write = policy.scopes[1]
        assert write.description == "Create and change your documents"
        assert [(p.resource_id, p.actions) for p in write.permissions] == [("documents", ["read", "write"])]
    else:
        assert policy.scopes == []


def test_org_policy_set_and_get(client, make_org):
    org = make_org()
    role = {
        "role_id": "member-searcher",
        "description": "Searches members",
        "permissions": [{"resource_id": "stytch.member", "actions": ["search"]}],
    }
    res = client.rbac.organizations.set_org_policy(organization_id=org.organization_id, org_policy={"roles": [role]})
    assert_envelope(res)
    assert res.org_policy.roles[0].role_id == "member-searcher"
    got = client.rbac.organizations.get_org_policy(organization_id=org.organization_id)
    assert got.org_policy.roles[0].permissions[0].actions == ["search"]
    bad = dict(role, permissions=[{"resource_id": "stytch.member", "actions": ["fly"]}])
    expect_error(
        lambda: client.rbac.organizations.set_org_policy(organization_id=org.organization_id, org_policy={"roles": [bad]}),
        "invalid_permission_action",
        400,
    )
