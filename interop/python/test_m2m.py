"""Stytch M2M through the official stytch Python SDK (B2BClient.m2m): clients CRUD, search,
secret rotation, m2m.token and m2m.authenticate_token (local JWKS verification + scope checks)."""

from conftest import assert_envelope, expect_error, uniq

UNKNOWN = "m2m-client-test-00000000-0000-4000-8000-000000000000"


def test_clients_crud_search_and_rotation(client):
    clients = client.m2m.clients
    name = f"py-m2m-{uniq()}"
    res = clients.create(scopes=["read:users", "write:users"], client_name=name, trusted_metadata={"team": "ops"})
    assert_envelope(res)
    c = res.m2m_client
    assert c.client_id.startswith("m2m-client-test-")
    assert c.client_secret[-4:] == c.client_secret_last_four
    assert c.status == "active" and c.scopes == ["read:users", "write:users"]

    got = clients.get(client_id=c.client_id).m2m_client
    assert got.client_name == name and got.trusted_metadata == {"team": "ops"}

    upd = clients.update(client_id=c.client_id, client_description="py", scopes=["read:users"]).m2m_client
    assert upd.client_description == "py" and upd.scopes == ["read:users"]

    found = clients.search(query={"operator": "AND", "operands": [{"filter_name": "client_name", "filter_value": [name]}]})
    assert [x.client_id for x in found.m2m_clients] == [c.client_id]
    assert found.results_metadata.total == 1

    started = clients.secrets.rotate_start(client_id=c.client_id).m2m_client
    assert started.next_client_secret[-4:] == started.next_client_secret_last_four
    expect_error(lambda: clients.secrets.rotate_start(client_id=c.client_id), "m2m_client_already_rotating_secret", 400)
    assert clients.secrets.rotate_cancel(client_id=c.client_id).m2m_client.next_client_secret_last_four is None
    clients.secrets.rotate_start(client_id=c.client_id)
    done = clients.secrets.rotate(client_id=c.client_id).m2m_client
    assert done.next_client_secret_last_four is None

    assert clients.delete(client_id=c.client_id).client_id == c.client_id
    expect_error(lambda: clients.get(client_id=c.client_id), "m2m_client_not_found", 404)
    expect_error(lambda: clients.get(client_id=UNKNOWN), "m2m_client_not_found", 404)


def test_token_and_authenticate_token(client):
    c = client.m2m.clients.create(scopes=["read:users", "write:users"], trusted_metadata={"team": "ops"}).m2m_client
    tok = client.m2m.token(client_id=c.client_id, client_secret=c.client_secret)
    assert tok.token_type == "bearer" and tok.expires_in == 3600

    claims = client.m2m.authenticate_token(access_token=tok.access_token)
    assert claims.client_id == c.client_id
    assert claims.scopes == ["read:users", "write:users"]
    assert claims.custom_claims.get("team") == "ops"
    ok = client.m2m.authenticate_token(access_token=tok.access_token, required_scopes=["read:users"])
    assert ok is not None
    assert client.m2m.authenticate_token(access_token=tok.access_token, required_scopes=["delete:users"]) is None

    narrow = client.m2m.token(client_id=c.client_id, client_secret=c.client_secret, scopes=["read:users"])
    assert client.m2m.authenticate_token(access_token=narrow.access_token).scopes == ["read:users"]
    assert client.m2m.authenticate_token(access_token=narrow.access_token, required_scopes=["write:users"]) is None

    client.m2m.clients.update(client_id=c.client_id, status="inactive")
    try:
        client.m2m.token(client_id=c.client_id, client_secret=c.client_secret)
        raise AssertionError("an inactive client got a token")
    except AssertionError:
        raise
    except Exception as e:  # the SDK raises its StytchError for the OAuth error body
        assert "invalid_client" in repr(e) or "401" in repr(e), repr(e)
