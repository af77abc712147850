"""The Connected Apps authorization-code flow through the official stytch Python SDK: client
management (connected_app.clients), idp.oauth.authorize_start/authorize, the token endpoint
(plain urllib, form body, PKCE for public clients), idp.introspect_token_network and
idp.introspect_access_token_local, refresh, userinfo, revoke, and the member's connected apps
(organizations.members.get_connected_apps / connected_apps.revoke)."""

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import new_email, uniq

REDIRECT = "https://app.example.com/cb"
SCOPES = ["openid", "email", "profile", "offline_access"]


def _base(cfg):
    return cfg["base_url"].rstrip("/")


def _call(cfg, path, fields=None, bearer=None):
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    req = urllib.request.Request(_base(cfg) + path, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if bearer:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _pkce():
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _auth(app):
    fields = {"client_id": app.client_id}
    if app.client_secret:
        fields["client_secret"] = app.client_secret
    return fields


@pytest.mark.parametrize("client_type", ["first_party", "third_party_public"])
def test_authorization_code_flow(client, cfg, make_org, client_type):
    public = client_type.endswith("_public")
    app = client.connected_app.clients.create(
        client_type=client_type,
        client_name=f"Flow py {uniq()}",
        client_description="python SDK flow",
        redirect_urls=[REDIRECT],
    ).connected_app
    assert (app.client_secret is None) == public

    org = make_org()
    email = new_email("flow")
    member = client.organizations.members.create(
        organization_id=org.organization_id, email_address=email, name="Grace Hopper"
    ).member

    request = dict(
        client_id=app.client_id,
        redirect_uri=REDIRECT,
        response_type="code",
        scopes=SCOPES,
        organization_id=org.organization_id,
        member_id=member.member_id,
    )
    start = client.idp.oauth.authorize_start(**request)
    assert start.status_code == 200
    assert start.member_id == member.member_id
    assert start.client.client_id == app.client_id
    assert start.consent_required is True
    assert sorted(r.scope for r in start.scope_results) == sorted(SCOPES)
    assert all(r.is_grantable for r in start.scope_results)

    verifier, challenge = _pkce()
    submitted = client.idp.oauth.authorize(
        consent_granted=True,
        state="py-state",
        nonce="py-nonce",
        code_challenge=challenge if public else None,
        **request,
    )
    back = urllib.parse.urlparse(submitted.redirect_uri)
    query = dict(urllib.parse.parse_qsl(back.query))
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    assert query["state"] == "py-state"
    assert query["iss"] == _base(cfg)
    assert query["code"] == submitted.authorization_code

    fields = {
        "grant_type": "authorization_code",
        "code": submitted.authorization_code,
        "redirect_uri": REDIRECT,
        **_auth(app),
    }
    if public:
        fields["code_verifier"] = verifier
    status, tokens = _call(cfg, "/v1/oauth2/token", fields)
    assert status == 200, tokens
    assert tokens["token_type"] == "bearer"
    assert isinstance(tokens["id_token"], str)
    assert isinstance(tokens["refresh_token"], str)

    network = client.idp.introspect_token_network(
        token=tokens["access_token"], client_id=app.client_id, client_secret=app.client_secret
    )
    assert network is not None
    assert network.subject == member.member_id
    assert sorted(network.scope.split()) == sorted(SCOPES)
    assert network.organization_claim["organization_id"] == org.organization_id

    local = client.idp.introspect_access_token_local(tokens["access_token"])
    assert local is not None
    assert local.subject == member.member_id
    assert local.issuer == _base(cfg)
    assert local.organization_claim["slug"] == org.organization_slug

    status, refreshed = _call(
        cfg, "/v1/oauth2/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **_auth(app)}
    )
    assert status == 200, refreshed
    if public:
        assert refreshed["refresh_token"] != tokens["refresh_token"]
        current = refreshed["refresh_token"]
    else:
        assert "refresh_token" not in refreshed
        current = tokens["refresh_token"]

    status, info = _call(cfg, "/v1/oauth2/userinfo", bearer=refreshed["access_token"])
    assert status == 200, info
    assert info["sub"] == member.member_id
    assert info["email"] == email
    assert info["name"] == "Grace Hopper"

    listed = client.organizations.members.get_connected_apps(
        organization_id=org.organization_id, member_id=member.member_id
    )
    assert app.client_id in [a.connected_app_id for a in listed.connected_apps]

    status, _ = _call(cfg, "/v1/oauth2/revoke", {"token": current, **_auth(app)})
    assert status == 200
    dead = client.idp.introspect_token_network(
        token=refreshed["access_token"], client_id=app.client_id, client_secret=app.client_secret
    )
    assert dead is None, "a revoked token introspects inactive"
    status, err = _call(
        cfg, "/v1/oauth2/token", {"grant_type": "refresh_token", "refresh_token": current, **_auth(app)}
    )
    assert (status, err["error"]) == (400, "invalid_grant")

    client.organizations.members.connected_apps.revoke(
        organization_id=org.organization_id, member_id=member.member_id, connected_app_id=app.client_id
    )
    relisted = client.organizations.members.get_connected_apps(
        organization_id=org.organization_id, member_id=member.member_id
    )
    assert app.client_id not in [a.connected_app_id for a in relisted.connected_apps]
