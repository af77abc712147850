"""Raw HTTP (urllib, no SDK): the Stytch envelope on a DELETE."""

import base64
import json
import urllib.error
import urllib.request

from conftest import UNKNOWN_ORG, uniq


def raw(cfg, method, path, secret=None, body=None):
    token = base64.b64encode(f"{cfg['project_id']}:{secret or cfg['secret']}".encode()).decode()
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(cfg["base_url"].rstrip("/") + path, data=data, method=method)
    req.add_header("Authorization", "Basic " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, ctype, text = r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        status, ctype, text = e.code, e.headers.get("Content-Type", ""), e.read().decode()
    try:
        parsed = json.loads(text)
    except ValueError:
        raise AssertionError(f"{method} {path}: body is not JSON (HTTP {status}, {ctype}): {text!r}")
    return status, ctype, parsed


def test_raw_delete_organization_envelope(cfg, client):
    u = uniq()
    org = client.organizations.create(organization_name=f"Raw {u}", organization_slug=f"raw-py-{u}").organization
    status, ctype, body = raw(cfg, "DELETE", f"/v1/b2b/organizations/{org.organization_id}")
    assert status == 200
    assert "application/json" in ctype
    assert body["status_code"] == 200
    assert isinstance(body["request_id"], str) and body["request_id"]
    assert body["organization_id"] == org.organization_id


def test_raw_delete_unknown_organization_error_envelope(cfg):
    status, ctype, body = raw(cfg, "DELETE", f"/v1/b2b/organizations/{UNKNOWN_ORG}")
    assert status == 404
    assert "application/json" in ctype
    assert body["status_code"] == 404
    assert isinstance(body["request_id"], str) and body["request_id"]
    assert body["error_type"] == "organization_not_found"
    assert isinstance(body["error_message"], str)
    assert isinstance(body["error_url"], str)


def test_raw_delete_wrong_secret(cfg):
    status, _, body = raw(cfg, "DELETE", f"/v1/b2b/organizations/{UNKNOWN_ORG}", secret="secret-test-wrong")
    assert status == 401
    assert body["status_code"] == 401
    assert body["error_type"] == "unauthorized_credentials"
