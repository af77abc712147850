"""Connected App clients through the official stytch Python SDK (B2BClient.connected_app.clients)."""

import pytest

from conftest import assert_envelope, expect_error, uniq

TYPES = ["first_party", "first_party_public", "third_party", "third_party_public"]
UNKNOWN = "connected-app-test-00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("client_type", TYPES)
def test_create_get_update_delete(client, client_type):
    clients = client.connected_app.clients
    res = clients.create(
        client_type=client_type,
        client_name=f"Interop py {uniq()}",
        client_description="made by the python SDK",
        redirect_urls=["https://app.example.com/cb", "com.example.app:/cb"],
        post_logout_redirect_urls=["https://app.example.com/bye"],
        access_token_template_content='{"tier": "{{ member.trusted_metadata.tier }}"}',
    )
    assert_envelope(res)
    app = res.connected_app
    assert app.client_type == client_type
    assert app.status == "active"
    assert app.access_token_expiry_minutes == 60
    if client_type.endswith("_public"):
        assert app.client_secret is None
    else:
        assert app.client_secret and app.client_secret[-4:] == app.client_secret_last_four

    got = clients.get(client_id=app.client_id).connected_app
    assert got.client_name == app.client_name
    assert got.creation_method == "api"
    assert got.redirect_urls == ["https://app.example.com/cb", "com.example.app:/cb"]

    upd = clients.update(client_id=app.client_id, client_description="changed", access_token_expiry_minutes=10)
    assert upd.connected_app.client_description == "changed"
    assert upd.connected_app.access_token_expiry_minutes == 10
    assert upd.connected_app.client_name == app.client_name

    assert clients.delete(client_id=app.client_id).client_id == app.client_id
    expect_error(lambda: clients.get(client_id=app.client_id), "connected_app_not_found", 404)


def test_search(client):
    clients = client.connected_app.clients
    ids = {clients.create(client_type="third_party", client_name=f"s{i}").connected_app.client_id for i in range(3)}
    seen, cursor = set(), None
    for _ in range(50):
        res = clients.search(limit=2, cursor=cursor) if cursor else clients.search(limit=2)
        assert len(res.connected_apps) <= 2
        assert res.results_metadata.total >= 3
        seen |= {a.client_id for a in res.connected_apps}
        cursor = res.results_metadata.next_cursor
        if not cursor:
            break
    assert ids <= seen


def test_secret_rotation(client):
    clients = client.connected_app.clients
    app = clients.create(client_type="third_party", client_name="rotating").connected_app
    secrets = clients.secrets
    expect_error(lambda: secrets.rotate_cancel(client_id=app.client_id), "connected_app_not_rotating_secret", 400)
    started = secrets.rotate_start(client_id=app.client_id).connected_app
    assert started.next_client_secret[-4:] == started.next_client_secret_last_four
    assert started.client_secret_last_four == app.client_secret_last_four
    expect_error(lambda: secrets.rotate_start(client_id=app.client_id), "connected_app_already_rotating_secret", 400)
    assert secrets.rotate_cancel(client_id=app.client_id).connected_app.next_client_secret_last_four is None
    started = secrets.rotate_start(client_id=app.client_id).connected_app
    done = secrets.rotate(client_id=app.client_id).connected_app
    assert done.client_secret_last_four == started.next_client_secret[-4:]
    assert done.next_client_secret_last_four is None

    public = clients.create(client_type="third_party_public").connected_app
    expect_error(lambda: secrets.rotate(client_id=public.client_id), "public_connected_apps_do_not_have_secrets", 400)


def test_errors(client):
    clients = client.connected_app.clients
    expect_error(lambda: clients.get(client_id=UNKNOWN), "connected_app_not_found", 404)
    expect_error(
        lambda: clients.create(client_type="third_party_public", bypass_consent_for_offline_access=True),
        "third_party_clients_require_consent_for_offline_access",
        400,
    )
    expect_error(
        lambda: clients.create(client_type="first_party", redirect_urls=["http://app.example.com/cb"]),
        "connected_app_redirect_url_must_use_https_scheme",
        400,
    )
    expect_error(
        lambda: clients.create(client_type="first_party", access_token_expiry_minutes=0),
        "idp_invalid_access_token_expiry_minutes",
        400,
    )
