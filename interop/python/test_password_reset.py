"""Password reset through the official stytch Python SDK (B2BClient.passwords.email.reset_start /
reset, .passwords.sessions.reset, .passwords.existing_password.reset): mail a reset link, read
its token from latchkey's outbox, reset with it, then with the old password and with the session."""

import json
import os
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import assert_envelope, expect_error, new_email

REDIRECT = "http://localhost:3000/reset"
BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
OLD = "Kk4DQuMMfZL9o"


def reset_token(cfg, to):
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
    assert query["stytch_token_type"] == ["multi_tenant_passwords"]
    return query["token"][0]


def test_email_existing_password_and_session_resets(client, cfg, make_org):
    org = make_org()
    oid = org.organization_id
    addr = new_email("reset")
    client.passwords.migrate(organization_id=oid, email_address=addr, hash_type="bcrypt", hash=BCRYPT)
    started = client.passwords.email.reset_start(
        organization_id=oid, email_address=addr, reset_password_redirect_url=REDIRECT
    )
    assert_envelope(started)
    assert started.member_email_id
    token = reset_token(cfg, addr)
    expect_error(
        lambda: client.passwords.email.reset(password_reset_token=token, password="password"), "weak_password", 400
    )
    reset = client.passwords.email.reset(
        password_reset_token=token, password="violet-Harbor-42-lantern", session_duration_minutes=60
    )
    assert_envelope(reset)
    assert reset.member_authenticated is True and reset.session_token
    expect_error(
        lambda: client.passwords.email.reset(password_reset_token=token, password="violet-Harbor-42-lantern"),
        "unable_to_auth_magic_link",
        401,
    )
    expect_error(
        lambda: client.passwords.existing_password.reset(
            organization_id=oid, email_address=addr, existing_password=OLD, new_password="second-Lantern-83-quietly"
        ),
        "unauthorized_credentials",
        401,
    )
    existing = client.passwords.existing_password.reset(
        organization_id=oid,
        email_address=addr,
        existing_password="violet-Harbor-42-lantern",
        new_password="second-Lantern-83-quietly",
        session_duration_minutes=60,
    )
    assert_envelope(existing)
    # The email reset's session ended with the next reset.
    expect_error(lambda: client.sessions.authenticate(session_token=reset.session_token), "session_not_found", 404)
    by_session = client.passwords.sessions.reset(
        organization_id=oid, session_token=existing.session_token, password="third-Harbor-19-violet"
    )
    assert_envelope(by_session)
    assert by_session.session_token == existing.session_token
    login = client.passwords.authenticate(organization_id=oid, email_address=addr, password="third-Harbor-19-violet")
    assert login.member_authenticated is True
