"""Email magic links through the official stytch Python SDK (B2BClient.magic_links): send a
link, read its token from latchkey's outbox (`latchkey outbox --json`), redeem it, then use the
session it made."""

import json
import os
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import assert_envelope, expect_error, new_email

# Loopback: a test project accepts it unregistered, like Stytch's default test redirect URL.
REDIRECT = "http://localhost:3000/authenticate"


def outbox_token(cfg, to):
    """The token of the newest link mailed to `to`, read with the latchkey CLI."""
    for k in ("LATCHKEY_BIN", "LATCHKEY_DATABASE_URL"):
        if not os.environ.get(k):
            pytest.fail(f"latchkey interop: {k} must be set to read the outbox", pytrace=False)
    out = subprocess.run(
        [os.environ["LATCHKEY_BIN"], "outbox", "--json", "--limit", "200", "--project", cfg["project_id"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    mail = next((m for m in json.loads(out) if m["to_address"] == to), None)
    assert mail, f"a mail to {to} is in the outbox"
    query = parse_qs(urlparse(mail["link"]).query)
    assert query["stytch_token_type"] == ["multi_tenant_magic_links"]
    return query["token"][0]


def test_login_authenticate_and_session(client, cfg, make_org):
    org = make_org()
    addr = new_email("ml")
    member = client.organizations.members.create(organization_id=org.organization_id, email_address=addr).member
    sent = client.magic_links.email.login_or_signup(
        organization_id=org.organization_id, email_address=addr, login_redirect_url=REDIRECT
    )
    assert_envelope(sent)
    assert sent.member_id == member.member_id
    assert sent.member_created is False
    token = outbox_token(cfg, addr)
    auth = client.magic_links.authenticate(magic_links_token=token, session_duration_minutes=60)
    assert_envelope(auth)
    assert auth.member_id == member.member_id
    assert auth.organization_id == org.organization_id
    assert auth.member_authenticated is True
    assert auth.member.email_address_verified is True
    assert auth.member_session.authentication_factors[0].type == "magic_link"
    s = client.sessions.authenticate(session_token=auth.session_token)
    assert s.member.member_id == member.member_id
    expect_error(lambda: client.magic_links.authenticate(magic_links_token=token), "unable_to_auth_magic_link", 401)


def test_jit_signup_and_invite(client, cfg, make_org):
    org = make_org(
        email_jit_provisioning="RESTRICTED",
        email_allowed_domains=["interop.example.com"],
        email_invites="ALL_ALLOWED",
    )
    addr = new_email("jit")
    sent = client.magic_links.email.login_or_signup(
        organization_id=org.organization_id, email_address=addr, signup_redirect_url=REDIRECT
    )
    assert sent.member_created is True
    assert sent.member.status == "pending"
    auth = client.magic_links.authenticate(magic_links_token=outbox_token(cfg, addr))
    assert auth.member.status == "active"

    invitee = new_email("inv")
    inv = client.magic_links.email.invite(
        organization_id=org.organization_id, email_address=invitee, invite_redirect_url=REDIRECT, name="Ivy"
    )
    assert_envelope(inv)
    assert inv.member.status == "invited"
    joined = client.magic_links.authenticate(magic_links_token=outbox_token(cfg, invitee))
    assert joined.member.status == "active"
    assert joined.member.name == "Ivy"


def test_errors(client, make_org):
    org = make_org()
    expect_error(
        lambda: client.magic_links.email.login_or_signup(
            organization_id=org.organization_id, email_address=new_email(), signup_redirect_url=REDIRECT
        ),
        "email_jit_provisioning_not_allowed",
        403,
    )
    expect_error(lambda: client.magic_links.authenticate(magic_links_token="not-a-token"), "magic_link_not_found", 404)
