"""Member-scoped authorization through the official stytch Python SDK's `method_options`
(`...RequestOptions(authorization=Authorization(session_token=...))` become the
X-Stytch-Member-Session / X-Stytch-Member-SessionJWT headers): the request runs with the
member's RBAC permissions (security review finding #3)."""

import pytest
from stytch.b2b.models import organizations as org_models
from stytch.b2b.models import organizations_members as member_models
from stytch.core.response_base import StytchError
from stytch.shared.method_options import Authorization

from conftest import assert_envelope, expect_error
from test_sessions import login, member_with_password


def logged_in(client, org, roles=None):
    m = member_with_password(client, org, roles)
    res = login(client, org, m)
    return m, res.session_token, res.session_jwt


def member_opts(cls, **auth):
    return cls(authorization=Authorization(**auth))


def test_plain_member_cannot_escalate_or_delete(client, org):
    bob, token, jwt = logged_in(client, org)
    other, _, _ = logged_in(client, org)
    expect_error(
        lambda: client.organizations.members.update(
            organization_id=org.organization_id,
            member_id=bob.member_id,
            roles=["stytch_admin"],
            method_options=member_opts(member_models.UpdateRequestOptions, session_token=token),
        ),
        "session_authorization_error",
        403,
    )
    expect_error(
        lambda: client.organizations.members.delete(
            organization_id=org.organization_id,
            member_id=other.member_id,
            method_options=member_opts(member_models.DeleteRequestOptions, session_jwt=jwt),
        ),
        "session_authorization_error",
        403,
    )
    got = client.organizations.members.get(organization_id=org.organization_id, member_id=bob.member_id)
    assert "stytch_admin" not in [r.role_id for r in got.member.roles]
    res = client.organizations.members.update(
        organization_id=org.organization_id,
        member_id=bob.member_id,
        name="Bob",
        method_options=member_opts(member_models.UpdateRequestOptions, session_token=token),
    )
    assert_envelope(res)
    assert res.member.name == "Bob"


def test_garbage_session_is_401(client, org):
    with pytest.raises(StytchError) as info:
        client.organizations.update(
            organization_id=org.organization_id,
            organization_name="Pwned",
            method_options=member_opts(org_models.UpdateRequestOptions, session_token="garbage"),
        )
    assert info.value.details.status_code == 401
    got = client.organizations.get(organization_id=org.organization_id)
    assert got.organization.organization_name != "Pwned"


def test_admin_is_allowed(client, org):
    _, token, _ = logged_in(client, org, ["stytch_admin"])
    carol, _, _ = logged_in(client, org)
    res = client.organizations.members.update(
        organization_id=org.organization_id,
        member_id=carol.member_id,
        roles=["stytch_admin"],
        method_options=member_opts(member_models.UpdateRequestOptions, session_token=token),
    )
    assert_envelope(res)
    res = client.organizations.members.delete(
        organization_id=org.organization_id,
        member_id=carol.member_id,
        method_options=member_opts(member_models.DeleteRequestOptions, session_token=token),
    )
    assert_envelope(res)
