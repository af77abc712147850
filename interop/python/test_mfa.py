"""MFA through the official stytch Python SDK (B2BClient.totps, .recovery_codes, .passwords): a
password login to an organization that requires MFA answers with an intermediate session, TOTP
exchanges it for a full session, recovery codes get / rotate / recover, totps.migrate."""

import base64
import hashlib
import hmac
import struct
import time

from conftest import assert_envelope, expect_error, new_email

# pyca/bcrypt test vector.
HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
PASSWORD = "Kk4DQuMMfZL9o"


def totp(secret, at=None):
    """RFC 6238 (SHA-1, 6 digits, 30 s), written here as an authenticator app would."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    n = (struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{n:06d}"


def mfa_member(client, make_org):
    org = make_org(mfa_policy="REQUIRED_FOR_ALL")
    email = new_email("mfa")
    m = client.passwords.migrate(
        organization_id=org.organization_id, email_address=email, hash_type="bcrypt", hash=HASH
    )
    return org.organization_id, m.member_id, email


def intermediate(client, org_id, email):
    r = client.passwords.authenticate(organization_id=org_id, email_address=email, password=PASSWORD)
    assert_envelope(r)
    assert r.member_authenticated is False
    assert r.session_token == "" and r.session_jwt == ""
    assert r.intermediate_session_token
    assert r.mfa_required is not None and r.mfa_required.member_options is not None
    return r.intermediate_session_token


def test_password_intermediate_totp_and_recovery_codes(client, make_org):
    org_id, member_id, email = mfa_member(client, make_org)
    ist = intermediate(client, org_id, email)
    created = client.totps.create(organization_id=org_id, member_id=member_id, intermediate_session_token=ist)
    assert_envelope(created)
    assert created.qr_code.startswith("data:image/png;base64,")
    assert len(created.recovery_codes) == 10
    expect_error(
        lambda: client.totps.authenticate(
            organization_id=org_id, member_id=member_id, code="000000", intermediate_session_token=ist
        ),
        "otp_code_not_found",
        401,
    )
    done = client.totps.authenticate(
        organization_id=org_id, member_id=member_id, code=totp(created.secret), intermediate_session_token=ist
    )
    assert_envelope(done)
    assert done.session_token
    assert [f.type for f in done.member_session.authentication_factors] == ["password", "totp"]
    expect_error(
        lambda: client.totps.authenticate(
            organization_id=org_id, member_id=member_id, code=totp(created.secret), intermediate_session_token=ist
        ),
        "intermediate_session_not_found",
        404,
    )
    got = client.recovery_codes.get(organization_id=org_id, member_id=member_id)
    assert got.recovery_codes == created.recovery_codes
    rotated = client.recovery_codes.rotate(organization_id=org_id, member_id=member_id)
    assert len(rotated.recovery_codes) == 10
    ist2 = intermediate(client, org_id, email)
    recovered = client.recovery_codes.recover(
        organization_id=org_id,
        member_id=member_id,
        recovery_code=rotated.recovery_codes[0],
        intermediate_session_token=ist2,
    )
    assert_envelope(recovered)
    assert recovered.recovery_codes_remaining == 9
    assert [f.type for f in recovered.member_session.authentication_factors] == ["password", "recovery_codes"]


def test_migrate(client, make_org):
    org_id, member_id, email = mfa_member(client, make_org)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    migrated = client.totps.migrate(
        organization_id=org_id, member_id=member_id, secret=secret, recovery_codes=["ckss-2skx-ebow"]
    )
    assert_envelope(migrated)
    assert migrated.recovery_codes == ["ckss-2skx-ebow"]
    ist = intermediate(client, org_id, email)
    done = client.totps.authenticate(
        organization_id=org_id, member_id=member_id, code=totp(secret), intermediate_session_token=ist
    )
    assert done.session_token
