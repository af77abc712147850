"""Members through the official stytch Python SDK (B2BClient.organizations.members)."""

from conftest import UNKNOWN_MEMBER, UNKNOWN_ORG, assert_envelope, expect_error, new_email, uniq


def role_ids(m):
    return [r.role_id for r in m.roles]


def test_create(client, org):
    addr = new_email("alice")
    ext = f"ext-py-{uniq()}"
    res = client.organizations.members.create(
        organization_id=org.organization_id,
        email_address=addr,
        name="Alice Example",
        trusted_metadata={"dept": "eng", "level": 3, "tags": ["a", "b"]},
        untrusted_metadata={"theme": "dark"},
        roles=["stytch_admin"],
        external_id=ext,
    )
    assert_envelope(res)
    m = res.member
    assert res.member_id == m.member_id
    assert m.member_id.startswith("member-")
    assert m.organization_id == org.organization_id
    assert m.email_address == addr
    assert m.name == "Alice Example"
    assert m.status == "active"
    assert m.external_id == ext
    assert m.trusted_metadata == {"dept": "eng", "level": 3, "tags": ["a", "b"]}
    assert m.untrusted_metadata == {"theme": "dark"}
    assert m.is_admin is True
    admin = [r for r in m.roles if r.role_id == "stytch_admin"]
    assert admin, m.roles
    assert any(s.type == "direct_assignment" for s in admin[0].sources), admin[0].sources
    assert res.organization.organization_id == org.organization_id


def test_member_without_roles_is_not_admin(client, org):
    m = client.organizations.members.create(organization_id=org.organization_id, email_address=new_email()).member
    assert m.is_admin is False
    assert "stytch_admin" not in role_ids(m)


def test_create_pending(client, org):
    m = client.organizations.members.create(
        organization_id=org.organization_id, email_address=new_email(), create_member_as_pending=True
    ).member
    assert m.status == "pending"


def test_get_by_id_email_and_external_id(client, org):
    ext = f"ext-py-{uniq()}"
    created = client.organizations.members.create(
        organization_id=org.organization_id, email_address=new_email(), name="Bob", external_id=ext
    ).member
    by_id = client.organizations.members.get(organization_id=org.organization_id, member_id=created.member_id)
    assert_envelope(by_id)
    assert by_id.member_id == created.member_id
    assert by_id.member.name == "Bob"
    assert by_id.member.email_address == created.email_address
    assert by_id.organization.organization_id == org.organization_id

    by_email = client.organizations.members.get(
        organization_id=org.organization_id, email_address=created.email_address
    )
    assert by_email.member_id == created.member_id

    by_ext = client.organizations.members.get(organization_id=org.organization_id, member_id=ext)
    assert by_ext.member_id == created.member_id

    via_slug = client.organizations.members.get(organization_id=org.organization_slug, member_id=created.member_id)
    assert via_slug.member_id == created.member_id


def test_update(client, org):
    created = client.organizations.members.create(
        organization_id=org.organization_id, email_address=new_email(), name="Carol", roles=["stytch_admin"]
    ).member
    assert created.is_admin is True
    ext = f"ext-py-{uniq()}"
    res = client.organizations.members.update(
        organization_id=org.organization_id,
        member_id=created.member_id,
        name="Carol Updated",
        trusted_metadata={"promoted": False},
        roles=[],
        external_id=ext,
    )
    assert_envelope(res)
    m = res.member
    assert m.name == "Carol Updated"
    assert m.trusted_metadata == {"promoted": False}
    assert m.external_id == ext
    assert m.is_admin is False
    assert "stytch_admin" not in role_ids(m)
    assert m.email_address == created.email_address

    again = client.organizations.members.update(
        organization_id=org.organization_id, member_id=ext, roles=["stytch_admin"]
    ).member
    assert again.member_id == created.member_id
    assert again.is_admin is True
    assert again.name == "Carol Updated"

    got = client.organizations.members.get(organization_id=org.organization_id, member_id=created.member_id).member
    assert got.name == "Carol Updated"
    assert got.is_admin is True


def test_delete(client, org):
    created = client.organizations.members.create(organization_id=org.organization_id, email_address=new_email()).member
    res = client.organizations.members.delete(organization_id=org.organization_id, member_id=created.member_id)
    assert_envelope(res)
    assert res.member_id == created.member_id
    expect_error(
        lambda: client.organizations.members.get(organization_id=org.organization_id, member_id=created.member_id),
        "member_not_found",
        404,
    )


def test_duplicate_member_email(client, org):
    addr = new_email()
    client.organizations.members.create(organization_id=org.organization_id, email_address=addr)
    expect_error(
        lambda: client.organizations.members.create(organization_id=org.organization_id, email_address=addr),
        "duplicate_member_email",
        400,
    )


def test_unknown_member(client, org):
    members, o = client.organizations.members, org.organization_id
    expect_error(lambda: members.get(organization_id=o, member_id=UNKNOWN_MEMBER), "member_not_found", 404)
    expect_error(lambda: members.get(organization_id=o, email_address=new_email("nobody")), "member_not_found", 404)
    expect_error(lambda: members.update(organization_id=o, member_id=UNKNOWN_MEMBER, name="x"), "member_not_found", 404)
    expect_error(lambda: members.delete(organization_id=o, member_id=UNKNOWN_MEMBER), "member_not_found", 404)


def test_unknown_org_on_member_create(client):
    expect_error(
        lambda: client.organizations.members.create(organization_id=UNKNOWN_ORG, email_address=new_email()),
        "organization_not_found",
        404,
    )


def test_wrong_secret(bad_client, org):
    expect_error(
        lambda: bad_client.organizations.members.get(organization_id=org.organization_id, member_id=UNKNOWN_MEMBER),
        "unauthorized_credentials",
        401,
    )


def test_search_emails_and_statuses(client, org):
    mk = client.organizations.members.create
    a = mk(organization_id=org.organization_id, email_address=new_email()).member
    b = mk(organization_id=org.organization_id, email_address=new_email()).member
    p = mk(organization_id=org.organization_id, email_address=new_email(), create_member_as_pending=True).member
    emails = [a.email_address, b.email_address, p.email_address]

    def search(*extra):
        return client.organizations.members.search(
            organization_ids=[org.organization_id],
            query={"operator": "AND", "operands": [{"filter_name": "member_emails", "filter_value": emails}, *extra]},
        )

    res = search()
    assert_envelope(res)
    assert sorted(m.member_id for m in res.members) == sorted([a.member_id, b.member_id, p.member_id])
    assert res.results_metadata.total == 3
    assert org.organization_id in res.organizations
    assert res.organizations[org.organization_id].organization_slug == org.organization_slug

    active = search({"filter_name": "statuses", "filter_value": ["active"]})
    assert sorted(m.member_id for m in active.members) == sorted([a.member_id, b.member_id])
    pending = search({"filter_name": "statuses", "filter_value": ["pending"]})
    assert [m.member_id for m in pending.members] == [p.member_id]


def test_search_paginated(client, make_org):
    own = make_org()
    made = sorted(
        client.organizations.members.create(organization_id=own.organization_id, email_address=new_email(f"p{i}")).member_id
        for i in range(3)
    )
    seen, cursor, pages = [], None, 0
    while True:
        page = client.organizations.members.search(organization_ids=[own.organization_id], limit=1, cursor=cursor)
        pages += 1
        assert len(page.members) == 1
        assert page.results_metadata.total == 3
        seen += [m.member_id for m in page.members]
        cursor = page.results_metadata.next_cursor
        if not cursor:
            break
        assert pages < 10, "pagination did not terminate"
    assert pages == 3
    assert sorted(seen) == made


def test_plus_email_and_pipe_external_id(client, org):
    addr = f"plus+{uniq()}@interop.example.com"
    ext = f"idp|{uniq()}"
    created = client.organizations.members.create(
        organization_id=org.organization_id, email_address=addr, external_id=ext
    ).member
    assert created.email_address == addr
    assert client.organizations.members.get(organization_id=org.organization_id, email_address=addr).member_id == created.member_id
    assert client.organizations.members.get(organization_id=org.organization_id, member_id=ext).member_id == created.member_id
    upd = client.organizations.members.update(organization_id=org.organization_id, member_id=ext, name="Piped")
    assert upd.member.name == "Piped"
