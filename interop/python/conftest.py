"""Shared fixtures for the latchkey interop tests driven by the official `stytch` Python SDK."""

import os
import secrets
import time

import pytest
import stytch
from stytch.core.response_base import StytchError

REQUIRED = ("LATCHKEY_BASE_URL", "LATCHKEY_PROJECT_ID", "LATCHKEY_SECRET")
UNKNOWN_ORG = "organization-test-00000000-0000-4000-8000-000000000000"
UNKNOWN_MEMBER = "member-test-00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="session")
def cfg():
    missing = [k for k in REQUIRED if not os.environ.get(k)]
    if missing:
        # pytest.fail, not skip: a run without a server must not look green.
        pytest.fail(
            "latchkey interop: missing environment variable(s) "
            + ", ".join(missing)
            + "; set LATCHKEY_BASE_URL (e.g. http://127.0.0.1:41234), LATCHKEY_PROJECT_ID and LATCHKEY_SECRET",
            pytrace=False,
        )
    return {
        # The SDK joins routes with urllib.parse.urljoin(base, "/v1/..."): the trailing slash is
        # cosmetic, but we normalise to exactly one anyway.
        "base_url": os.environ["LATCHKEY_BASE_URL"].rstrip("/") + "/",
        "project_id": os.environ["LATCHKEY_PROJECT_ID"],
        "secret": os.environ["LATCHKEY_SECRET"],
    }


def make_client(cfg, secret=None):
    # `environment` takes any string other than "test"/"live" verbatim as the base URL (http is fine);
    # `custom_base_url` would insist on https://.
    return stytch.B2BClient(
        project_id=cfg["project_id"],
        secret=secret if secret is not None else cfg["secret"],
        environment=cfg["base_url"],
    )


@pytest.fixture(scope="session")
def client(cfg):
    return make_client(cfg)


@pytest.fixture(scope="session")
def bad_client(cfg):
    return make_client(cfg, secret=cfg["secret"] + "-wrong")


def uniq():
    """Short random suffix so the suite can run many times against one database."""
    return f"{int(time.time() * 1000):x}{secrets.token_hex(4)}"


def new_email(tag="m"):
    return f"{tag}-{uniq()}@interop.example.com"


@pytest.fixture
def make_org(client):
    def _make(**extra):
        u = uniq()
        kwargs = {"organization_name": f"Interop Org {u}", "organization_slug": f"interop-py-{u}"}
        kwargs.update(extra)
        return client.organizations.create(**kwargs).organization

    return _make


@pytest.fixture(scope="module")
def org(client):
    u = uniq()
    return client.organizations.create(
        organization_name=f"Members Org {u}", organization_slug=f"members-py-{u}"
    ).organization


def expect_error(fn, error_type, status_code):
    """Calls fn(); asserts the SDK raised its StytchError with the given error_type and status."""
    with pytest.raises(StytchError) as info:
        fn()
    d = info.value.details
    assert d.error_type == error_type, f"error_type: {d!r} (original json {d.original_json!r})"
    assert d.status_code == status_code, f"status_code: {d!r}"
    assert d.request_id, f"request_id: {d!r}"
    assert isinstance(d.error_message, str)
    assert d.error_url is not None, f"error_url: {d!r}"
    return d


def assert_envelope(res, status=200):
    assert res.status_code == status
    assert isinstance(res.request_id, str) and res.request_id
