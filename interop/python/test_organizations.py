"""Organizations through the official stytch Python SDK (B2BClient.organizations)."""

from stytch.b2b.models.organizations import SearchQuery, SearchQueryOperator

from conftest import UNKNOWN_ORG, assert_envelope, expect_error, uniq


def test_create_returns_requested_fields(client):
    # Parsing into the SDK's pydantic models already proves every required field is present
    # with the right type (e.g. organization_logo_url must be a string, not null).
    u = uniq()
    trusted = {"tier": "gold", "nested": {"n": 42, "list": [1, "two", True], "nothing": None}}
    res = client.organizations.create(
        organization_name=f"Acme {u}",
        organization_slug=f"acme-py-{u}",
        organization_external_id=f"ext-py-{u}",
        trusted_metadata=trusted,
        email_allowed_domains=[f"acme-{u}.example.com"],
        first_party_connected_apps_allowed_type="NOT_ALLOWED",
        third_party_connected_apps_allowed_type="NOT_ALLOWED",
    )
    assert_envelope(res)
    o = res.organization
    assert o.organization_id.startswith("organization-")
    assert o.organization_name == f"Acme {u}"
    assert o.organization_slug == f"acme-py-{u}"
    assert o.organization_external_id == f"ext-py-{u}"
    assert o.trusted_metadata == trusted
    assert o.email_allowed_domains == [f"acme-{u}.example.com"]
    assert o.first_party_connected_apps_allowed_type == "NOT_ALLOWED"
    assert o.third_party_connected_apps_allowed_type == "NOT_ALLOWED"
    assert o.allowed_first_party_connected_apps == []
    assert o.allowed_third_party_connected_apps == []


def test_create_defaults(make_org):
    o = make_org()
    assert o.first_party_connected_apps_allowed_type == "ALL_ALLOWED"
    assert o.third_party_connected_apps_allowed_type == "ALL_ALLOWED"
    assert o.sso_jit_provisioning == "ALL_ALLOWED"
    assert o.auth_methods == "ALL_ALLOWED"
    assert o.mfa_policy == "OPTIONAL"
    assert o.email_allowed_domains == []


def test_get_by_id_slug_and_external_id(client, make_org):
    ext = f"ext-py-{uniq()}"
    created = make_org(organization_external_id=ext, trusted_metadata={"k": "v"})
    for key in (created.organization_id, created.organization_slug, ext):
        res = client.organizations.get(organization_id=key)
        assert_envelope(res)
        assert res.organization.organization_id == created.organization_id, key
        assert res.organization.organization_name == created.organization_name
        assert res.organization.trusted_metadata == {"k": "v"}


def test_update_and_get(client, make_org):
    created = make_org(trusted_metadata={"a": 1})
    u = uniq()
    res = client.organizations.update(
        organization_id=created.organization_id,
        organization_name=f"Renamed {u}",
        organization_slug=f"renamed-py-{u}",
        trusted_metadata={"a": 2, "b": {"c": [3]}},
        email_allowed_domains=[f"renamed-{u}.example.com", f"second-{u}.example.org"],
        first_party_connected_apps_allowed_type="NOT_ALLOWED",
        third_party_connected_apps_allowed_type="NOT_ALLOWED",
    )
    assert_envelope(res)
    o = res.organization
    assert o.organization_id == created.organization_id
    assert o.organization_name == f"Renamed {u}"
    assert o.organization_slug == f"renamed-py-{u}"
    assert o.trusted_metadata == {"a": 2, "b": {"c": [3]}}
    assert o.email_allowed_domains == [f"renamed-{u}.example.com", f"second-{u}.example.org"]
    assert o.first_party_connected_apps_allowed_type == "NOT_ALLOWED"
    assert o.third_party_connected_apps_allowed_type == "NOT_ALLOWED"

    got = client.organizations.get(organization_id=f"renamed-py-{u}").organization
    assert got.organization_id == created.organization_id
    assert got.organization_name == f"Renamed {u}"
    assert got.third_party_connected_apps_allowed_type == "NOT_ALLOWED"


def test_update_keeps_unsent_fields(client, make_org):
    created = make_org(trusted_metadata={"keep": True}, email_allowed_domains=[f"keep-{uniq()}.example.com"])
    o = client.organizations.update(
        organization_id=created.organization_id, organization_name=created.organization_name + " v2"
    ).organization
    assert o.organization_name == created.organization_name + " v2"
    assert o.organization_slug == created.organization_slug
    assert o.trusted_metadata == {"keep": True}
    assert o.email_allowed_domains == created.email_allowed_domains


def test_update_and_delete_by_external_id(client, make_org):
    ext = f"ext-py-{uniq()}"
    created = make_org(organization_external_id=ext)
    o = client.organizations.update(organization_id=ext, organization_name="Updated by external id").organization
    assert o.organization_id == created.organization_id
    assert o.organization_name == "Updated by external id"
    res = client.organizations.delete(organization_id=ext)
    assert res.organization_id == created.organization_id


def test_delete(client, make_org):
    created = make_org()
    res = client.organizations.delete(organization_id=created.organization_id)
    assert_envelope(res)
    assert res.organization_id == created.organization_id
    expect_error(
        lambda: client.organizations.get(organization_id=created.organization_id), "organization_not_found", 404
    )


def test_unknown_organization(client):
    expect_error(lambda: client.organizations.get(organization_id=UNKNOWN_ORG), "organization_not_found", 404)
    expect_error(
        lambda: client.organizations.update(organization_id=UNKNOWN_ORG, organization_name="x"),
        "organization_not_found",
        404,
    )
    expect_error(lambda: client.organizations.delete(organization_id=UNKNOWN_ORG), "organization_not_found", 404)


def test_duplicate_slug(client, make_org):
    first = make_org()
    expect_error(
        lambda: client.organizations.create(organization_name="Dup", organization_slug=first.organization_slug),
        "organization_slug_already_used",
        400,
    )
    second = make_org()
    expect_error(
        lambda: client.organizations.update(
            organization_id=second.organization_id, organization_slug=first.organization_slug
        ),
        "organization_slug_already_used",
        400,
    )


def test_wrong_secret(bad_client):
    expect_error(lambda: bad_client.organizations.get(organization_id=UNKNOWN_ORG), "unauthorized_credentials", 401)
    expect_error(
        lambda: bad_client.organizations.search(),
        "unauthorized_credentials",
        401,
    )


def test_search_by_slugs(client, make_org):
    a, b = make_org(), make_org()
    make_org()
    res = client.organizations.search(
        query={
            "operator": "AND",
            "operands": [
                {"filter_name": "organization_slugs", "filter_value": [a.organization_slug, b.organization_slug]}
            ],
        }
    )
    assert_envelope(res)
    assert sorted(o.organization_id for o in res.organizations) == sorted([a.organization_id, b.organization_id])
    assert res.results_metadata.total == 2
    assert not res.results_metadata.next_cursor


def test_search_name_fuzzy_paginated(client, make_org):
    token = f"FuzzyPy{uniq()}"
    made = sorted(make_org(organization_name=f"Org {i} {token} Inc").organization_id for i in range(3))
    make_org(organization_name="Unrelated name")
    # The SDK's own pydantic SearchQuery model, serialised by the SDK.
    query = SearchQuery(
        operator=SearchQueryOperator.AND,
        operands=[{"filter_name": "organization_name_fuzzy", "filter_value": token}],
    )

    res = client.organizations.search(query=query)
    assert sorted(o.organization_id for o in res.organizations) == made
    assert res.results_metadata.total == 3

    seen, cursor, pages = [], None, 0
    while True:
        page = client.organizations.search(limit=1, cursor=cursor, query=query)
        pages += 1
        assert len(page.organizations) == 1
        assert page.results_metadata.total == 3
        seen += [o.organization_id for o in page.organizations]
        cursor = page.results_metadata.next_cursor
        if not cursor:
            break
        assert pages < 10, "pagination did not terminate"
    assert pages == 3
    assert sorted(seen) == made
