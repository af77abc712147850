"""One-time passcodes through the official stytch Python SDK (B2BClient.otps.email, .otps.sms):
an email code signs a new member up and logs them in; an SMS code steps a password session up.
Codes are read from latchkey's outbox (`latchkey outbox --json`, SMS included)."""

import json
import os
import random
import re
import subprocess

import pytest

from conftest import assert_envelope, expect_error, new_email, uniq

BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
PASSWORD = "Kk4DQuMMfZL9o"


def outbox(cfg):
    for k in ("LATCHKEY_BIN", "LATCHKEY_DATABASE_URL"):
        if not os.environ.get(k):
            pytest.fail(f"latchkey interop: {k} must be set to read the outbox", pytrace=False)
    out = subprocess.run(
        [os.environ["LATCHKEY_BIN"], "outbox", "--json", "--limit", "200", "--project", cfg["project_id"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def outbox_code(cfg, to):
    """The six-digit code of the newest mail or SMS to `to`."""
    msg = next((m for m in outbox(cfg) if m["to_address"] == to), None)
    assert msg, f"something was sent to {to}"
    text = msg["text_body"] if msg["channel"] == "sms" else msg["subject"]
    found = re.search(r"\b\d{6}\b", text)
    assert found, text
    return found.group(0)


def wrong(code):
    return ("1" if code[0] == "9" else "9") + code[1:]


def test_email_login_or_signup_and_authenticate(client, cfg, make_org):
    domain = f"otp{uniq()}.example.com"
    org = make_org(email_jit_provisioning="RESTRICTED", email_allowed_domains=[domain])
    addr = f"otp-{uniq()}@{domain}"
    sent = client.otps.email.login_or_signup(organization_id=org.organization_id, email_address=addr)
    assert_envelope(sent)
    assert sent.member_created is True
    code = outbox_code(cfg, addr)
    expect_error(
        lambda: client.otps.email.authenticate(
            organization_id=org.organization_id, email_address=addr, code=wrong(code)
        ),
        "unable_to_auth_otp_code",
        401,
    )
    auth = client.otps.email.authenticate(
        organization_id=org.organization_id, email_address=addr, code=code, session_duration_minutes=30
    )
    assert_envelope(auth)
    assert auth.member_authenticated is True
    assert auth.member.status == "active"
    assert auth.member_session.authentication_factors[0].type == "email_otp"
    assert client.sessions.authenticate(session_token=auth.session_token).member.member_id == auth.member_id
    expect_error(
        lambda: client.otps.email.authenticate(organization_id=org.organization_id, email_address=addr, code=code),
        "unable_to_auth_otp_code",
        401,
    )


def test_sms_send_and_authenticate_step_a_session_up(client, cfg, make_org):
    org = make_org()
    addr = new_email("sms")
    member = client.passwords.migrate(
        organization_id=org.organization_id, email_address=addr, hash_type="bcrypt", hash=BCRYPT
    ).member
    login = client.passwords.authenticate(organization_id=org.organization_id, email_address=addr, password=PASSWORD)
    phone = f"+1202555{random.randint(0, 9999):04d}"
    expect_error(
        lambda: client.otps.sms.send(
            organization_id=org.organization_id, member_id=member.member_id, mfa_phone_number="555"
        ),
        "invalid_phone_number",
        400,
    )
    sent = client.otps.sms.send(
        organization_id=org.organization_id,
        member_id=member.member_id,
        mfa_phone_number=phone,
        session_token=login.session_token,
    )
    assert_envelope(sent)
    assert sent.member.mfa_phone_number == phone
    code = outbox_code(cfg, phone)
    auth = client.otps.sms.authenticate(
        organization_id=org.organization_id, member_id=member.member_id, code=code, session_token=login.session_token
    )
    assert_envelope(auth)
    assert auth.session_token == login.session_token
    assert auth.member.mfa_phone_number_verified is True
    # The SDK parses both fields into str enums.
    value = lambda v: getattr(v, "value", v)  # noqa: E731
    kinds = sorted(f"{value(f.type)}/{value(f.delivery_method)}" for f in auth.member_session.authentication_factors)
    assert kinds == ["otp/sms", "password/knowledge"]


def test_intermediate_session_round_trip(client, cfg, make_org):
    domain = f"mfa{uniq()}.example.com"
    org = make_org(email_jit_provisioning="RESTRICTED", email_allowed_domains=[domain], mfa_policy="REQUIRED_FOR_ALL")
    oid = org.organization_id
    addr = f"mfa-{uniq()}@{domain}"
    client.otps.email.login_or_signup(organization_id=oid, email_address=addr)
    first = client.otps.email.authenticate(organization_id=oid, email_address=addr, code=outbox_code(cfg, addr))
    assert first.member_authenticated is False
    assert first.session_token == ""
    ist = first.intermediate_session_token
    assert ist
    phone = f"+1202555{random.randint(0, 9999):04d}"
    client.otps.sms.send(
        organization_id=oid, member_id=first.member_id, mfa_phone_number=phone, intermediate_session_token=ist
    )
    done = client.otps.sms.authenticate(
        organization_id=oid,
        member_id=first.member_id,
        code=outbox_code(cfg, phone),
        intermediate_session_token=ist,
        session_duration_minutes=30,
    )
    assert_envelope(done)
    assert done.session_token and done.session_jwt
    value = lambda v: getattr(v, "value", v)  # noqa: E731
    assert sorted(value(f.type) for f in done.member_session.authentication_factors) == ["email_otp", "otp"]
    assert done.member.mfa_enrolled is True
    expect_error(
        lambda: client.otps.sms.send(organization_id=oid, member_id=first.member_id, intermediate_session_token=ist),
        "intermediate_session_not_found",
        404,
    )
