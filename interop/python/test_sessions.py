"""Password logins and session JWTs through the official stytch Python SDK: passwords.migrate /
authenticate / strength_check, sessions.authenticate_jwt_local (JWKS fetched by the SDK),
sessions.authenticate over the network with and without authorization_check, revoke, and a
signing-key rotation by the `latchkey keys rotate` CLI (last in this module)."""

import json
import os
import re
import subprocess
import urllib.request

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import assert_envelope, expect_error, make_client, new_email

# pyca/bcrypt test vector.
HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
PASSWORD = "Kk4DQuMMfZL9o"


def member_with_password(client, org, roles=None):
    res = client.passwords.migrate(
        organization_id=org.organization_id,
        email_address=new_email("pw"),
        hash_type="bcrypt",
        hash=HASH,
        roles=roles or [],
    )
    assert_envelope(res)
    assert res.member_created is True
    assert res.member.member_password_id.startswith("member-password-")
    return res.member


def login(client, org, member, **extra):
    return client.passwords.authenticate(
        organization_id=org.organization_id,
        email_address=member.email_address,
        password=extra.pop("password", PASSWORD),
        session_duration_minutes=60,
        **extra,
    )


def check(org_id):
    return {"organization_id": org_id, "resource_id": "stytch.member", "action": "delete"}


def test_login_then_jwt_local_and_network(client, org):
    admin = member_with_password(client, org, ["stytch_admin"])
    res = login(client, org, admin)
    assert_envelope(res)
    assert res.member_authenticated is True
    assert res.intermediate_session_token == ""
    assert res.member_session.authentication_factors[0].type == "password"

    local = client.sessions.authenticate_jwt_local(session_jwt=res.session_jwt)
    assert local is not None, "the SDK could not verify the JWT locally"
    assert local.member_id == admin.member_id
    assert local.organization_id == org.organization_id
    assert local.member_session_id == res.member_session.member_session_id
    assert "stytch_admin" in local.roles

    remote = client.sessions.authenticate(session_jwt=res.session_jwt)
    assert remote.member_session.member_session_id == res.member_session.member_session_id
    allowed = client.sessions.authenticate(
        session_token=res.session_token, authorization_check=check(org.organization_id)
    )
    assert allowed.verdict.authorized is True
    assert "stytch_admin" in allowed.verdict.granting_roles


def test_authorization_check_refuses_a_plain_member(client, org):
    plain = member_with_password(client, org)
    res = login(client, org, plain)
    expect_error(
        lambda: client.sessions.authenticate(
            session_jwt=res.session_jwt, authorization_check=check(org.organization_id)
        ),
        "session_authorization_error",
        403,
    )


def test_tampered_and_foreign_jwts(client, org):
    m = member_with_password(client, org)
    res = login(client, org, m)
    head, body, sig = res.session_jwt.split(".")
    tampered = f"{head}.{body}.{sig[:-4]}{'BBBB' if sig.endswith('AAAA') else 'AAAA'}"
    claims = pyjwt.decode(res.session_jwt, options={"verify_signature": False})
    kid = pyjwt.get_unverified_header(res.session_jwt)["kid"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    same_kid = pyjwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
    forged = pyjwt.encode(claims, key, algorithm="RS256", headers={"kid": "jwk-test-forged"})
    for token in (tampered, same_kid):
        assert client.sessions.authenticate_jwt_local(session_jwt=token) is None
        expect_error(lambda: client.sessions.authenticate(session_jwt=token), "invalid_signature", 401)
    # An unknown kid: PyJWKClient raises instead of returning None (SDK behaviour).
    with pytest.raises(pyjwt.exceptions.PyJWKClientError):
        client.sessions.authenticate_jwt_local(session_jwt=forged)
    expect_error(lambda: client.sessions.authenticate(session_jwt=forged), "invalid_signature", 401)


def test_bad_passwords_and_strength(client, org):
    m = member_with_password(client, org)
    expect_error(lambda: login(client, org, m, password="wrong"), "unauthorized_credentials", 401)
    ghost = type("Ghost", (), {"email_address": new_email("ghost")})
    expect_error(lambda: login(client, org, ghost), "unauthorized_credentials", 401)
    expect_error(
        lambda: client.passwords.migrate(
            organization_id=org.organization_id, email_address=new_email(), hash_type="md_5", hash="zz"
        ),
        "invalid_md_5_hash",
        400,
    )
    weak = client.passwords.strength_check(password="password")
    assert weak.valid_password is False and weak.strength_policy == "zxcvbn"
    assert weak.zxcvbn_feedback.warning
    strong = client.passwords.strength_check(password="correct-horse-battery-staple-9!")
    assert strong.valid_password is True and strong.score == 4
    assert strong.luds_feedback.has_symbol is True


def test_revoked_session_fails_over_the_network(client, org):
    m = member_with_password(client, org)
    res = login(client, org, m)
    extended = login(client, org, m, session_token=res.session_token)
    assert extended.member_session.member_session_id == res.member_session.member_session_id
    client.sessions.revoke(session_token=res.session_token)
    expect_error(lambda: client.sessions.authenticate(session_token=res.session_token), "session_not_found", 404)
    expect_error(lambda: client.sessions.authenticate(session_jwt=res.session_jwt), "session_not_found", 404)
    # Local verification is stateless: the JWT stays valid until its exp (5 minutes).
    assert client.sessions.authenticate_jwt_local(session_jwt=res.session_jwt) is not None


def test_zz_key_rotation_keeps_earlier_jwts_valid(client, org, cfg):
    binary = os.environ.get("LATCHKEY_BIN")
    db_url = os.environ.get("LATCHKEY_DATABASE_URL")
    assert binary and db_url, "LATCHKEY_BIN and LATCHKEY_DATABASE_URL must be set"
    m = member_with_password(client, org)
    before = login(client, org, m)
    old_kid = pyjwt.get_unverified_header(before.session_jwt)["kid"]
    assert client.sessions.authenticate_jwt_local(session_jwt=before.session_jwt) is not None

    out = subprocess.run(
        [binary, "--database-url", db_url, "keys", "rotate", "--project", cfg["project_id"]],
        check=True, capture_output=True, text=True,
    ).stdout
    active = re.search(r"active:\s+(\S+)", out).group(1)
    assert active != old_kid

    url = f"{cfg['base_url']}v1/b2b/sessions/jwks/{cfg['project_id']}"
    kids = [k["kid"] for k in json.load(urllib.request.urlopen(url))["keys"]]
    assert active in kids and old_kid in kids, kids

    fresh = make_client(cfg)
    local = fresh.sessions.authenticate_jwt_local(session_jwt=before.session_jwt)
    assert local is not None and local.member_id == m.member_id
    remote = fresh.sessions.authenticate(session_jwt=before.session_jwt)
    assert remote.member.member_id == m.member_id
    after = login(client, org, m)
    assert make_client(cfg).sessions.authenticate_jwt_local(session_jwt=after.session_jwt) is not None
